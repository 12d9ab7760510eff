"""`make bench`: speed and memory figures of the knowledge library on this machine.

Prints a table and writes it to var/bench/knowledge.json. Not a test: numbers
depend on the machine and its load; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.embed import make_embedder  # noqa: E402
from knowledge.evaluate import DEFAULT_SET, load_cases  # noqa: E402
from knowledge.index import build_index  # noqa: E402
from knowledge.service import KnowledgeService  # noqa: E402
from knowledge.settings import Settings  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the dev questions")
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = make_embedder(settings)
    rows: dict[str, object] = {}

    with tempfile.TemporaryDirectory() as tmp:
        cold = replace(settings, index_dir=Path(tmp) / "index", cache_dir=Path(tmp) / "cache")
        embedder.embed_queries(["warm up"])
        report = build_index(cold, embedder)
        rows["build: passages"] = report.passages
        rows["build: cold, s (clean+chunk+embed+index)"] = round(report.seconds, 2)
        rows["build: passages/s"] = round(report.passages / report.seconds, 1)
        again = build_index(cold, embedder)
        rows["rebuild unchanged corpus, ms"] = round(again.seconds * 1000, 1)

    build_index(settings, embedder)
    service = KnowledgeService.from_settings(settings, embedder)
    questions = [c.question for c in load_cases(DEFAULT_SET) if c.previous is None]
    service.warm_up()
    embed_ms = timed(lambda: embedder.embed_queries(["科创中心占地多少亩？"]), 50)
    rows["embed one query: p50 / p95 ms"] = f"{percentile(embed_ms, 50):.1f} / {percentile(embed_ms, 95):.1f}"
    ask_ms: list[float] = []
    for _ in range(args.rounds):
        for q in questions:
            ask_ms += timed(lambda q=q: service.ask(q), 1)
    rows["ask (embed+dense+BM25+fusion+answer): p50 / p95 ms"] = (
        f"{percentile(ask_ms, 50):.1f} / {percentile(ask_ms, 95):.1f}"
    )
    rows["ask: questions timed"] = len(ask_ms)
    rows["process peak RSS, MB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    width = max(len(k) for k in rows)
    print(f"knowledge library on this machine (backend {embedder.model_id}, {settings.index_type} index)")
    for key, value in rows.items():
        print(f"  {key:<{width}}  {value}")
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "knowledge.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2))
    print(f"  median ask {statistics.median(ask_ms):.1f} ms; written to {out / 'knowledge.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
