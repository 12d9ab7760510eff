"""The bot over REST, as a web page or a script would use it, on the stack `make run` starts."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEV_QUESTIONS = ROOT / "knowledge" / "eval" / "dev_questions.yml"


def send(stack: Any, text: Any, sender: str | None = None, timeout: float = 30) -> list[dict]:
    response = httpx.post(
        stack.rest_url,
        json={"sender": sender or uuid.uuid4().hex, "message": text},
        timeout=timeout,
    )
    assert response.status_code == 200, response.text
    return response.json()


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def payload(messages: list[dict]) -> dict:
    [custom] = [m["custom"] for m in messages if "custom" in m]
    return custom


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in m.get("buttons", [])]


def test_chinese_question_is_answered_from_the_articles_with_sources(stack) -> None:
    messages = send(stack, "科创中心在哪里？")
    assert messages[0]["text"].startswith("根据《")
    assert "大学城南路" in texts(messages)
    info = payload(messages)
    assert info["grounded"] is True
    assert info["sources"], "a grounded answer cites its passages"
    assert set(info["sources"][0]) == {"id", "source", "title", "section", "text", "score", "sentence",
                                      "url", "published", "publisher", "link", "stale"}


@pytest.mark.parametrize(
    ("first", "followup", "expected"),
    [("介绍一下创新公园", "它总投资多少？", "30亿"), ("科创中心在哪里？", "占地多大？", "78亩")],
)
def test_followup_stays_on_the_subject(stack, first: str, followup: str, expected: str) -> None:
    sender = uuid.uuid4().hex
    assert payload(send(stack, first, sender))["grounded"] is True
    messages = send(stack, followup, sender)
    assert expected in texts(messages)


ENGLISH_GAP = pytest.mark.xfail(
    strict=True, reason="known gap (issue #9): the judge is not confident on fluent English questions; the right "
    "passage comes as related",
)


def test_english_question_gets_an_english_introduction(stack) -> None:
    # Answered since 1959672: "town" is found in 大学城 (a strict xfail until then).
    messages = send(stack, "When was the Chongqing University Town tech park founded?")
    assert messages[0]["text"].startswith("According to 《")
    assert "2017" in texts(messages)


def test_unanswerable_question_abstains_offers_topics_and_is_logged(stack) -> None:
    sender = uuid.uuid4().hex
    question = "园区附近有没有三甲医院？"
    messages = send(stack, question, sender)
    assert "没有找到" in texts(messages)
    body = payload(messages)
    assert (body["grounded"], body["sources"]) == (False, [])  # nothing cited
    assert set(body) <= {"grounded", "sources", "suggestions", "message_id"}
    assert set(body.get("suggestions", [])) <= {b["payload"] for b in buttons(messages)}  # 您是不是想问…
    assert {b["title"] for b in buttons(messages)} >= {"政策", "平台", "园区布局"}
    row = stack.logged_question(body["message_id"])  # the id feedback refers to
    assert row is not None, "the question is not in the question log"
    assert (row.question, row.lang, row.outcome, row.channel) == (question, "zh", "declined", "rest")
    # The sender is stored as a keyed hash (store/pseudonym.py), never as the id itself.
    assert row.sender_hash != sender and len(row.sender_hash) == 16


def test_a_rest_client_rates_its_answer_through_the_feedback_endpoint(stack) -> None:
    sender = uuid.uuid4().hex
    message_id = payload(send(stack, "科创中心在哪里？", sender))["message_id"]
    assert stack.logged_question(message_id) is not None  # written in the background: waited for
    url = f"{stack.web}/api/feedback"
    vote = {"message_id": message_id, "sender": sender, "rating": -1, "reason": "不是我要找的"}
    first = httpx.post(url, json=vote, timeout=10)
    assert (first.status_code, first.json()) == (200, {"ok": True, "replaced": False})
    again = httpx.post(url, json={**vote, "rating": 1, "reason": ""}, timeout=10)
    assert again.json() == {"ok": True, "replaced": True}
    # Another sender cannot rate this answer, nor can anyone rate an id that was never sent.
    assert httpx.post(url, json={**vote, "sender": "someone-else"}, timeout=10).status_code == 404
    assert httpx.post(url, json={**vote, "message_id": "never-sent"}, timeout=10).status_code == 404
    assert httpx.post(url, json={**vote, "rating": 0}, timeout=10).json()["error"] == "rating must be 1 or -1"


def test_chitchat_gets_an_honest_refusal(stack) -> None:
    messages = send(stack, "tell me a joke please")
    assert "only answer questions about" in texts(messages)
    assert payload(messages)["grounded"] is False


@pytest.mark.parametrize(("greeting", "lang"), [("你好", "zh"), pytest.param("hello", "en", marks=ENGLISH_GAP)])
def test_greeting_buttons_ask_questions_the_articles_answer(stack, greeting, lang) -> None:
    sender = uuid.uuid4().hex
    offered = buttons(send(stack, greeting, sender))
    assert len(offered) >= 3
    unanswered = set()
    for button in offered:
        messages = send(stack, button["payload"], sender)
        if payload(messages)["grounded"] is not True:
            unanswered.add(button["title"])
            continue
        intro = "根据《" if lang == "zh" else "According to 《"
        assert messages[0]["text"].startswith(intro)
    # Every button is answered but 平台, whose top sentence restates it and lists no platform (shown as
    # related since the pooled fit): a known gap, pinned by strict xfails in tests/integration/test_bot_knowledge.py.
    assert unanswered <= {"平台"}, unanswered


def test_huge_message_is_refused_politely_without_growing_rasa(stack) -> None:
    rasa = psutil.Process(stack.service_pid("rasa", "run"))
    before = rasa.memory_info().rss
    messages = send(stack, "园" * 100_000)
    assert "太长" in texts(messages)
    grown = (rasa.memory_info().rss - before) / 2**20
    assert grown < 200, f"Rasa grew by {grown:.0f} MB"
    assert payload(send(stack, "科创中心在哪里？"))["grounded"] is True


def test_the_action_server_answers_from_one_process(stack) -> None:
    """No Sanic manager beside the worker: a second process of ~140 MB held the actions'
    imports only to watch the first (scripts/action_server.py)."""
    assert payload(send(stack, "科创中心在哪里？"))["grounded"] is True
    actions = psutil.Process(stack.service_pid("scripts.action_server"))
    assert any(c.status == psutil.CONN_LISTEN for c in actions.net_connections(kind="tcp"))  # it serves itself
    assert not [c for c in actions.children(recursive=True) if "python" in c.name()]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"just a string"',
        json.dumps({"sender": "a"}).encode(),
        json.dumps({"sender": "a", "message": 42}).encode(),
        json.dumps({"sender": ["a"], "message": "hi"}).encode(),
        json.dumps({"sender": "a", "message": "hi", "metadata": "x"}).encode(),
    ],
)
def test_malformed_bodies_get_a_client_error(stack, body: bytes) -> None:
    response = httpx.post(
        stack.rest_url, content=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)


def test_empty_message_gets_a_polite_prompt(stack) -> None:
    assert "请输入" in texts(send(stack, "   "))


# --- the development question set, through the whole dialogue ---------------------------


def _passes(answer: str, expect: list[list[str]]) -> bool:
    return all(any(alt in answer for alt in group) for group in expect)


def _evaluate(stack: Any) -> dict[str, tuple[int, int]]:
    cases = yaml.safe_load(DEV_QUESTIONS.read_text(encoding="utf-8"))["cases"]
    scores: dict[str, list[int]] = {"zh": [0, 0], "en": [0, 0], "abstain": [0, 0], "followup": [0, 0]}
    failures = []
    for case in cases:
        sender = uuid.uuid4().hex
        messages = send(stack, case["q"], sender)
        info, answer = payload(messages), texts(messages)
        if case.get("abstain"):
            kind, ok = "abstain", not info["grounded"]
        else:
            kind, ok = case["lang"], info["grounded"] and _passes(answer, case["expect"])
        scores[kind][0] += ok
        scores[kind][1] += 1
        if "then" in case:
            follow = send(stack, case["then"]["q"], sender)
            follow_ok = _passes(texts(follow), case["then"]["expect"])
            scores["followup"][0] += follow_ok
            scores["followup"][1] += 1
            ok = ok and follow_ok
        if not ok:
            failures.append(f"{case['id']}: {case['q']} -> {answer[:120]}")
    print("\n".join(failures))
    return {k: (v[0], v[1]) for k, v in scores.items()}


def test_dev_questions_meet_the_targets_through_rest(stack) -> None:
    scores = _evaluate(stack)
    print(scores)
    # Regression floors, not targets: the dev set was what the old rules were fitted to, and the
    # English gap is tracked by the strict xfails above (figures: README, "How an answer is decided").
    zh_ok, zh_n = scores["zh"]
    assert zh_ok / zh_n >= 0.6, scores
    assert scores["abstain"][0] >= 5, scores
    assert scores["followup"][0] == scores["followup"][1] == 2, scores
