"""The `knowledge` command as a user runs it: build, ask (text, JSON, stdin), bad input, eval."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def run(real_settings, service):
    """Run the CLI against the session's index (already built by the `service` fixture)."""
    env = {
        **os.environ,
        "KB_INDEX_DIR": str(real_settings.index_dir),
        "KB_CACHE_DIR": str(real_settings.cache_dir),
    }
    exe = Path(sys.executable).with_name("knowledge")

    def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(exe), *args], input=stdin, capture_output=True, text=True, env=env, timeout=900  # a hang guard: an eval refits per seed, minutes on a busy machine
        )

    return _run


def test_build_reports_up_to_date(run):
    result = run("build", "--quiet")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_ask_prints_answer_with_sources(run):
    result = run("ask", "科创中心在哪里？")
    assert result.returncode == 0
    assert (
        "大学城南路" in result.stdout and "《重庆沙坪坝" in result.stdout and "在园区建设上" in result.stdout
    )


def test_ask_json_has_the_documented_shape(run):
    data = json.loads(run("ask", "--json", "-k", "2", "沙磁英才计划是什么？").stdout)
    assert set(data) == {"question", "answer", "grounded", "outcome", "sources", "related", "unanswered"}
    assert data["grounded"] and "沙磁英才计划" in data["answer"] and 1 <= len(data["sources"]) <= 2
    assert data["unanswered"] == []  # one question, answered
    assert set(data["sources"][0]) == {"id", "source", "title", "section", "text", "score", "sentence",
                                        "url", "published", "publisher", "link", "stale"}  # the first seven kept as they were


def test_stdin_mode_answers_line_by_line_and_survives_bad_lines(run):
    lines = [
        "科创中心占地多少亩？",
        "",
        "园" * 20000,
        "\x01\x02",
        "今天股市行情怎么样？",
        "What are the park's key industries?",
    ]
    result = run("ask", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == 5  # the blank line is skipped
    assert out[0]["grounded"] and "78亩" in out[0]["answer"]
    assert "error" in out[1] and "500" in out[1]["error"]
    assert "error" in out[2] and not out[2]["grounded"]
    assert out[3]["grounded"] is False and out[3]["answer"] == ""


def test_stdin_mode_explains_each_line_when_asked(run):
    result = run("ask", "--json", "--explain", stdin="科创中心占地多少亩？\n今天股市行情怎么样？\n")
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == 2
    for line in out:
        decision = line["explain"]["parts"][0]["judgement"]
        assert decision["outcome"] == line["outcome"] and 0.0 <= decision["probability"] <= 1.0


@pytest.mark.parametrize("question", ["", "   ", "园" * 20000])
def test_bad_question_gets_a_clear_message_not_a_traceback(run, question):
    result = run("ask", question)
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def test_missing_index_names_the_fix(tmp_path):
    exe = Path(sys.executable).with_name("knowledge")
    env = {**os.environ, "KB_INDEX_DIR": str(tmp_path / "none")}
    result = subprocess.run(
        [str(exe), "ask", "科创中心在哪里？"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1 and "knowledge build" in result.stderr and "Traceback" not in result.stderr


def test_eval_exits_non_zero_below_a_floor(run):
    ok = run("eval", "--min-zh", "0.5", "--min-abstain", "0.8")
    assert ok.returncode == 0 and "accuracy_zh" in ok.stdout
    impossible = run("eval", "--min-zh", "1.01")
    assert impossible.returncode == 1 and "below floor" in impossible.stdout


def test_eval_over_seeds_refits_without_touching_the_build(run, real_settings):
    published = (real_settings.index_dir / "current").resolve()
    before = (published / "models.json").read_bytes()
    result = run("eval", "--seeds", "13,2")
    assert result.returncode == 0, result.stderr
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("| ")}
    assert {"seed 13", "seed 2", "mean"} <= set(rows) and "wrong_cited" in rows["variant"]
    # Seed 13 is the one builds use: its row is the published build's own figures.
    plain = run("eval", "--json")
    assert f"| {json.loads(plain.stdout)['accuracy_zh']:.3f} |" in rows["seed 13"]
    assert (real_settings.index_dir / "current").resolve() == published
    assert (published / "models.json").read_bytes() == before
