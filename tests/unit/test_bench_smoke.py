"""scripts/bench_rest.py, scripts/bench.py and scripts/eval.py without a model or a bot.

A small fake of the bot's REST webhook (a thread on loopback) stands in for Rasa: it answers
like the real channel (text messages, then a custom payload) and remembers who sent what, so
the load loop, the REST scoring of question files and the tables can be checked in
milliseconds. Nothing here measures speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the scripts import each other by name
    spec.loader.exec_module(module)
    return module


bench_rest = _load("bench_rest")
bench = _load("bench")
eval_script = _load("eval")


# --- a fake bot -------------------------------------------------------------------------


class FakeBot(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []  # (sender, message)
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class FakeHandler(BaseHTTPRequestHandler):
    server: FakeBot

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        bot = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        sender, text = body["sender"], body["message"]
        with bot.lock:
            earlier = [m for s, m in bot.received if s == sender]
            bot.received.append((sender, text))
            bot.in_flight += 1
            bot.max_in_flight = max(bot.max_in_flight, bot.in_flight)
        time.sleep(bot.delay)
        with bot.lock:
            bot.in_flight -= 1
        if "boom" in text:
            self.send_response(500)
            self.end_headers()
            return
        self._json(self._reply(sender, text, earlier))

    @staticmethod
    def _reply(sender: str, text: str, earlier: list[str]) -> list[dict]:
        def answer(snippet: str, passage: str) -> list[dict]:
            source = {"id": "p1", "source": "a.txt", "title": "T", "section": "", "text": passage,
                      "score": 0.5}  # fmt: skip
            return [{"recipient_id": sender, "text": f"根据《T》：{snippet}"},
                    {"recipient_id": sender, "custom": {"grounded": True, "sources": [source]}}]  # fmt: skip

        if text == "你好":
            return [{"recipient_id": sender, "text": "您好！"}]  # small talk: no payload
        if text == "科创中心在哪里？":
            return answer("科创中心位于大学城南路。", "科创中心位于大学城南路，占地约78亩。")
        if text == "占地多大？" and "科创中心在哪里？" in earlier:  # a follow-up, same conversation only
            return answer("占地约78亩。", "科创中心位于大学城南路，占地约78亩。")
        return [{"recipient_id": sender, "text": "文章中没有找到这个问题的答案。"},
                {"recipient_id": sender, "custom": {"grounded": False, "sources": []}}]  # fmt: skip

    def _json(self, data: object) -> None:
        raw = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def fake_bot() -> Iterator[FakeBot]:
    bot = FakeBot()
    thread = threading.Thread(target=bot.serve_forever, daemon=True)
    thread.start()
    try:
        yield bot
    finally:
        bot.shutdown()
        bot.server_close()


# --- the load loop ----------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert [bench_rest.percentile(values, q) for q in (50, 95, 99, 100)] == [50, 95, 99, 100]
    assert bench_rest.percentile([7.0], 99) == 7.0


def test_load_runs_clients_concurrently_and_counts_every_request(fake_bot: FakeBot) -> None:
    fake_bot.delay = 0.02  # long enough for requests to overlap
    url = bench_rest.webhook(fake_bot.url)
    result = asyncio.run(bench_rest.run_level(url, ["科创中心在哪里？", "boom"], 4, 24))
    booms = sum("boom" in m for _, m in fake_bot.received)
    assert len(fake_bot.received) == result.requests == 24
    assert result.errors == booms > 0  # HTTP 500s are errors, not dropped
    assert len(result.latencies_ms) == 24 - booms
    assert fake_bot.max_in_flight >= 2
    summary = result.summary()
    assert summary["requests_per_s"] > 0 and summary["errors"] == booms
    assert summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"] <= summary["max_ms"]


def test_each_client_starts_a_new_conversation_every_few_turns(fake_bot: FakeBot) -> None:
    url = bench_rest.webhook(fake_bot.url)
    asyncio.run(bench_rest.run_level(url, ["科创中心在哪里？"], 1, 6, turns=3))
    senders = [s for s, _ in fake_bot.received]
    assert senders[0] == senders[2] != senders[3] == senders[5]


def test_a_question_answered_without_the_payload_counts_as_an_error(fake_bot: FakeBot) -> None:
    url = bench_rest.webhook(fake_bot.url)
    strict = asyncio.run(bench_rest.run_level(url, ["你好"], 2, 4))
    assert strict.errors == 4 and "unexpected reply" in strict.error_samples[0]
    lenient = asyncio.run(bench_rest.run_level(url, ["你好"], 2, 4, check=bench_rest.not_empty))
    assert lenient.errors == 0


def test_an_unreachable_bot_gives_errors_not_a_crash() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = asyncio.run(bench_rest.run_level(f"http://127.0.0.1:{port}/webhooks/rest/webhook", ["x"], 2, 3))
    assert result.errors == 3 and result.latencies_ms == []


MAIN = """
import os, subprocess, sys, time
worker = subprocess.Popen([sys.executable, sys.argv[2]], env={**os.environ, "LISTEN_PORT": sys.argv[1]},
                          stdout=subprocess.PIPE, text=True)
worker.stdout.readline()
print(worker.pid, flush=True)
time.sleep(60)
"""
WORKER = """
import os, socket, time
s = socket.socket(); s.bind(("127.0.0.1", int(os.environ["LISTEN_PORT"]))); s.listen()
print("listening", flush=True)
time.sleep(60)
"""


def test_memory_covers_the_server_and_the_worker_that_listens(tmp_path: Path) -> None:
    # As rasa-sdk does: the main process has the port on its command line, a worker it spawned
    # listens. Both are the action server.
    (tmp_path / "main.py").write_text(MAIN)
    (tmp_path / "worker.py").write_text(WORKER)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    main = subprocess.Popen([sys.executable, str(tmp_path / "main.py"), str(port), str(tmp_path / "worker.py")],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    worker = int(main.stdout.readline())
    try:
        assert bench_rest.service_root(port).pid == main.pid
        memory = bench_rest.service_memory(port)
        assert memory is not None
        assert [p["pid"] for p in memory["processes"]] == [main.pid, worker]
        assert memory["rss_mb"] == pytest.approx(sum(p["rss_mb"] for p in memory["processes"]), abs=0.5)
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(worker).kill()
        main.kill()
        main.wait()
    deadline = time.monotonic() + 10  # the worker's exit closes its socket soon after the kill
    while bench_rest.service_memory(port) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bench_rest.service_memory(port) is None


def test_only_a_bot_on_this_machine_has_its_processes_measured() -> None:
    assert bench_rest.local_port_of("http://127.0.0.1:5005") == 5005
    assert bench_rest.local_port_of("http://localhost") == 80
    assert bench_rest.local_port_of("https://bot.example.com:5005") is None


def test_client_levels_are_parsed_strictly() -> None:
    assert bench_rest.parse_levels("1,4,16") == [1, 4, 16]
    for bad in ("", "0", "a,b", "-1"):
        with pytest.raises(Exception, match=r"client|numbers"):
            bench_rest.parse_levels(bad)


# --- eval over REST ---------------------------------------------------------------------

QUESTIONS = """
cases:
- {id: a1, lang: zh, q: "科创中心在哪里？", expect: [["大学城南路"]], then: {q: "占地多大？", expect: [["78亩"]]}}
- {id: a2, lang: zh, q: "占地多大？", expect: [["78亩"]]}
- {id: o1, lang: zh, q: "园区有没有人才公寓？", abstain: true}
- {id: o2, lang: zh, q: "boom 会失败吗？", abstain: true}
"""


def test_rest_eval_keeps_a_followup_in_its_conversation_and_reads_the_payload(
    fake_bot: FakeBot, tmp_path: Path
) -> None:
    path = tmp_path / "q.yml"
    path.write_text(QUESTIONS, encoding="utf-8")
    cases = eval_script.load_cases(path)
    report = eval_script.evaluate_rest(cases, fake_bot.url)
    passed = {r.case.id: r.passed for r in report.results}
    # The follow-up is answered because it shares its parent's sender; the same question
    # asked cold (a2) is not, because every other case starts a new conversation.
    assert passed == {"a1": True, "a1.then": True, "a2": False, "o1": True, "o2": False}
    senders = [s for s, _ in fake_bot.received]
    assert senders[0] == senders[1] and len(set(senders)) == 4
    failed = {r.case.id: r for r in report.failures()}
    assert "request failed" in failed["o2"].note  # an error is never a correct abstention
    figures = eval_script.scores(report)
    assert str(figures["followups"]) == "1.000 (1/1)"
    assert figures["abstention"].rate == 0.5
    assert figures["hit@1"] == pytest.approx(2 / 3)  # cited sources: a1 and its follow-up
    lines = eval_script.format_failures("REST", report)
    assert any("a2" in line and "not grounded" in line for line in lines)


def test_floors_name_what_is_below_and_hit3_only_for_the_library() -> None:
    figures = {"accuracy_zh": eval_script.Score(8, 10), "followups": eval_script.Score(2, 2),
               "hit@3": 0.5}  # fmt: skip
    args = eval_script.build_parser().parse_args(
        ["--min-zh", "0.9", "--min-followups", "1", "--min-hit3", "0.9"]
    )
    assert eval_script.below_floors("library", figures, args) == [
        "library: accuracy_zh 0.800 < 0.9",
        "library: hit@3 0.500 < 0.9",
    ]
    assert eval_script.below_floors("REST", figures, args) == ["REST: accuracy_zh 0.800 < 0.9"]


# --- the bench table --------------------------------------------------------------------


def test_bench_rows_judge_the_targets() -> None:
    fast = bench_rest.LevelResult(1, [40.0] * 99 + [100.0], 0, 5.0)
    busy = bench_rest.LevelResult(16, [500.0] * 100, 2, 10.0)
    figures = bench_rest.RestFigures(
        "http://x", [fast, busy], None,
        {"rasa": None, "actions": {"rss_mb": 450.0, "processes": [{}, {}]}}, {},
    )  # fmt: skip
    verdicts = {(r.measure.split(":")[0], r.target): r.met for r in bench.rest_rows(figures) if r.target}
    assert verdicts == {
        ("park questions, 1 client (100)", "p50 ≤ 60, p95 ≤ 120 ms"): True,
        ("park questions, 16 clients", "≥ 30 req/s, 0 errors"): False,  # 10.2 req/s, 2 errors
        ("errors, all levels", "0"): False,
        ("action server RSS after warm-up (2 processes)", "≤ 400 MB"): False,
    }
    text = bench.table_text(bench.rest_rows(figures))
    assert "unknown (not on this machine, or no --actions-port)" in text  # Rasa's memory was not found
    assert "| REST | park questions, 16 clients" in bench.table_markdown(bench.rest_rows(figures))


def test_scale_summary_is_read_when_present(tmp_path: Path) -> None:
    assert bench.scale_rows(tmp_path / "missing.json") == []
    (tmp_path / "bad.json").write_text("{not json")
    assert bench.scale_rows(tmp_path / "bad.json") == []
    data = {
        "config": {"target_ms": 30.0, "target_recall": 0.95},
        "results": [
            {"size": 10000, "index": "flat", "search_params": {"threads": 1}, "p50_ms": 0.2, "p95_ms": 0.3}
        ],
        "best": {
            "10000": {"index": "ivf-flat", "search": {"nprobe": 64}, "p50_ms": 0.1, "recall_at_10": 0.96}
        },
        "bm25": [{"size": 10000, "p50_ms": 0.1, "p95_ms": 0.2, "build_s": 0.3}],
    }
    (tmp_path / "scale.json").write_text(json.dumps(data))
    rows = bench.scale_rows(tmp_path / "scale.json")
    assert [r.measure for r in rows] == [
        "10k passages: fastest index meeting the target",
        "10k passages: exact (flat, default), 1 thread",
        "10k passages: BM25 top 20",
    ]
    assert all(r.section.startswith("scale (make bench-scale") for r in rows)
    assert "ivf-flat nprobe=64" in rows[0].value


def test_the_rest_eval_does_not_score_the_questions_a_reply_names_as_unanswered() -> None:
    from actions.formatting import format_answer
    from knowledge.types import Answer

    answer = Answer("科创中心占地多少亩？科创中心是2017年开工的吗？", "占地约78亩。", True, [], "zh",
                    unanswered=["科创中心是2017年开工的吗？"])
    text = eval_script.scored_text(format_answer(answer), {"unanswered": answer.unanswered})
    assert "78亩" in text and "2017" not in text  # the user's own year is no answer
    assert eval_script.scored_text("占地约78亩。", {}) == "占地约78亩。"
