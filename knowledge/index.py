"""Build, publish and load the knowledge index.

Layout under `settings.index_dir`:

    builds/<build id>/      one complete build: manifest.json, dense.faiss, passages.jsonl,
                            sentences.npy, term_df.json, glossary.json, compounds.json, sounds.json,
                            articles.json, bm25/
    current -> builds/<id>  the published build (a symlink, swapped atomically)

`articles.json` holds each article's metadata (knowledge.meta) and passage count, as built;
the service refreshes dates, URLs and expiry from the folder without a rebuild (knowledge.catalog).

A build is written into a temporary folder, renamed into `builds/`, and only then
published by replacing the `current` link; readers therefore see either the old
or the new build, never a half-written one. Embeddings are cached by text, so a
rebuild embeds only passages it has not seen, and a corpus whose files, chunking
and embedder are unchanged is not rebuilt at all.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.chunk import chunk_articles
from knowledge.dense import DenseIndex, DenseParams
from knowledge.embed import Embedder
from knowledge.embed_cache import EmbeddingCache
from knowledge.errors import IndexNotReadyError, KnowledgeError
from knowledge.fitted import MODELS, FittedModels
from knowledge.glossary import build_glossary, dictionary_lines, glossary_fingerprint, head_compounds
from knowledge.ingest import read_articles, source_hashes
from knowledge.lexical import LexicalIndex, Tokenizer
from knowledge.meta import ArticleMeta
from knowledge.settings import Settings
from knowledge.spelling import sound_table
from knowledge.suggest import Suggestion
from knowledge.suggest import load as load_suggestions
from knowledge.types import Passage

FORMAT_VERSION = 9  # bump when what a build contains changes (forces a rebuild); 9: compounds.json
MANIFEST = "manifest.json"
CURRENT = "current"
KEEP_BUILDS = 3  # older builds are pruned; a few are kept for servers still reading them
FIX = "run `knowledge build`"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def dense_params(settings: Settings) -> DenseParams:
    return DenseParams(
        type=settings.index_type,
        hnsw_m=settings.hnsw_m,
        hnsw_ef_construction=settings.hnsw_ef_construction,
        hnsw_ef_search=settings.hnsw_ef_search,
        ivf_nlist=settings.ivf_nlist,
        ivf_nprobe=settings.ivf_nprobe,
        ivf_pq_m=settings.ivf_pq_m,
    )


def expected_signature(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """Everything that determines the index's content: if it is unchanged, so is the index."""
    return {
        "format": FORMAT_VERSION,
        "embedder": {"backend": settings.embed_backend, "model_id": embedder.model_id},
        "chunking": {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap},
        "index": dense_params(settings).describe(),
        "sources": source_hashes(settings.articles_dir),
        "glossary": glossary_fingerprint(),  # the shipped vocabulary shapes glossary.json
        "fit": {"precision": settings.judge_precision, "features": feature_fingerprint(),
                "code": fit_fingerprint()},
    }


# The modules whose code shapes the fitted models: generated questions, features, fitting.
FITTED_FROM = (
    "facts.py", "analysis.py", "spelling.py", "lexicon.py", "generate.py", "ranking.py", "judge.py", "fit.py", "models.py",
    "suggest.py", "glossary.py",
)


def feature_fingerprint() -> str:
    """Changes when the ranker's or judge's features do: their fitted weights are then stale."""
    import hashlib

    from knowledge.judge import JUDGE_FEATURES
    from knowledge.ranking import FEATURES

    return hashlib.sha256("|".join((*FEATURES, "/", *JUDGE_FEATURES)).encode()).hexdigest()[:12]


def fit_fingerprint() -> str:
    """Changes when the code that generates questions or fits the models does: refit then."""
    import hashlib

    digest = hashlib.sha256()
    for name in FITTED_FROM:
        digest.update((Path(__file__).resolve().parent / name).read_bytes())
    return digest.hexdigest()[:12]


def embedding_text(passage: Passage) -> str:
    """The section heading gives a passage the context its sentences leave implicit."""
    return f"{passage.section}\n{passage.text}" if passage.section else passage.text


def current_build(index_dir: Path) -> Path | None:
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def read_manifest(build: Path) -> dict[str, Any]:
    try:
        return json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexNotReadyError(f"the index at {build} has no readable manifest ({exc}): {FIX}") from exc


def is_up_to_date(settings: Settings, embedder: Embedder) -> bool:
    build = current_build(settings.index_dir)
    if build is None:
        return False
    try:
        manifest = read_manifest(build)
    except IndexNotReadyError:
        return False
    signature = expected_signature(settings, embedder)
    return all(manifest.get(key) == value for key, value in signature.items())


@dataclass(frozen=True)
class BuildReport:
    status: str  # "built" or "up-to-date"
    build: Path
    passages: int
    sentences: int
    embedded: int  # texts actually embedded (the rest came from the cache)
    seconds: float


def build_index(
    settings: Settings, embedder: Embedder, *, force: bool = False, progress: Progress | None = None
) -> BuildReport:
    """Build and publish the index unless it is already up to date (or `force`)."""
    started = time.perf_counter()
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; readers never wait
        if not force and is_up_to_date(settings, embedder):
            build = current_build(settings.index_dir)
            assert build is not None
            manifest = read_manifest(build)
            return BuildReport("up-to-date", build, manifest["counts"]["passages"],
                               manifest["counts"]["sentences"], 0, time.perf_counter() - started)
        return _build(settings, embedder, progress, started)


def _build(settings: Settings, embedder: Embedder, progress: Progress | None, started: float) -> BuildReport:
    signature = expected_signature(settings, embedder)
    articles = list(read_articles(settings.articles_dir, settings.max_article_bytes))
    passages = chunk_articles(articles, settings.chunk_size, settings.chunk_overlap)
    if not passages:
        raise KnowledgeError(f"no passages: add articles to {settings.articles_dir}")
    sentences = [s for p in passages for s in p.sentence_texts()]

    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite", embedder.model_id, embedder.dim)
    total = len(passages) + len(sentences)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("embedding", done, total)

    passage_vectors, computed_p = cache.embed(
        "passage", [embedding_text(p) for p in passages], embedder.embed_passages, tick
    )
    sentence_vectors, computed_s = cache.embed("passage", sentences, embedder.embed_passages, tick)

    if progress:
        progress("indexing", 0, 1)
    tokenizer = Tokenizer(settings.cache_dir)
    corpus_tokens = [tokenizer.tokens(embedding_text(p)) for p in passages]
    dense = DenseIndex.build(passage_vectors, dense_params(settings))
    lexical = LexicalIndex.build(corpus_tokens)
    term_df = Counter(term for toks in corpus_tokens for term in set(toks))
    dictionary = list(dictionary_lines())  # CC-CEDICT, read once for the glossary and the compounds
    glossary = build_glossary(set(term_df), dictionary=dictionary)
    compounds = head_compounds(glossary, set(term_df), dictionary)

    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    builds = settings.index_dir / "builds"
    builds.mkdir(exist_ok=True)
    tmp = builds / f".{build_id}.tmp"
    tmp.mkdir()
    try:
        dense.save(tmp / "dense.faiss")
        lexical.save(tmp / "bm25")
        np.save(tmp / "sentences.npy", sentence_vectors)
        (tmp / "term_df.json").write_text(json.dumps({"n": len(passages), "df": term_df}, ensure_ascii=False))
        (tmp / "glossary.json").write_text(json.dumps(glossary, ensure_ascii=False))
        (tmp / "compounds.json").write_text(json.dumps(compounds, ensure_ascii=False), encoding="utf-8")
        (tmp / "sounds.json").write_text(json.dumps(sound_table(), ensure_ascii=False), encoding="utf-8")
        per_article = Counter(p.source for p in passages)
        catalog = {a.source: {"title": a.clean.title, "meta": a.meta.to_dict(), "passages": per_article[a.source]}
                   for a in articles}
        (tmp / "articles.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
        with open(tmp / "passages.jsonl", "w", encoding="utf-8") as fh:
            for p in passages:
                fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        manifest = {
            **signature,
            "build_id": build_id,
            "created": datetime.now(UTC).isoformat(),
            "dim": embedder.dim,
            # "index" (from the signature) is what was asked for and decides freshness;
            # this is what was built (IVF falls back to flat on a corpus too small to train).
            "effective_index": dense.params.describe(),
            "counts": {"articles": len(articles), "passages": len(passages), "sentences": len(sentences)},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _fit(settings, embedder, tmp, progress)
        final = builds / build_id
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _publish(settings.index_dir, final)
    _prune(builds, keep=final)
    if progress:
        progress("indexing", 1, 1)
    return BuildReport("built", final, len(passages), len(sentences), computed_p + computed_s,
                       time.perf_counter() - started)


def _fit(settings: Settings, embedder: Embedder, build: Path, progress: Progress | None) -> None:
    """Fit the ranker and judge on questions generated from this build, and store them in it."""
    from knowledge.fit import fit_index

    index = KnowledgeIndex.load(settings, embedder, build)  # no models.json yet: unfitted
    fit_index(settings, embedder, index, progress=progress).save(build / MODELS)
    _suggest(settings, embedder, build)


def _suggest(settings: Settings, embedder: Embedder, build: Path) -> None:
    """The related questions offered to users: those the fitted build answers (knowledge.suggest)."""
    from knowledge import suggest
    from knowledge.pipeline import Pipeline

    fitted = KnowledgeIndex.load(settings, embedder, build)
    suggest.save(suggest.build(Pipeline(settings, embedder, fitted, Tokenizer(settings.cache_dir))), build)


def _publish(index_dir: Path, build: Path) -> None:
    tmp_link = index_dir / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(build, index_dir), tmp_link)
    os.replace(tmp_link, index_dir / CURRENT)  # atomic on POSIX


def _prune(builds: Path, keep: Path) -> None:
    finished = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in finished[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class KnowledgeIndex:
    """A loaded build: everything retrieval needs, in memory."""

    build: Path
    manifest: dict[str, Any]
    passages: list[Passage]
    dense: DenseIndex
    lexical: LexicalIndex
    sentence_vectors: np.ndarray  # rows follow passages' sentences in order
    sentence_offsets: np.ndarray  # passage i owns rows [offsets[i], offsets[i+1])
    term_df: dict[str, int]
    glossary: dict[str, list[str]]  # English stem -> corpus words (see knowledge.glossary)
    models: FittedModels = field(default_factory=FittedModels)  # fitted at build time (knowledge.fit)
    articles: dict[str, ArticleMeta] = field(default_factory=dict)  # source -> metadata, as built
    suggestions: list[Suggestion] = field(default_factory=list)  # questions it answers (knowledge.suggest)
    sounds: dict[str, str] = field(default_factory=dict)  # character -> reading (knowledge.spelling)
    compounds: dict[str, list[str]] = field(default_factory=dict)  # English stem -> corpus words it heads

    @cached_property
    def article_texts(self) -> dict[str, str]:
        """Source → its title, headings and text, lowercased: what a sentence's article says."""
        parts: dict[str, list[str]] = {}
        for passage in self.passages:
            parts.setdefault(passage.source, [passage.title]).append(f"{passage.section} {passage.text}")
        return {source: " ".join(texts).lower() for source, texts in parts.items()}

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder, build: Path | None = None) -> KnowledgeIndex:
        build = build or current_build(settings.index_dir)
        if build is None:
            raise IndexNotReadyError(f"no index in {settings.index_dir}: {FIX}")
        manifest = read_manifest(build)
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexNotReadyError(f"the index at {build} has an old format: {FIX}")
        built_with = manifest.get("embedder", {}).get("model_id")
        if built_with != embedder.model_id:
            raise IndexNotReadyError(
                f"the index was built with {built_with!r} but the configured embedder is "
                f"{embedder.model_id!r}: {FIX} (or configure the embedder it was built with)"
            )
        try:
            passages = [
                Passage.from_dict(json.loads(line))
                for line in (build / "passages.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
            params = replace(dense_params(settings), type=manifest["effective_index"]["type"])
            dense = DenseIndex.load(build / "dense.faiss", params)
            lexical = LexicalIndex.load(build / "bm25")
            sentence_vectors = np.load(build / "sentences.npy")
            term_data = json.loads((build / "term_df.json").read_text(encoding="utf-8"))
            glossary = json.loads((build / "glossary.json").read_text(encoding="utf-8"))
            sounds = json.loads((build / "sounds.json").read_text(encoding="utf-8"))
            compounds = json.loads((build / "compounds.json").read_text(encoding="utf-8"))
            models = FittedModels.load(build / MODELS) if (build / MODELS).exists() else FittedModels()
            catalog = json.loads((build / "articles.json").read_text(encoding="utf-8"))
            articles = {source: ArticleMeta.from_dict(entry["meta"], source) for source, entry in catalog.items()}
            if manifest.get("fit", {}).get("features") != feature_fingerprint():
                raise IndexNotReadyError(f"the index at {build} was fitted with other features: {FIX}")
        except (OSError, ValueError, KeyError, TypeError, KnowledgeError) as exc:
            raise IndexNotReadyError(f"the index at {build} is incomplete or corrupt ({exc}): {FIX}") from exc
        counts = manifest.get("counts", {})
        offsets = np.cumsum([0] + [len(p.sentences) or 1 for p in passages])
        if (
            len(passages) != counts.get("passages")
            or dense.size != len(passages)
            or dense.dim != manifest.get("dim")
            or sentence_vectors.shape != (counts.get("sentences"), manifest.get("dim"))
            or offsets[-1] != len(sentence_vectors)
        ):
            raise IndexNotReadyError(f"the index at {build} is inconsistent (sizes differ): {FIX}")
        return cls(build, manifest, passages, dense, lexical, sentence_vectors, offsets, term_data["df"], glossary,
                   models, articles, load_suggestions(build), sounds, compounds)

