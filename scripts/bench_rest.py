"""Round-trip latency of the bot over REST: warm-up, then N sequential requests.

    .venv/bin/python scripts/bench_rest.py [--url http://127.0.0.1:5005] [-n 200]

Needs a running stack (`make run`). Prints p50/p95/max per kind of message:
park questions (NLU + rules + the answer action with retrieval) and greetings
(NLU + rules + a small-talk action).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Sequence

import httpx

QUESTIONS = (
    "科创中心在哪里？",
    "园区重点发展哪些产业？",
    "沙磁英才计划是什么？",
    "What are the park's key industry clusters?",
    "园区有没有人才公寓？",
    "创新公园占地多大？",
)
GREETINGS = ("你好", "hello", "谢谢", "thanks")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(client: httpx.Client, url: str, messages: Sequence[str], n: int, turns: int) -> list[float]:
    timings = []
    sender = uuid.uuid4().hex
    for i in range(n):
        if i % turns == 0:  # a new conversation every `turns` messages, as real users do
            sender = uuid.uuid4().hex
        started = time.perf_counter()
        response = client.post(url, json={"sender": sender, "message": messages[i % len(messages)]})
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        if not response.json():
            raise RuntimeError(f"empty reply to {messages[i % len(messages)]!r}")
        timings.append(elapsed)
    return timings


def report(name: str, timings: list[float]) -> None:
    print(
        f"{name:<10} n={len(timings):<4} p50={statistics.median(timings):6.1f} ms  "
        f"p95={percentile(timings, 0.95):6.1f} ms  max={max(timings):6.1f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="Rasa server base URL")
    parser.add_argument("-n", type=int, default=200, help="requests per kind (default 200)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation")
    args = parser.parse_args(argv)
    url = f"{args.url.rstrip('/')}/webhooks/rest/webhook"
    with httpx.Client(timeout=30) as client:
        measure(client, url, QUESTIONS + GREETINGS, args.warmup, args.turns)
        report("questions", measure(client, url, QUESTIONS, args.n, args.turns))
        report("greetings", measure(client, url, GREETINGS, args.n, args.turns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
