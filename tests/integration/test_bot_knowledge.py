"""The answer action with the real knowledge library and the built index."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerQuestion
from actions.knowledge_provider import KnowledgeProvider, load_service
from actions.question_log import QuestionRecorder
from actions.settings import ActionSettings
from knowledge.phrases import TOPIC_BUTTONS
from store.background import BackgroundWriter
from store.db import Database
from store.pseudonym import Pseudonyms

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def provider() -> KnowledgeProvider:
    provider = KnowledgeProvider(load_service)
    if provider.get() is None:
        pytest.fail("no knowledge index: run `knowledge build` first")
    return provider


def ask(provider, tmp_path: Path, text: str, last_question: str | None = None):
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    recorder = QuestionRecorder(Pseudonyms(tmp_path / "pseudonym.salt"), BackgroundWriter(lambda: db))
    action = ActionAnswerQuestion(provider, ActionSettings(), recorder=recorder)
    tracker = Tracker(
        "it", {"lang": None, "last_question": last_question},
        {"text": text, "intent": {"name": "ask_park"}}, [], False, None, {}, "action_listen",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    custom = next(m["custom"] for m in dispatcher.messages if m["custom"])
    slots = {e["name"]: e["value"] for e in events}
    return dispatcher.messages[0]["text"], custom, slots


ENGLISH_GAP = pytest.mark.xfail(
    strict=True, reason="known gap (issue #9): the judge, fitted on word-by-word English questions generated "
    "from Chinese sentences, is not confident on fluent English ones; the right passage comes as related",
)


LIST_GAP = pytest.mark.xfail(
    strict=True, reason="known gap (issue #9): the top sentence restates the question ('搭建优秀的科技创新平台') and "
    "lists no platform; it was quoted as the answer before and is shown as related now, while the sentence that "
    "lists platforms ('…等11个科技创新服务平台') ranks third: the ranker does not weigh that a list names the kind asked for",
)


@pytest.mark.parametrize(
    "button", [pytest.param(b, marks=LIST_GAP if b.title == "平台" else ()) for b in TOPIC_BUTTONS["zh"]],
    ids=lambda b: b.title,
)
def test_every_topic_button_asks_a_question_the_articles_answer(provider, tmp_path, button):
    text, custom, _ = ask(provider, tmp_path, button.payload)
    assert custom["grounded"] is True, text
    assert text.startswith("根据《")


@pytest.mark.parametrize(
    "button", [pytest.param(b, marks=() if b.title == "Layout" else ENGLISH_GAP) for b in TOPIC_BUTTONS["en"]],
    ids=lambda b: b.title,
)
def test_every_english_topic_button_asks_a_question_the_articles_answer(provider, tmp_path, button):
    text, custom, _ = ask(provider, tmp_path, button.payload)
    assert custom["grounded"] is True, text
    assert text.startswith("According to 《")


def test_followup_chain_keeps_the_subject(provider, tmp_path):
    _, first, slots = ask(provider, tmp_path, "科创中心在哪里？")
    assert first["grounded"] and slots["last_question"] == "科创中心在哪里？"
    text, _, slots = ask(provider, tmp_path, "占地多大？", slots["last_question"])
    assert "78亩" in text
    assert slots["last_question"] == "科创中心在哪里？"
