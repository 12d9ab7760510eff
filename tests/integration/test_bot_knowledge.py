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
    strict=True, reason="known gap (issue #9): the English question's top sentence is of another kind (a "
    "description of the park's future, for the platforms it has built) and the question is declined",
)


PLATFORMS_GAP = pytest.mark.xfail(
    strict=True, reason="known gap (issue #9): the top sentence restates the question ('好平台、好企业、好项目…搭建优秀的"
    "科技创新平台') and lists no platform; fitted on pooled generations the judge shows it as related (it had been "
    "quoted as the answer since the sixteenth session's refit), while the sentence that lists them "
    "('…等11个创新服务平台') ranks third: its three '好X' read as a list, and the ranker weighs the restated words "
    "more than the list-head feature",
)


@pytest.mark.parametrize("button", [pytest.param(b, marks=PLATFORMS_GAP if b.title == "平台" else ())
                                    for b in TOPIC_BUTTONS["zh"]], ids=lambda b: b.title)
def test_every_topic_button_asks_a_question_the_articles_answer(provider, tmp_path, button):
    text, custom, _ = ask(provider, tmp_path, button.payload)
    assert custom["grounded"] is True, text
    assert text.startswith("根据《")


@PLATFORMS_GAP
def test_the_platforms_button_is_answered_by_the_sentence_that_lists_platforms(provider, tmp_path):
    button = next(b for b in TOPIC_BUTTONS["zh"] if b.title == "平台")
    text, custom, _ = ask(provider, tmp_path, button.payload)
    assert custom["grounded"] is True, text
    assert "创新服务平台" in text, text  # the kind the button asks for, as the head of the listed ones


def shown(custom: dict) -> list[dict]:
    """The passages a reply quotes: as its answer, or as the closest it found."""
    return custom["sources"] or custom.get("related", [])


@pytest.mark.parametrize(
    "pair", [pytest.param(p, marks=ENGLISH_GAP if p[0].title == "Platforms" else ())
             for p in zip(TOPIC_BUTTONS["en"], TOPIC_BUTTONS["zh"], strict=True)],
    ids=lambda p: p[0].title,
)
def test_every_english_topic_button_leads_to_the_passage_its_chinese_button_is_answered_from(provider, tmp_path, pair):
    # Whether the English answer is confident enough to assert is the question sets' measure (the
    # judge's probability moves with every refit); that the bot's own button is never declined
    # and reaches the right passage is this test's.
    english, chinese = pair
    text, custom, _ = ask(provider, tmp_path, english.payload)
    _, answered, _ = ask(provider, tmp_path, chinese.payload)
    assert shown(custom), text
    assert shown(custom)[0]["id"] == shown(answered)[0]["id"]
    assert text.startswith("According to 《" if custom["grounded"] else "The articles of ")  # related is said to be such


def test_followup_chain_keeps_the_subject(provider, tmp_path):
    _, first, slots = ask(provider, tmp_path, "科创中心在哪里？")
    assert first["grounded"] and slots["last_question"] == "科创中心在哪里？"
    text, _, slots = ask(provider, tmp_path, "占地多大？", slots["last_question"])
    assert "78亩" in text
    assert slots["last_question"] == "科创中心在哪里？"
