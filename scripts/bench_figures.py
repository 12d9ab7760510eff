"""How long the staff's figures take (`python -m store figures`) over a large question log.

    .venv/bin/python scripts/bench_figures.py                 # 100,000 rows in a temporary SQLite file
    .venv/bin/python scripts/bench_figures.py --rows 1000000 --db postgresql+psycopg://…/scratch

Generates `--rows` questions over 90 days (four channels, 2,000 distinct questions asked with a
Zipf-like frequency, the outcome mix of the dev set: about half answered, a sixth related, the rest
declined, one to three sources from 30 articles) and a vote on 5 % of them, then times
store.figures.compute (the median of `--rounds`) for all days and for the last 7. Not a test:
figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from store.db import Database
from store.figures import Period, compute
from store.models import Feedback, QuestionLog

CHANNELS = ("socketio", "rest", "wechat", "cmdline")
ARTICLES = {f"article-{i:02d}.md": f"Article {i}" for i in range(30)}


def generate(db: Database, rows: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    questions = [f"generated question {i}?" for i in range(2000)]
    weights = [1 / (rank + 1) for rank in range(len(questions))]
    files = list(ARTICLES)
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    batch: list[dict[str, object]] = []
    votes: list[dict[str, object]] = []
    with db.engine.begin() as connection:
        for i in range(rows):
            outcome = rng.choices(("answered", "related", "declined"), (0.5, 0.17, 0.33))[0]
            sources = [] if outcome == "declined" else [
                {"id": f"p{i}-{k}", "source": rng.choice(files[:25]), "title": "", "sentence": "…", "score": 0.9}
                for k in range(rng.randint(1, 3))]  # five articles are never quoted
            batch.append({"message_id": f"gen-{i}", "asked_at": start + timedelta(seconds=rng.randrange(90 * 86400)),
                          "channel": rng.choice(CHANNELS), "sender_hash": f"{rng.randrange(20000):016x}", "lang": "zh",
                          "question": rng.choices(questions, weights)[0], "outcome": outcome, "answer": "",
                          "sources": sources, "probability": rng.random(), "status": "open", "note": ""})
            if rng.random() < 0.05:
                votes.append({"message_id": f"gen-{i}", "rating": rng.choice((1, -1)), "reason": "",
                              "channel": "socketio", "sender_hash": "x", "created_at": start})
            if len(batch) == 10_000:
                connection.execute(insert(QuestionLog), batch)
                batch.clear()
        if batch:
            connection.execute(insert(QuestionLog), batch)
        if votes:
            connection.execute(insert(Feedback), votes)


def timed(db: Database, period: Period, rounds: int) -> tuple[float, int]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        figures = compute(db, ARTICLES, period)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), figures.questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", help="an SQLAlchemy URL of a scratch database (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.upgrade()
        started = time.perf_counter()
        generate(db, args.rows)
        print(f"generated {args.rows} questions in {time.perf_counter() - started:.1f} s ({db.url.get_backend_name()})")
        for name, period in (("all 90 days", Period()), ("last 7 days", Period(date(2026, 11, 23), date(2026, 11, 29)))):
            seconds, questions = timed(db, period, args.rounds)
            print(f"figures, {name} ({questions} questions): median {seconds * 1000:.0f} ms of {args.rounds}")
        db.dispose()


if __name__ == "__main__":
    main()
