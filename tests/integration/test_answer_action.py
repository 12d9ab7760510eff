"""The answer action end to end in-process: the real provider, service and index of the article.

The action is built as the action server builds it: `KnowledgeProvider()` with its
production factory, configured only by `KB_*` variables that point at an index
built in a temporary folder. Answers are checked against the returned sources and
the knowledge service itself, never against hard-coded text.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerQuestion
from actions.knowledge_provider import KnowledgeProvider
from actions.settings import ActionSettings
from knowledge.index import build_index
from knowledge.phrases import TOPIC_BUTTONS, reply
from knowledge.service import KnowledgeService
from knowledge.settings import Settings

pytestmark = pytest.mark.integration

WHERE = "科创中心在哪里？"  # the article says where the centre is and how large it is
HOW_LARGE = "占地多大？"  # a follow-up: names no subject of its own
UNANSWERABLE = "园区食堂的菜单是什么？"  # the article says nothing about a canteen

ZH_CITATION = re.compile(r"^根据《(?P<title>[^》]+)》(?:（(?P<section>[^）]+)）)?：(?P<quote>.+)$", re.S)
EN_CITATION = re.compile(r"^According to 《(?P<title>[^》]+)》(?: \((?P<section>[^)]+)\))?: (?P<quote>.+)$", re.S)
PAYLOAD_FIELDS = {"id", "source", "title", "section", "text", "score", "sentence",
                  "url", "published", "publisher", "link", "stale"}  # the article's metadata (README)


# --- how the action server is configured -------------------------------------------------


def point_env_at(mp: pytest.MonkeyPatch, settings: Settings) -> None:
    """Configure the process as a deployment would: KB_* variables, nothing else."""
    for name in [n for n in os.environ if n.startswith("KB_")]:
        mp.delenv(name)
    mp.setenv("KB_ARTICLES_DIR", str(settings.articles_dir))
    mp.setenv("KB_INDEX_DIR", str(settings.index_dir))
    mp.setenv("KB_CACHE_DIR", str(settings.cache_dir))


@pytest.fixture(scope="module")
def provider(service: KnowledgeService, real_settings: Settings) -> Iterator[KnowledgeProvider]:
    """One production provider over the session index, loaded once for this module.

    `service` (the session fixture) is requested so the index is built; the provider
    loads its own KnowledgeService from the environment, as in the action server.
    """
    with pytest.MonkeyPatch.context() as mp:
        point_env_at(mp, real_settings)
        assert Settings.from_env() == real_settings
        yield KnowledgeProvider()


@pytest.fixture()
def action(provider: KnowledgeProvider, recorder) -> ActionAnswerQuestion:
    """The action as the action server builds it, its question log in a temporary database."""
    return ActionAnswerQuestion(provider, ActionSettings(), recorder=recorder)


@pytest.fixture()
def private_kb(tmp_path: Path, real_settings: Settings, service: KnowledgeService) -> Settings:
    """A copy of the session's articles, index and embedding cache that a test may change.

    The cache makes a rebuild embed only new text, so publishing a build takes a second.
    """
    base = tmp_path / "kb"
    shutil.copytree(real_settings.articles_dir, base / "articles")
    shutil.copytree(real_settings.index_dir, base / "index", symlinks=True)  # `current` is a link
    shutil.copytree(real_settings.cache_dir, base / "cache")
    return replace(
        real_settings,
        articles_dir=base / "articles",
        index_dir=base / "index",
        cache_dir=base / "cache",
    )


# --- running a turn --------------------------------------------------------------------


def tracker(text: str, intent: str = "ask_park", slots: dict[str, Any] | None = None) -> Tracker:
    """A user's turn in the JSON form Rasa posts to the action server."""
    return Tracker.from_dict(
        {
            "sender_id": "user-1",
            "slots": {"lang": None, "last_question": None, **(slots or {})},
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}},
            "events": [],
            "latest_action_name": "action_listen",
        }
    )


def run(
    action: ActionAnswerQuestion, text: str, **tracker_args: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker(text, **tracker_args), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return dispatcher.messages, slots


def payload(messages: list[dict[str, Any]]) -> dict[str, Any]:
    [custom] = [m["custom"] for m in messages if m["custom"]]
    return custom


def citation(text: str, lang: str) -> dict[str, str]:
    match = (EN_CITATION if lang == "en" else ZH_CITATION).match(text)
    assert match, f"not a cited answer: {text!r}"
    return {k: v or "" for k, v in match.groupdict().items()}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[。！？!?])", text) if len(s.strip()) >= 8]


def assert_grounded(messages: list[dict[str, Any]], lang: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The answer names the first source's title and section and quotes it; returns both."""
    body = payload(messages)
    assert body["grounded"] is True and body["sources"]
    for src in body["sources"]:
        assert set(src) == PAYLOAD_FIELDS and isinstance(src["score"], float)
    first = body["sources"][0]
    cited = citation(messages[0]["text"], lang)
    assert cited["title"] == first["title"]
    # A section is named unless it is empty or repeats the title.
    shown = first["section"] if first["section"].strip() not in ("", first["title"].strip()) else ""
    assert cited["section"] == shown
    assert any(s in first["text"] for s in sentences(cited["quote"])), (cited["quote"], first["text"])
    return cited, first


def assert_refusal(messages: list[dict[str, Any]], key: str, lang: str) -> None:
    expected = reply(key, lang)
    assert messages[0]["text"] == expected.text
    assert [b["payload"] for b in messages[0]["buttons"]] == [b.payload for b in TOPIC_BUTTONS[lang]]
    got = payload(messages)
    assert (got["grounded"], got["sources"]) == (False, [])  # a refusal cites nothing
    # Related questions when any are near; the question log's id when the question was logged.
    assert set(got) <= {"grounded", "sources", "suggestions", "message_id"}


# --- answers ---------------------------------------------------------------------------


def test_grounded_answer_quotes_and_cites_the_article(
    action: ActionAnswerQuestion, service: KnowledgeService, real_article: Path, logged
) -> None:
    messages, slots = run(action, WHERE)
    cited, first = assert_grounded(messages, "zh")
    assert first["source"] == real_article.name
    assert cited["quote"] == service.ask(WHERE).answer  # exactly what the knowledge base answers
    assert slots == {"lang": "zh", "last_question": WHERE}
    # Logged for the staff's figures, under the id the client got for its feedback.
    [row] = logged()
    body = payload(messages)
    assert (row.message_id, row.outcome, row.question) == (body["message_id"], "answered", WHERE)
    assert row.answer == messages[0]["text"]  # what the bot said, as the console shows it
    assert [s["id"] for s in row.sources] == [s["id"] for s in body["sources"]]
    # The related questions come both as the answer's buttons and in the payload, beside message_id.
    assert [b["payload"] for b in messages[0]["buttons"]] == body.get("suggestions", [])
    assert row.probability == pytest.approx(service.explain(WHERE)[1].score)


def test_a_related_passage_is_logged_as_related_with_the_passage_shown(
    action: ActionAnswerQuestion, service: KnowledgeService, dev_set: Path, logged
) -> None:
    import yaml

    questions = [case["q"] for case in yaml.safe_load(dev_set.read_text(encoding="utf-8"))["cases"]]
    related = next((q for q in questions if service.ask(q).outcome == "related"), None)
    if related is None:
        pytest.skip("no dev-set question comes out as related with this build")
    messages, _ = run(action, related)
    [row] = logged()
    body = payload(messages)
    assert body["grounded"] is False and row.message_id == body["message_id"] and row.outcome == "related"
    assert [s["id"] for s in row.sources] == [s["id"] for s in body["related"]] and row.answer == messages[0]["text"]


def test_english_question_gets_english_framing_around_the_chinese_quote(
    action: ActionAnswerQuestion,
) -> None:
    question = "Where is the science and technology innovation center?"
    messages, slots = run(action, question)
    cited, _ = assert_grounded(messages, "en")
    assert re.search(r"[\u4e00-\u9fff]", cited["quote"])  # a quotation, not a translation
    assert slots == {"lang": "en", "last_question": question}


def test_followup_passes_the_previous_question_and_stays_on_its_subject(
    action: ActionAnswerQuestion, service: KnowledgeService
) -> None:
    _, first_turn = run(action, WHERE)
    messages, slots = run(action, HOW_LARGE, slots=first_turn)
    cited, _ = assert_grounded(messages, "zh")
    assert cited["quote"] == service.ask(HOW_LARGE, previous=WHERE).answer
    # On its own the follow-up reads differently: the previous question changed the answer.
    assert cited["quote"] != service.ask(HOW_LARGE).answer
    assert "科创中心" in cited["quote"]  # the subject named by the previous question
    assert slots["last_question"] == WHERE

    # A chain of follow-ups keeps leaning on the question that named the subject.
    messages, slots = run(action, "它总投资多少？", slots=slots)
    cited, _ = assert_grounded(messages, "zh")
    assert "科创中心" in cited["quote"] and slots["last_question"] == WHERE


def test_park_question_misclassified_as_chitchat_is_still_answered(
    action: ActionAnswerQuestion,
) -> None:
    messages, slots = run(action, "科创中心在哪？", intent="out_of_scope")
    assert_grounded(messages, "zh")
    assert slots["last_question"] == "科创中心在哪？"


# --- abstaining ------------------------------------------------------------------------


@pytest.mark.parametrize("question", [UNANSWERABLE, "明天天气怎么样？"])
def test_unanswerable_question_abstains_offers_topics_and_is_logged(
    action: ActionAnswerQuestion, recorder, logged, question: str
) -> None:
    messages, slots = run(action, question, slots={"last_question": WHERE})
    assert_refusal(messages, "not_grounded", "zh")
    assert slots == {"lang": "zh", "last_question": None}  # the unanswered subject replaces WHERE
    [row] = logged()
    # The sender id is pseudonymised with the database's key.
    assert (row.question, row.outcome, row.lang, row.sources) == (question, "declined", "zh", [])
    assert row.answer == messages[0]["text"]  # the refusal, as the user saw it
    assert row.message_id == payload(messages)["message_id"]
    assert row.sender_hash == recorder.pseudonyms("user-1") != "user-1"


def test_out_of_scope_refusal_is_worded_as_such_in_english(
    action: ActionAnswerQuestion, logged
) -> None:
    messages, slots = run(action, "tell me a joke", intent="out_of_scope")
    assert_refusal(messages, "out_of_scope", "en")
    assert [b["title"] for b in messages[0]["buttons"]][:3] == ["Policies", "Platforms", "Layout"]
    assert slots["lang"] == "en"
    [row] = logged()  # the staff see what users ask beyond the articles, too
    assert (row.outcome, row.sources, row.message_id) == ("declined", [], payload(messages)["message_id"])


def test_chitchat_does_not_drop_the_subject(action: ActionAnswerQuestion) -> None:
    messages, slots = run(action, "讲个笑话", intent="out_of_scope", slots={"last_question": WHERE})
    assert_refusal(messages, "out_of_scope", "zh")
    assert slots["last_question"] == WHERE


@pytest.mark.parametrize("text", ["？？？", "🙂🙂"])
def test_unsearchable_text_is_unanswerable_and_not_logged(
    action: ActionAnswerQuestion, logged, text: str
) -> None:
    messages, slots = run(action, text, slots={"lang": "en"})
    assert_refusal(messages, "not_grounded", "en")  # the language of the conversation so far
    assert slots == {"lang": "en"}
    assert logged() == [] and "message_id" not in payload(messages)  # nothing to give feedback on


def test_question_over_the_length_limit_gets_a_polite_reply(
    action: ActionAnswerQuestion, real_settings: Settings, logged
) -> None:
    question = WHERE * (real_settings.max_question_chars // len(WHERE) + 1)
    assert len(question) > real_settings.max_question_chars
    messages, slots = run(action, question)
    limit = real_settings.max_question_chars
    assert messages[0]["text"] == reply("too_long", "zh", limit=limit).text  # names the limit
    assert payload(messages) == {"grounded": False, "sources": []}
    assert slots == {"lang": "zh"}
    assert logged() == []


def test_malformed_subject_slot_gets_an_apology_not_a_crash(action: ActionAnswerQuestion) -> None:
    # The action server takes the tracker from the network: a slot may hold anything.
    messages, slots = run(action, WHERE, slots={"last_question": 42})
    assert messages[0]["text"] == reply("unavailable", "zh").text
    assert payload(messages) == {"grounded": False, "sources": []}
    assert slots == {"lang": "zh"}  # a failure does not change the subject


# --- the index going and coming ---------------------------------------------------------


def test_action_server_refuses_to_start_without_an_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_kb: Settings, recorder, caplog
) -> None:
    point_env_at(monkeypatch, replace(private_kb, index_dir=tmp_path / "empty"))
    with caplog.at_level(logging.CRITICAL), pytest.raises(SystemExit):
        ActionAnswerQuestion(KnowledgeProvider(), ActionSettings(), recorder=recorder)
    assert "knowledge build" in caplog.text


def test_index_removed_after_start_gives_an_apology_then_recovers_when_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_kb: Settings, embedder, recorder, caplog
) -> None:
    point_env_at(monkeypatch, private_kb)
    provider = KnowledgeProvider(retry_seconds=0)  # try to load again on every question
    action = ActionAnswerQuestion(provider, ActionSettings(), recorder=recorder)
    shutil.rmtree(private_kb.index_dir)  # deleted between start-up check and first question

    question = "Where is the science and technology innovation center?"
    with caplog.at_level(logging.ERROR):
        messages, slots = run(action, question)
    assert messages[0]["text"] == reply("unavailable", "en").text  # in the user's language
    assert payload(messages) == {"grounded": False, "sources": []}
    assert slots == {"lang": "en"}
    assert "knowledge build" in caplog.text  # the log names the fix

    build_index(private_kb, embedder)
    messages, _ = run(action, question)
    body = payload(messages)  # answered from the knowledge base again (or its closest passage)
    assert messages[0]["text"] != reply("unavailable", "en").text
    assert body["grounded"] or body.get("related"), messages[0]["text"]


def test_a_newly_published_build_is_answered_from_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_kb: Settings, embedder, recorder
) -> None:
    point_env_at(monkeypatch, private_kb)
    provider = KnowledgeProvider()
    action = ActionAnswerQuestion(provider, ActionSettings(), recorder=recorder)
    question = "机器人实验室有多少个测试台？"
    messages, _ = run(action, question)
    assert payload(messages)["grounded"] is False  # the article says nothing about it yet
    serving = provider.get()
    assert serving is not None
    old_build = serving.build

    (private_kb.articles_dir / "robotics-lab.md").write_text(
        "# 园区机器人实验室\n\n园区新建的机器人实验室配有12个测试台，面向初创企业开放预约。\n",
        encoding="utf-8",
    )
    assert build_index(private_kb, embedder).status == "built"  # published under `current`
    messages, _ = run(action, question)  # same action, same service: reloaded before answering
    _, first = assert_grounded(messages, "zh")
    assert first["source"] == "robotics-lab.md"
    assert provider.get() is serving and serving.build != old_build  # swapped in place
