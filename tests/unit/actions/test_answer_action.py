import json
from pathlib import Path

import pytest
from action_fakes import FakeService, FixedProvider, make_tracker, source
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerQuestion, next_subject
from actions.replies import TOPIC_BUTTONS
from actions.settings import ActionSettings
from knowledge.errors import IndexNotReadyError, InvalidQuestionError
from knowledge.types import Answer


def answer(question: str, lang: str = "zh", grounded: bool = True) -> Answer:
    return Answer(
        question=question,
        answer="占地约300亩，总投资30亿元。" if grounded else "",
        grounded=grounded,
        sources=[source()] if grounded else [],
        lang=lang,
    )


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "unanswered.jsonl"


def run(service: FakeService | None, log_path: Path, text: str, **tracker_args):
    action = ActionAnswerQuestion(FixedProvider(service), ActionSettings(unanswered_log=log_path))
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, make_tracker(text, **tracker_args), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return dispatcher.messages, slots


def custom_payloads(messages: list[dict]) -> list[dict]:
    return [m["custom"] for m in messages if m["custom"]]


def test_grounded_answer_quotes_the_snippet_and_sends_the_sources(log_path: Path) -> None:
    svc = FakeService({"介绍一下创新公园": answer("介绍一下创新公园")})
    messages, slots = run(svc, log_path, "介绍一下创新公园")
    assert messages[0]["text"] == "根据《重庆大学城科技产业园》（园区建设）：占地约300亩，总投资30亿元。"
    [payload] = custom_payloads(messages)
    assert payload["grounded"] is True and payload["sources"][0]["section"] == "园区建设"
    assert slots == {"lang": "zh", "last_question": "介绍一下创新公园"}
    assert svc.reloads == 1  # hot reload checked before every answer
    assert not log_path.exists()


def test_previous_question_is_passed_and_kept_for_a_chain_of_followups(log_path: Path) -> None:
    svc = FakeService(
        {"它总投资多少？": answer("它总投资多少？"), "占地多大？": answer("占地多大？")},
        followups={"它总投资多少？", "占地多大？"},
    )
    _, slots = run(svc, log_path, "它总投资多少？", slots={"last_question": "介绍一下创新公园"})
    assert svc.calls == [("它总投资多少？", "介绍一下创新公园")]
    assert slots["last_question"] == "介绍一下创新公园"


def test_english_question_gets_english_words_around_the_chinese_snippet(log_path: Path) -> None:
    q = "How large is the innovation park?"
    messages, slots = run(FakeService({q: answer(q, "en")}), log_path, q)
    assert messages[0]["text"].startswith("According to 《重庆大学城科技产业园》 (园区建设): 占地")
    assert slots["lang"] == "en"


def test_not_grounded_says_so_offers_topics_and_records_the_question(log_path: Path) -> None:
    q = "园区有没有人才公寓？"
    svc = FakeService({q: answer(q, grounded=False)})
    messages, slots = run(svc, log_path, q, slots={"last_question": "科创中心在哪里？"})
    assert "没有找到" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [b.payload for b in TOPIC_BUTTONS["zh"]]
    assert custom_payloads(messages) == [{"grounded": False, "sources": []}]
    assert slots["last_question"] is None  # a new, unanswered subject replaces the old one
    record = json.loads(log_path.read_text(encoding="utf-8"))
    assert record["question"] == q and record["sender"] == "user-1" and record["lang"] == "zh"


def test_out_of_scope_refusal_is_worded_as_such_and_in_english(log_path: Path) -> None:
    q = "tell me a joke"
    messages, _ = run(FakeService({q: answer(q, "en", grounded=False)}), log_path, q, intent="out_of_scope")
    assert messages[0]["text"].startswith("Sorry, I can only answer questions about")
    assert [b["title"] for b in messages[0]["buttons"]][:3] == ["Policies", "Platforms", "Layout"]


def test_park_question_misclassified_as_chitchat_is_still_answered(log_path: Path) -> None:
    q = "科创中心在哪？"
    messages, _ = run(FakeService({q: answer(q)}), log_path, q, intent="out_of_scope")
    assert messages[0]["text"].startswith("根据《")


def test_index_not_loaded_gives_an_apology_in_the_users_language(log_path: Path) -> None:
    messages, _ = run(None, log_path, "Where is the innovation center?")
    assert messages[0]["text"].startswith("Sorry, the knowledge base is unavailable")
    assert custom_payloads(messages) == [{"grounded": False, "sources": []}]


@pytest.mark.parametrize("error", [IndexNotReadyError("gone"), RuntimeError("boom")])
def test_errors_while_answering_give_an_apology(log_path: Path, error: Exception) -> None:
    messages, slots = run(FakeService(error=error), log_path, "科创中心在哪里？")
    assert messages[0]["text"].startswith("抱歉，知识库暂时无法使用")
    assert "last_question" not in slots  # a failure does not change the subject


def test_unsearchable_text_is_treated_as_unanswerable_without_logging(log_path: Path) -> None:
    svc = FakeService(error=InvalidQuestionError("empty"))
    messages, slots = run(svc, log_path, "？？？", slots={"lang": "en"})
    assert messages[0]["text"].startswith("Sorry, the park's published articles")
    assert slots == {"lang": "en"}
    assert not log_path.exists()


@pytest.mark.parametrize(
    ("grounded", "previous", "followup", "aside", "expected"),
    [
        (True, None, False, False, "Q"),
        (True, "P", False, False, "Q"),
        (True, "P", True, False, "P"),
        (False, "P", True, False, "P"),
        (False, "P", False, False, None),
        (False, "P", False, True, "P"),  # chit-chat between questions keeps the subject
        (True, "P", False, True, "Q"),  # a park question taken for chit-chat is a subject
    ],
)
def test_next_subject(grounded, previous, followup, aside, expected) -> None:
    assert next_subject("Q", grounded, previous, followup, aside) == expected


def test_chitchat_does_not_drop_the_subject(log_path: Path) -> None:
    q = "讲个笑话"
    svc = FakeService({q: answer(q, grounded=False)})
    _, slots = run(svc, log_path, q, intent="out_of_scope", slots={"last_question": "P"})
    assert slots["last_question"] == "P"
