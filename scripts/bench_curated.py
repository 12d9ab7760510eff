"""What curated answers cost a question: the answer action's curated match + `service.ask`, against
`service.ask` alone, with 0 and N curated answers (two wordings each) in a throwaway SQLite database.

    .venv/bin/python scripts/bench_curated.py [--entries 500] [--rounds 3]

The questions are the dev set's (knowledge/eval/dev_questions.yml); the entries are questions about
numbered buildings ("园区第7号厂房的租金是多少？"), which share words with many real questions, so
the word bound lets fewer of them skip the embedding than real FAQ entries would.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from knowledge.evaluate import load_cases
from knowledge.service import KnowledgeService
from knowledge.settings import PROJECT_ROOT, Settings
from store.db import Database
from store.faq_matcher import LiveFaq
from store.models import FaqEntry, FaqQuestion


def p50_ms(questions: Sequence[str], answer: Callable[[str], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            answer(q)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench_curated.py", description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    service = KnowledgeService.from_settings(Settings.from_env())
    service.warm_up()
    questions = [c.question for c in load_cases(PROJECT_ROOT / "knowledge" / "eval" / "dev_questions.yml")]
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bot.db'}")
        db.upgrade()
        live = LiveFaq(db)
        embed, cache = service.embedder, Path(folder) / "cache"  # a cold cache: every wording embedded

        def with_curated(q: str) -> object:
            return live.match(q, embed, cache) or service.ask(q)

        alone = p50_ms(questions, service.ask, args.rounds)
        empty = p50_ms(questions, with_curated, args.rounds)
        with db.session() as s:
            for i in range(args.entries):
                s.add(FaqEntry(answer=f"第{i}号答复。", questions=[
                    FaqQuestion(text=f"园区第{i}号厂房的租金是多少？"), FaqQuestion(text=f"{i}号厂房租金多少钱？")]))
        started = time.perf_counter()
        live.refresh(embed, cache)
        live.wait_loaded()
        load = time.perf_counter() - started
        loaded = p50_ms(questions, with_curated, args.rounds)
        started = time.perf_counter()
        with db.session() as s:  # one more entry: what a reload costs once the others are embedded
            s.add(FaqEntry(answer="新答复。", questions=[FaqQuestion(text="园区食堂的菜单是什么？")]))
        hit = live.match("园区食堂的菜单是什么？", embed, cache)
        approve_to_use = time.perf_counter() - started
        assert hit is not None
        db.dispose()
    print(f"{len(questions)} dev questions x {args.rounds}, p50 per question:")
    print(f"  service.ask alone                      {alone:6.1f} ms")
    print(f"  curated match + ask, 0 entries         {empty:6.1f} ms")
    print(f"  curated match + ask, {args.entries} entries       {loaded:6.1f} ms")
    print(f"  first load of {args.entries} entries ({2 * args.entries} wordings embedded, in the background): {load:.1f} s")
    print(f"  a new entry saved -> matched on the next question: {approve_to_use * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
