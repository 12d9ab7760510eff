"""Scale benchmark of the vector index: flat, HNSW, IVF and IVF-PQ at 10k-1M passages.

The real corpus is a few dozen passages, so larger corpora are synthetic, drawn to resemble
the real multilingual-e5 vectors of the built index (`var/index/current`):

- corpus: a Gaussian fitted to the real vectors' mean and covariance (Ledoit-Wolf shrinkage,
  because a few dozen vectors cannot fill 384 dimensions), split into "topics" (centres
  drawn from the same Gaussian) so that passages have close neighbours as real ones do;
  every vector is L2-normalised, like e5's;
- queries: the real query vectors of the evaluation questions plus noise of the corpus's
  spread, so they are held out (never in the corpus) and sit where real queries sit.

The similarity of random pairs (mean, p99) is reported for the real and the synthetic
vectors, so the reader can judge the resemblance. Each index is built through
`knowledge.dense.DenseIndex`, saved and loaded again as the product does, and measured for
build time, size on disk, memory, single-query latency (p50/p95) and recall@10 against an
exact search computed independently with numpy. Optionally BM25 (bm25s, as
`knowledge.lexical.LexicalIndex` uses it) is timed on recombined real sentences.

Not a test: the figures depend on the machine and its load (reported with them).

    .venv/bin/python scripts/bench_scale.py --sizes 10k,100k,1M --types flat,hnsw,ivf,ivfpq
    .venv/bin/python scripts/bench_scale.py --quick
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the embedder must never reach for a model hub

from knowledge.dense import DenseIndex, DenseParams  # noqa: E402
from knowledge.errors import KnowledgeError  # noqa: E402
from knowledge.settings import Settings, SettingsError  # noqa: E402

TYPES = ("flat", "hnsw", "ivf", "ivfpq", "ivfpq-rerank")
DEFAULT_TYPES = ("flat", "hnsw", "ivf", "ivfpq")
K = 10
EPS = 1e-5  # a returned passage as close as the exact k-th one counts as a hit (ties, rounding)
GEN_CHUNK = 50_000  # rows generated / scored at a time, to bound temporary memory
WARM_UP = 5


# ---------------------------------------------------------------- synthetic embeddings


@dataclass(frozen=True)
class EmbeddingSpace:
    """A Gaussian fitted to real embeddings: mean, a square root of the covariance, shrinkage."""

    mean: np.ndarray
    root: np.ndarray  # (dim, dim) with root @ root.T = covariance
    shrinkage: float

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.standard_normal((n, self.dim)) @ self.root.T


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def fit_space(real: np.ndarray, shrinkage: float | None = None) -> EmbeddingSpace:
    """Mean and shrunk covariance (towards a multiple of the identity; Ledoit-Wolf by default)."""
    if real.ndim != 2 or len(real) < 2 or not np.isfinite(real).all():
        raise ValueError(
            f"need at least 2 finite real vectors in a 2-D array, got shape {real.shape}"
        )
    x = real.astype(np.float64)
    mean = x.mean(axis=0)
    centred = x - mean
    n, dim = centred.shape
    cov = centred.T @ centred / n
    scale = np.trace(cov) / dim
    target_gap = np.linalg.norm(cov - scale * np.eye(dim)) ** 2
    # Sum over samples of ||x x^T - S||_F^2, expanded so no (dim, dim) matrix per sample is made.
    sq = (centred**2).sum(axis=1)
    spread = (
        sq**2 - 2 * np.einsum("ij,jk,ik->i", centred, cov, centred)
    ).sum() + n * np.linalg.norm(cov) ** 2
    if shrinkage is None:
        shrinkage = 1.0 if target_gap == 0 else float(min(spread / n**2, target_gap) / target_gap)
    shrunk = (1 - shrinkage) * cov + shrinkage * scale * np.eye(dim)
    values, vectors = np.linalg.eigh(shrunk)
    root = vectors * np.sqrt(np.clip(values, 0, None))
    return EmbeddingSpace(mean, root, shrinkage)


def synthetic_corpus(
    space: EmbeddingSpace, n: int, rng: np.random.Generator, within: float, topic_size: int
) -> np.ndarray:
    """n unit vectors: topic centre + within-topic noise; total spread equals the real one."""
    topics = max(1, n // max(1, topic_size))
    centres = space.mean + np.sqrt(1 - within) * space.noise(rng, topics)
    out = np.empty((n, space.dim), dtype=np.float32)
    for start in range(0, n, GEN_CHUNK):
        stop = min(n, start + GEN_CHUNK)
        label = rng.integers(0, topics, stop - start)
        out[start:stop] = normalise(
            centres[label] + np.sqrt(within) * space.noise(rng, stop - start)
        )
    return out


def synthetic_queries(
    space: EmbeddingSpace,
    real_queries: np.ndarray,
    count: int,
    rng: np.random.Generator,
    noise: float,
) -> np.ndarray:
    base = real_queries[rng.integers(0, len(real_queries), count)]
    return normalise(base + noise * space.noise(rng, count))


def pair_cosines(a: np.ndarray, rng: np.random.Generator, pairs: int = 20_000) -> np.ndarray:
    """Cosines of distinct random pairs (all pairs when there are few vectors)."""
    n = len(a)
    if n * (n - 1) // 2 <= pairs:
        i, j = np.triu_indices(n, 1)
    else:
        i = rng.integers(0, n, pairs)
        j = (i + rng.integers(1, n, pairs)) % n  # never i itself
    return np.einsum("ij,ij->i", a[i], a[j])


def cosine_summary(values: np.ndarray) -> dict[str, float]:
    return {
        "mean": round(float(values.mean()), 4),
        "p99": round(float(np.percentile(values, 99)), 4),
    }


# ---------------------------------------------------------------- exact search and recall


def exact_top_k(base: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the true top k, by numpy in blocks: independent of FAISS."""
    k = min(k, len(base))
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(base), GEN_CHUNK):
        block = queries @ base[start : start + GEN_CHUNK].T
        kk = min(k, block.shape[1])
        part = np.argpartition(-block, kk - 1, axis=1)[:, :kk]
        scores = np.concatenate([best_scores, np.take_along_axis(block, part, 1)], axis=1)
        ids = np.concatenate([best_ids, part + start], axis=1)
        keep = (
            np.argpartition(-scores, k - 1, axis=1)[:, :k]
            if scores.shape[1] > k
            else np.argsort(-scores, 1)
        )
        best_scores = np.take_along_axis(scores, keep, 1)
        best_ids = np.take_along_axis(ids, keep, 1)
    order = np.argsort(-best_scores, axis=1)
    return np.take_along_axis(best_scores, order, 1), np.take_along_axis(best_ids, order, 1)


def recall_at_k(
    base: np.ndarray, queries: np.ndarray, kth_scores: np.ndarray, found: list[np.ndarray], k: int
) -> float:
    """Share of returned passages at least as close as the exact k-th neighbour (tie-aware)."""
    hits = []
    for query, kth, ids in zip(queries, kth_scores, found, strict=True):
        ids = ids[ids >= 0][:k]
        true_scores = base[ids] @ query
        hits.append(min(k, int((true_scores >= kth - EPS).sum())) / k)
    return float(np.mean(hits)) if hits else 0.0


# ---------------------------------------------------------------- memory and load


def rss_mb() -> float:
    """Resident set size of this process (Linux /proc); NaN where unavailable."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


@contextmanager
def peak_rss(interval: float = 0.05) -> Iterator[Callable[[], float]]:
    """Samples RSS in a thread while the block runs; yields a getter of the peak seen."""
    peak = [rss_mb()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            peak[0] = max(peak[0], rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak[0]
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], rss_mb())


@contextmanager
def load_sampler(interval: float = 10.0) -> Iterator[Callable[[], dict[str, float]]]:
    """Samples the 1-minute load average all run long; yields a getter of min/mean/max."""
    seen = [load1()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            seen.append(load1())

    def summary() -> dict[str, float]:
        values = [*seen, load1()]
        return {
            "load_min": min(values),
            "load_mean": round(float(np.mean(values)), 2),
            "load_max": max(values),
        }

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield summary
    finally:
        stop.set()
        thread.join()


def load1() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# ---------------------------------------------------------------- index specs and measurement


@dataclass(frozen=True)
class Search:
    """One search setting tried on a built index."""

    params: DenseParams
    threads: int | None = None  # FAISS threads while searching (None: FAISS's default, all cores)
    rerank: int = 0  # re-rank depth factor (only the IVF-PQ + re-rank variant)


@dataclass(frozen=True)
class Spec:
    """One build of one index type and the search settings tried on it (no rebuild needed)."""

    label: str
    build: DenseParams
    searches: tuple[Search, ...]
    rerank: bool = False  # IVF-PQ + exact re-rank: measured with FAISS directly, not in DenseIndex


class RerankedIVFPQ:
    """IVF-PQ whose candidates are re-scored exactly (FAISS IndexRefineFlat).

    Not in `DenseIndex`: measured here to show what it would take for IVF-PQ to reach the
    recall target. It keeps the full vectors in memory for the re-rank, so it saves no RAM.
    """

    def __init__(self, index, params: DenseParams) -> None:
        self._index = index
        self.params = params

    @classmethod
    def build(cls, vectors: np.ndarray, params: DenseParams) -> RerankedIVFPQ:
        import faiss

        from knowledge.dense import ivf_nlist_for

        n, dim = vectors.shape
        if dim % params.ivf_pq_m:
            raise KnowledgeError(f"ivf_pq_m={params.ivf_pq_m} must divide the dimension {dim}")
        coarse = faiss.IndexFlatIP(dim)
        nlist = ivf_nlist_for(n, params.ivf_nlist)
        pq = faiss.IndexIVFPQ(coarse, dim, nlist, params.ivf_pq_m, 8, faiss.METRIC_INNER_PRODUCT)
        index = faiss.IndexRefineFlat(pq)  # FAISS's Python layer keeps pq and coarse alive with it
        index.train(vectors)
        index.add(vectors)
        return cls(index, params)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, params: DenseParams, k_factor: int) -> RerankedIVFPQ:
        import faiss

        index = faiss.read_index(str(path))
        faiss.extract_index_ivf(index).nprobe = params.ivf_nprobe
        index.k_factor = float(k_factor)
        return cls(index, params)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


def specs_for(types: Sequence[str], args: argparse.Namespace, dim: int) -> list[Spec]:
    out: list[Spec] = []
    for kind in types:
        if kind == "flat":
            # FAISS splits one exact query over its threads; on a busy machine that is slower.
            flat = DenseParams("flat")
            out.append(Spec("flat", flat, (Search(flat), Search(flat, threads=1))))
        elif kind == "hnsw":
            for m in args.hnsw_m:
                build = DenseParams("hnsw", hnsw_m=m, hnsw_ef_construction=args.ef_construction)
                searches = tuple(Search(replace(build, hnsw_ef_search=ef)) for ef in args.ef_search)
                out.append(Spec(f"hnsw M={m}", build, searches))
        elif kind == "ivf":
            build = DenseParams("ivf", ivf_nlist=args.nlist)
            out.append(
                Spec(
                    "ivf-flat",
                    build,
                    tuple(Search(replace(build, ivf_nprobe=p)) for p in args.nprobe),
                )
            )
        elif kind in ("ivfpq", "ivfpq-rerank"):
            for m in args.pq_m:
                if dim % m:
                    print(
                        f"  skipping ivf-pq m={m}: it does not divide the dimension {dim}",
                        file=sys.stderr,
                    )
                    continue
                build = DenseParams("ivf", ivf_nlist=args.nlist, ivf_pq_m=m)
                if kind == "ivfpq":
                    searches = tuple(Search(replace(build, ivf_nprobe=p)) for p in args.nprobe)
                    out.append(Spec(f"ivf-pq m={m}", build, searches))
                else:
                    searches = tuple(
                        Search(replace(build, ivf_nprobe=p), rerank=args.rerank_factor)
                        for p in args.nprobe
                    )
                    out.append(Spec(f"ivf-pq m={m} +rerank", build, searches, rerank=True))
    return out


def built_params(params: DenseParams, size: int) -> dict[str, Any]:
    """Build-time parameters as built: the IVF list count the product derives, not its 0 default."""
    from knowledge.dense import ivf_nlist_for

    out: dict[str, Any] = {"type": params.type}
    if params.type == "hnsw":
        out |= {"m": params.hnsw_m, "ef_construction": params.hnsw_ef_construction}
    elif params.type == "ivf":
        out |= {"nlist": ivf_nlist_for(size, params.ivf_nlist), "pq_m": params.ivf_pq_m}
    return out


def search_params(search: Search, index_type: str) -> dict[str, int]:
    out: dict[str, int] = {}
    if index_type == "hnsw":
        out["ef_search"] = search.params.hnsw_ef_search
    elif index_type == "ivf":
        out["nprobe"] = search.params.ivf_nprobe
    if search.rerank:
        out["k_factor"] = search.rerank
    if search.threads:
        out["threads"] = search.threads
    return out


@contextmanager
def faiss_threads(threads: int | None) -> Iterator[None]:
    import faiss

    default = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads or default)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(default)


def open_index(
    spec: Spec, path: Path, search: Search, index_type: str
) -> DenseIndex | RerankedIVFPQ:
    params = replace(search.params, type=index_type)
    if spec.rerank:
        return RerankedIVFPQ.load(path, params, search.rerank)
    return DenseIndex.load(path, params)  # the product loads and sets search knobs this way


@dataclass
class Row:
    size: int
    index: str
    build_params: dict[str, Any]
    search_params: dict[str, int]
    build_s: float | None = None
    build_peak_mb: float | None = None  # RSS growth while building (training buffers included)
    file_mb: float | None = None  # the saved index (what `knowledge build` writes as dense.faiss)
    load_s: float | None = None
    # RSS growth from the first load of the saved index (its cost when serving)
    serve_mb: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    recall_at_10: float | None = None
    meets_target: bool = False
    load_avg: float | None = None
    error: str | None = None


@dataclass
class Workload:
    base: np.ndarray
    queries: np.ndarray
    kth_scores: np.ndarray  # exact k-th best score per query


def time_queries(
    index: DenseIndex | RerankedIVFPQ, queries: np.ndarray, k: int
) -> tuple[list[float], list[np.ndarray]]:
    """Single-query latency, as a chat turn issues it; also returns the ids found."""
    for q in queries[:WARM_UP]:
        index.search(q[None, :], k)
    times, found = [], []
    for q in queries:
        start = time.perf_counter()
        _, ids = index.search(q[None, :], k)
        times.append((time.perf_counter() - start) * 1000)
        found.append(ids[0])
    return times, found


def measure(spec: Spec, work: Workload, tmp: Path, target: tuple[float, float]) -> list[Row]:
    """Build once, save, then load with each search setting and time single queries."""
    size = len(work.base)
    describe = built_params(spec.build, size)
    gc.collect()
    before = rss_mb()
    load_avg = load1()
    try:
        with peak_rss() as peak:
            start = time.perf_counter()
            built = (RerankedIVFPQ if spec.rerank else DenseIndex).build(work.base, spec.build)
            build_s = time.perf_counter() - start
    except (KnowledgeError, RuntimeError, ValueError) as exc:  # e.g. too few points to train PQ
        return [
            Row(
                size,
                spec.label,
                describe,
                {},
                error=str(exc).splitlines()[0][:200],
                load_avg=load_avg,
            )
        ]
    effective = built.params
    path = tmp / "dense.faiss"
    built.save(path)
    file_mb = path.stat().st_size / 2**20
    del built
    gc.collect()
    rows: list[Row] = []
    searches = spec.searches if effective.type == spec.build.type else (Search(effective),)
    for search in searches:
        gc.collect()
        loaded_before = rss_mb()
        start = time.perf_counter()
        index = open_index(spec, path, search, effective.type)
        load_s = time.perf_counter() - start
        # Only the first load is measured: later ones reuse heap memory freed by the previous one.
        serve_mb = rss_mb() - loaded_before if not rows else rows[0].serve_mb or 0.0
        row_load = load1()
        with faiss_threads(search.threads):
            times, found = time_queries(index, work.queries, K)
        del index
        recall = recall_at_k(work.base, work.queries, work.kth_scores, found, K)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        label = (
            spec.label
            if effective.type == spec.build.type
            else f"{spec.label} (built as {effective.type})"
        )
        rows.append(
            Row(
                size,
                label,
                built_params(effective, size) if effective.type != spec.build.type else describe,
                search_params(search, effective.type),
                round(build_s, 2),
                round(peak() - before, 1),
                round(file_mb, 1),
                round(load_s, 3),
                round(serve_mb, 1),
                round(p50, 3),
                round(p95, 3),
                round(recall, 4),
                p50 <= target[0] and recall >= target[1],
                row_load,
            )
        )
        print(
            f"  {size:>9,} {rows[-1].index:<14} {rows[-1].search_params!s:<30} p50 {p50:8.2f} ms  "
            f"recall@10 {recall:.3f}",
            file=sys.stderr,
        )
    path.unlink(missing_ok=True)
    gc.collect()
    return rows


# ---------------------------------------------------------------- BM25 at scale (optional)


@dataclass
class LexicalRow:
    size: int
    vocabulary: int
    mean_tokens: float
    build_s: float
    build_peak_mb: float
    p50_ms: float
    p95_ms: float
    load_avg: float


def bench_bm25(
    sizes: Sequence[int], settings: Settings, questions: Sequence[str], seed: int
) -> list[LexicalRow]:
    """bm25s over passages recombined from 1-3 real sentences, tokenised as the product does."""
    from knowledge.index import current_build
    from knowledge.lexical import LexicalIndex, Tokenizer
    from knowledge.types import Passage

    build = current_build(settings.index_dir)
    if build is None:
        raise SystemExit("no built index for the BM25 text: run `.venv/bin/knowledge build` first")
    lines = (build / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    passages = [Passage.from_dict(json.loads(line)) for line in lines if line.strip()]
    tokenizer = Tokenizer(settings.cache_dir)
    # jieba cuts a concatenation of sentences as it cuts each one, so sentences are tokenised once.
    sentence_tokens = [
        t for t in (tokenizer.tokens(s) for p in passages for s in p.sentence_texts()) if t
    ]
    query_tokens = [tokenizer.tokens(q) for q in questions]
    rows: list[LexicalRow] = []
    for n in sizes:
        rng = np.random.default_rng(seed + n)
        picks = rng.integers(0, len(sentence_tokens), (n, 3))
        lengths = rng.integers(1, 4, n)
        docs = [[t for j in picks[i, : lengths[i]] for t in sentence_tokens[j]] for i in range(n)]
        gc.collect()
        before, load_avg = rss_mb(), load1()
        with peak_rss() as peak:
            start = time.perf_counter()
            index = LexicalIndex.build(docs)
            build_s = time.perf_counter() - start
        vocabulary = len({t for d in docs[:50_000] for t in d})
        mean_tokens = float(np.mean([len(d) for d in docs]))
        del docs
        for q in query_tokens[:WARM_UP]:
            index.search(q, settings.candidates)
        times = []
        for q in query_tokens:
            start = time.perf_counter()
            index.search(q, settings.candidates)
            times.append((time.perf_counter() - start) * 1000)
        rows.append(
            LexicalRow(
                n,
                vocabulary,
                round(mean_tokens, 1),
                round(build_s, 2),
                round(peak() - before, 1),
                round(percentile(times, 50), 3),
                round(percentile(times, 95), 3),
                load_avg,
            )
        )
        print(
            f"  bm25 {n:>9,} build {build_s:.1f} s  p50 {rows[-1].p50_ms:.2f} ms", file=sys.stderr
        )
        del index
        gc.collect()
    return rows


# ---------------------------------------------------------------- inputs


def real_vectors(path: Path | None, settings: Settings) -> np.ndarray:
    """The built index's sentence vectors plus its passage vectors (when a flat/HNSW index allows)."""
    if path is not None:
        return _load_matrix(path)
    from knowledge.index import current_build

    build = current_build(settings.index_dir)
    if build is None:
        raise SystemExit(
            f"no built index in {settings.index_dir}: run `.venv/bin/knowledge build` first"
        )
    vectors = [np.load(build / "sentences.npy")]
    try:
        import faiss

        dense = faiss.read_index(str(build / "dense.faiss"))
        vectors.append(dense.reconstruct_n(0, dense.ntotal))
    except RuntimeError:
        pass  # IVF without a direct map cannot give its vectors back; sentences suffice
    return np.vstack(vectors).astype(np.float32)


def real_queries(path: Path | None, settings: Settings, questions: Sequence[str]) -> np.ndarray:
    if path is not None:
        return _load_matrix(path)
    from knowledge.embed import make_embedder

    return make_embedder(settings).embed_queries(list(questions))


def question_texts() -> list[str]:
    from knowledge.evaluate import DEFAULT_SET, load_cases

    sets = [DEFAULT_SET, DEFAULT_SET.with_name("probe_questions.yml")]
    texts = [case.question for path in sets if path.exists() for case in load_cases(path)]
    return list(dict.fromkeys(texts))


def _load_matrix(path: Path) -> np.ndarray:
    try:
        matrix = np.load(path)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot read vectors from {path}: {exc}") from None
    if matrix.ndim != 2 or len(matrix) < 2 or not np.isfinite(matrix).all():
        raise SystemExit(
            f"{path}: expected a finite 2-D array of at least 2 vectors, got shape {matrix.shape}"
        )
    return normalise(matrix)


# ---------------------------------------------------------------- report


@dataclass
class Report:
    config: dict[str, Any]
    machine: dict[str, Any]
    similarity: dict[str, Any]
    results: list[Row] = field(default_factory=list)
    bm25: list[LexicalRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "machine": self.machine,
            "similarity": self.similarity,
            "results": [asdict(r) for r in self.results],
            "best": best_per_size(self.results),
            "bm25": [asdict(r) for r in self.bm25],
        }


def best_per_size(rows: Sequence[Row]) -> dict[str, dict[str, Any] | None]:
    """Per size, the fastest (p50) setting that meets the target, if any."""
    out: dict[str, dict[str, Any] | None] = {}
    for size in sorted({r.size for r in rows}):
        ok = [r for r in rows if r.size == size and r.meets_target]
        best = min(ok, key=lambda r: r.p50_ms or 0.0) if ok else None
        out[str(size)] = (
            None
            if best is None
            else {
                "index": best.index,
                "search": best.search_params,
                "p50_ms": best.p50_ms,
                "recall_at_10": best.recall_at_10,
            }
        )
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items()) or "-"
    return str(value)


def similarity_text(sim: dict[str, Any]) -> str:
    if "shrinkage" not in sim:
        return f"Real vectors from {sim['source']}: cosine of random pairs mean {sim['real_pairs']['mean']}."
    sizes = "; ".join(
        f"{int(n):,}: pairs {v['pairs']['mean']} / {v['pairs']['p99']}, query top-1 {v['query_top1']}, "
        f"top-10 {v['query_top10']}"
        for n, v in sim["per_size"].items()
    )
    return (
        f"Cosine of random pairs (mean / p99): real e5 passage vectors {sim['real_pairs']['mean']} / "
        f"{sim['real_pairs']['p99']} ({sim['real_vectors']} vectors); real query vs real passage "
        f"{sim['real_query_vs_real']['mean']} / {sim['real_query_vs_real']['p99']}. Synthetic "
        f"(shrinkage {sim['shrinkage']}, Ledoit-Wolf would be {sim['ledoit_wolf']}; {sim['within']} of "
        f"the spread within topics of ~{sim['topic_size']}) per size: {sizes}. Synthetic query vs the "
        f"real query it was drawn from: {sim['query_vs_source']}."
    )


def markdown(report: Report) -> str:
    target_ms, target_recall = report.config["target_ms"], report.config["target_recall"]
    sim, machine = report.similarity, report.machine
    lines = [
        "# Vector index at scale",
        "",
        f"Machine: {machine['cpus']} CPUs, FAISS {machine['faiss']} ({machine['faiss_threads']} threads), "
        f"load average 1 min during the run: min {machine['load_min']}, mean {machine['load_mean']}, "
        f"max {machine['load_max']} (shared machine). Dimension {sim['dim']}, {report.config['queries']} "
        f"single queries per setting, k={K}.",
        "",
        similarity_text(sim),
        "",
        f"Target: p50 <= {target_ms} ms and recall@10 >= {target_recall}.",
        "",
        "| size | index | build | search | build s | build +MB | file MB | load s | serve +MB "
        "| p50 ms | p95 ms | recall@10 | target | load avg |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|",
    ]
    for r in report.results:
        if r.error:
            lines.append(
                f"| {r.size:,} | {r.index} | {_cell(r.build_params)} | - | error: {r.error} "
                "| | | | | | | | | |"
            )
            continue
        build = {
            k: v for k, v in r.build_params.items() if k not in ("type", "ef_search", "nprobe")
        }
        lines.append(
            "| "
            + " | ".join(
                _cell(v)
                for v in (
                    f"{r.size:,}",
                    r.index,
                    build,
                    r.search_params,
                    r.build_s,
                    r.build_peak_mb,
                    r.file_mb,
                    r.load_s,
                    r.serve_mb,
                    r.p50_ms,
                    r.p95_ms,
                    r.recall_at_10,
                    r.meets_target,
                    r.load_avg,
                )
            )
            + " |"
        )
    lines += ["", "Fastest setting meeting the target per size:", ""]
    for size, best in best_per_size(report.results).items():
        text = (
            "none"
            if best is None
            else (
                f"{best['index']} {_cell(best['search'])}: p50 {best['p50_ms']} ms, recall@10 {best['recall_at_10']}"
            )
        )
        lines.append(f"- {int(size):,}: {text}")
    if report.bm25:
        lines += [
            "",
            "BM25 (bm25s) over recombined real sentences, jieba tokens, "
            f"top {report.config['candidates']} per query:",
            "",
            "| size | vocabulary | tokens/doc | build s | build +MB | p50 ms | p95 ms | load avg |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for b in report.bm25:
            lines.append(
                f"| {b.size:,} | {b.vocabulary:,} | {b.mean_tokens} | {b.build_s} | {b.build_peak_mb} "
                f"| {b.p50_ms} | {b.p95_ms} | {b.load_avg} |"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- command line


def int_list(text: str) -> list[int]:
    """'10000,100k,1M' -> [10000, 100000, 1000000]; every value must be positive."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1].lower(), 1)
        digits = part[:-1] if scale > 1 else part
        try:
            value = int(float(digits) * scale)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {part!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {part!r}")
        out.append(value)
    if not out:
        raise argparse.ArgumentTypeError("give at least one value")
    return out


def type_list(text: str) -> list[str]:
    types = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = sorted(set(types) - set(TYPES))
    if unknown or not types:
        raise argparse.ArgumentTypeError(
            f"unknown index type(s) {unknown}: use some of {', '.join(TYPES)}"
        )
    return list(dict.fromkeys(types))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sizes",
        type=int_list,
        default=[10_000, 100_000, 1_000_000],
        help="corpus sizes (10k, 1M ok)",
    )
    p.add_argument(
        "--types",
        type=type_list,
        default=list(DEFAULT_TYPES),
        help=f"index types, from {','.join(TYPES)} (ivfpq-rerank is not in DenseIndex)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes (2k, 10k) and 50 queries: a check, not figures",
    )
    p.add_argument("--queries", type=int, default=300, help="single queries timed per setting")
    p.add_argument("--hnsw-m", type=int_list, default=[32], help="HNSW M values (one build each)")
    p.add_argument("--ef-construction", type=int, default=DenseParams().hnsw_ef_construction)
    p.add_argument(
        "--ef-search", type=int_list, default=[32, 64, 128, 256, 512], help="HNSW efSearch values"
    )
    p.add_argument(
        "--nlist",
        type=int,
        default=0,
        help="IVF lists (0 = the product's default, about 4*sqrt(n))",
    )
    p.add_argument(
        "--nprobe", type=int_list, default=[16, 32, 64, 128, 256], help="IVF nprobe values"
    )
    p.add_argument(
        "--pq-m",
        type=int_list,
        default=[48],
        help="IVF-PQ sub-quantisers (must divide the dimension)",
    )
    p.add_argument(
        "--rerank-factor", type=int, default=8, help="ivfpq-rerank: candidates re-scored per result"
    )
    p.add_argument(
        "--bm25-sizes", type=int_list, default=None, help="also time BM25 at these sizes"
    )
    # Defaults calibrated on 10k real e5 vectors: synthetic data fitted on 76 of them gave HNSW and
    # IVF recall curves within about 0.05 of the real ones (docs/scale.md, "Is synthetic data fair?").
    p.add_argument(
        "--shrinkage", type=float, default=0.3, help="covariance shrinkage towards isotropy, [0, 1]"
    )
    p.add_argument(
        "--within", type=float, default=0.7, help="share of the spread inside a topic (0-1]"
    )
    p.add_argument("--topic-size", type=int, default=200, help="mean passages per synthetic topic")
    p.add_argument(
        "--query-noise", type=float, default=1.0, help="query noise, in units of the corpus spread"
    )
    p.add_argument("--target-ms", type=float, default=30.0)
    p.add_argument("--target-recall", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--real-vectors", type=Path, help=".npy of real passage vectors (default: the built index)"
    )
    p.add_argument(
        "--real-queries",
        type=Path,
        help=".npy of real query vectors (default: embed the eval questions)",
    )
    p.add_argument(
        "--corpus-vectors",
        type=Path,
        help=".npy of real passage vectors to measure as they are (no synthesis; --sizes ignored)",
    )
    p.add_argument(
        "--corpus-queries", type=Path, help=".npy of real query vectors for --corpus-vectors"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "var" / "bench",
        help="folder for scale.json and scale.md",
    )
    args = p.parse_args(argv)
    if (args.corpus_vectors is None) != (args.corpus_queries is None):
        p.error("--corpus-vectors and --corpus-queries go together")
    if args.quick:
        args.sizes, args.queries = [2_000, 10_000], 50
    if (
        args.queries < 1
        or not 0 < args.within <= 1
        or args.topic_size < 1
        or args.query_noise < 0
        or args.rerank_factor < 1
        or not 0 <= args.shrinkage <= 1
    ):
        p.error(
            "--queries, --topic-size and --rerank-factor must be >= 1, --within in (0, 1], "
            "--shrinkage in [0, 1], --query-noise >= 0"
        )
    return args


def load_inputs(args: argparse.Namespace, settings: Settings, questions: Sequence[str]):
    """(fitted space, corpus vectors or None, query vectors, similarity facts)."""
    if args.corpus_vectors is not None:  # measure on the given real vectors, no synthesis
        corpus, queries = _load_matrix(args.corpus_vectors), _load_matrix(args.corpus_queries)
        if queries.shape[1] != corpus.shape[1]:
            raise SystemExit(
                f"query vectors have dimension {queries.shape[1]}, corpus {corpus.shape[1]}"
            )
        rng = np.random.default_rng(args.seed)
        queries = queries[rng.permutation(len(queries))[: args.queries]]
        facts = {
            "dim": corpus.shape[1],
            "source": str(args.corpus_vectors),
            "real_pairs": cosine_summary(pair_cosines(corpus, rng)),
        }
        return None, corpus, queries, facts
    real = real_vectors(args.real_vectors, settings)
    real_q = real_queries(args.real_queries, settings, questions)
    if real_q.shape[1] != real.shape[1]:
        raise SystemExit(
            f"query vectors have dimension {real_q.shape[1]}, passages {real.shape[1]}"
        )
    space = fit_space(real, args.shrinkage)
    rng = np.random.default_rng(args.seed)
    queries = synthetic_queries(space, real_q, args.queries, rng, args.query_noise)
    facts = {
        "dim": space.dim,
        "real_vectors": len(real),
        "real_queries": len(real_q),
        "shrinkage": round(space.shrinkage, 3),
        "ledoit_wolf": round(fit_space(real).shrinkage, 3),
        "within": args.within,
        "topic_size": args.topic_size,
        "real_pairs": cosine_summary(pair_cosines(real, rng)),
        "real_query_vs_real": cosine_summary((real_q @ real.T).ravel()),
        "query_vs_source": round(float(np.mean(np.max(queries @ real_q.T, axis=1))), 4),
    }
    return space, None, queries, facts


def write(report: Report, out: Path, final: bool) -> None:
    """Written after every index too, so a long run that dies still leaves its figures."""
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(report)
    (out / "scale.json").write_text(
        json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out / "scale.md").write_text(
        text if final else text + "\n(run in progress)\n", encoding="utf-8"
    )
    if final:
        print(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    import faiss

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    needs_questions = (args.real_queries is None and args.corpus_vectors is None) or args.bm25_sizes
    questions = question_texts() if needs_questions else []
    space, corpus, queries, facts = load_inputs(args, settings, questions)
    sizes = [len(corpus)] if corpus is not None else args.sizes
    report = Report(
        config={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        | {"sizes": sizes, "queries": len(queries), "k": K, "candidates": settings.candidates},
        machine={
            "cpus": os.cpu_count(),
            "faiss": faiss.__version__,
            "faiss_threads": faiss.omp_get_max_threads(),
        },
        similarity=facts | {"per_size": {}},
    )
    target = (args.target_ms, args.target_recall)
    with load_sampler() as loads, tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        for size in sizes:
            print(f"size {size:,}: preparing", file=sys.stderr)
            size_rng = np.random.default_rng(args.seed + size)
            if corpus is not None:
                base = corpus
            else:
                assert space is not None
                base = synthetic_corpus(space, size, size_rng, args.within, args.topic_size)
            kth_scores, _ = exact_top_k(base, queries, K)
            pairs = cosine_summary(pair_cosines(base, size_rng))
            report.similarity.setdefault("synthetic_pairs", pairs)
            report.similarity["per_size"][str(size)] = {
                "pairs": pairs,
                "query_top1": round(float(exact_top_k(base, queries, 1)[0].mean()), 4),
                "query_top10": round(float(kth_scores[:, -1].mean()), 4),
            }
            work = Workload(base, queries, kth_scores[:, -1])
            for spec in specs_for(args.types, args, base.shape[1]):
                report.results += measure(spec, work, Path(tmp), target)
                report.machine |= loads()
                write(report, args.out, final=False)
            del base, work
            gc.collect()
        if args.bm25_sizes:
            report.bm25 = bench_bm25(args.bm25_sizes, settings, questions, args.seed)
        report.machine |= loads()
    write(report, args.out, final=True)
    print(f"written to {args.out / 'scale.json'} and {args.out / 'scale.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
