"""The contact form's actions: nothing stored without consent, a stored lead carries the
conversation's questions and a pseudonym, the offer comes when it should."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.lead_form import ActionSubmitLead, ValidateLeadForm, conversation_questions
from actions.lead_offer import LeadOffer
from actions.question_log import QuestionRecorder
from knowledge.settings import ActionSettings, LeadSettings, load
from leads import repository
from store.db import Database
from store.pseudonym import Pseudonyms

FILLED = {"lead_company": "明远新材料", "lead_industry": "锂电池材料", "lead_needs": "land,policy",
          "lead_contact": "13812345678", "lead_contact_kind": "mobile", "lead_time": "工作日下午"}


def user(text: str, intent: str = "ask_park") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def tracker(slots: dict[str, Any], events: list[dict[str, Any]] | None = None, text: str = "同意",
            loop: str | None = None, sender: str = "wx-openid-1") -> Tracker:
    return Tracker(sender_id=sender, slots={"lang": "zh", **slots}, latest_message={"text": text, "intent": {}},
                   events=events or [], paused=False, followup_action=None,
                   active_loop={"name": loop} if loop else {}, latest_action_name="action_listen")


@pytest.fixture
def submit(db: Database, tmp_path: Path) -> ActionSubmitLead:
    return ActionSubmitLead(ActionSettings(), LeadSettings(), db, Pseudonyms(tmp_path / "pseudonym.salt", "k"))


def run(action_: ActionSubmitLead, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action_.run(dispatcher, t, {}))
    return dispatcher.messages, events


def test_conversation_questions_are_the_messages_the_answer_action_replied_to() -> None:
    events = [user("旧会话的问题"), action("action_answer_question"), {"event": "session_started"},
              user("你好", "greet"), action("action_greet"),
              user("科创中心在哪里？"), action("action_answer_question"),
              user("联系招商", "request_contact"), action("action_start_lead"),
              user("明远新材料", "inform"), action("lead_form"),
              user("园区有人才公寓吗？"), action("action_answer_question")]
    assert conversation_questions(tracker({}, events)) == ["科创中心在哪里？", "园区有人才公寓吗？"]


def test_with_consent_the_lead_is_stored_with_questions_and_a_pseudonym(submit: ActionSubmitLead,
                                                                       db: Database) -> None:
    events = [user("科创中心在哪里？"), action("action_answer_question")]
    messages, result = run(submit, tracker({**FILLED, "lead_consent": "yes"}, events))
    [lead] = repository.latest(db)
    assert (lead.company, lead.contact, lead.contact_kind, lead.needs) == ("明远新材料", "13812345678", "mobile",
                                                                            "land,policy")
    assert lead.questions == ["科创中心在哪里？"]
    assert lead.consent_text.startswith("我同意") and lead.notify_status == "pending"
    assert lead.sender_hash and "wx-openid-1" not in lead.sender_hash
    assert f"#{lead.id}" in messages[0]["text"] and "工作日下午" in messages[0]["text"]
    assert {e["name"]: e["value"] for e in result}["lead_contact"] is None  # cleared from the conversation


def test_a_lead_carries_the_pseudonym_of_the_question_log(db: Database, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Same function, same key (store/pseudonym.py): staff can find a lead's questions in the log."""
    monkeypatch.delenv("BOT_PSEUDONYM_SALT", raising=False)
    monkeypatch.delenv("BOT_UNANSWERED_SALT", raising=False)
    monkeypatch.setenv("BOT_DATABASE_FILE", str(tmp_path / "store" / "bot.db"))
    recorder = QuestionRecorder(writer=object())  # type: ignore[arg-type]  # nothing is written here
    run(ActionSubmitLead(ActionSettings(), LeadSettings(), db), tracker({**FILLED, "lead_consent": "yes"}))
    [lead] = repository.latest(db)
    assert lead.sender_hash == recorder.pseudonyms("wx-openid-1")
    assert (tmp_path / "store" / "pseudonym.salt").exists()  # one key file, shared


@pytest.mark.parametrize("consent", ["no", None])
def test_without_consent_nothing_is_stored_and_the_answers_are_cleared(submit: ActionSubmitLead, db: Database,
                                                                       consent: str | None) -> None:
    messages, result = run(submit, tracker({**FILLED, "lead_consent": consent}, text="不同意"))
    assert repository.latest(db) == []
    assert "不会保存" in messages[0]["text"]
    assert all(e["value"] is None for e in result)


def test_a_database_failure_apologises_and_keeps_the_answers(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'missing-dir-is-a-file'}")
    (tmp_path / "missing-dir-is-a-file").write_text("not a database")
    action_ = ActionSubmitLead(ActionSettings(), LeadSettings(), broken, Pseudonyms(tmp_path / "pseudonym.salt", "k"))
    messages, result = run(action_, tracker({**FILLED, "lead_consent": "yes"}))
    assert "无法保存" in messages[0]["text"]
    assert result == [{"event": "slot", "timestamp": None, "name": "lead_consent", "value": None}]


def validate(slot: str, value: str, text: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateLeadForm(), f"validate_{slot}")
    return method(value, dispatcher, tracker({}, text=text or value), {}), dispatcher.messages


def test_the_form_rejects_a_bad_contact_and_says_why() -> None:
    result, messages = validate("lead_contact", "1380013")
    assert result == {"lead_contact": None, "lead_contact_kind": None}
    assert "手机号" in messages[0]["text"]
    result, messages = validate("lead_contact", "Anna@Brightway.com", "Anna@Brightway.com")
    assert result == {"lead_contact": "anna@brightway.com", "lead_contact_kind": "email"} and messages == []


def test_the_form_maps_consent_and_needs() -> None:
    assert validate("lead_consent", "不同意")[0] == {"lead_consent": "no"}
    assert validate("lead_consent", "I agree")[0] == {"lead_consent": "yes"}
    assert validate("lead_consent", "让我想想")[0] == {"lead_consent": None}
    assert validate("lead_needs", "政策和人才")[0] == {"lead_needs": "policy,talent"}


def offer_tracker(questions: int, offered: bool = False, loop: str | None = None) -> Tracker:
    events = [e for i in range(questions) for e in (user(f"问题{i}？"), action("action_answer_question"))]
    return tracker({"lead_offered": offered}, events, loop=loop)


def test_the_offer_comes_after_a_decline_and_once_after_several_questions() -> None:
    offer = LeadOffer(ActionSettings(), load(LeadSettings, {"LEAD_OFFER_AFTER": "3"}))
    assert offer.due(offer_tracker(0), declined=True)
    assert not offer.due(offer_tracker(1), declined=False)
    assert offer.due(offer_tracker(2), declined=False)  # this turn is the third question
    assert not offer.due(offer_tracker(5, offered=True), declined=False)
    assert not offer.due(offer_tracker(5, loop="lead_form"), declined=True)  # never inside the form
    dispatcher = CollectingDispatcher()
    events = offer.send(dispatcher, offer_tracker(2), "en", declined=False)
    [message] = dispatcher.messages
    assert message["buttons"] == [{"title": "Have an officer contact me", "payload": "Have an officer contact me"}]
    assert events == [{"event": "slot", "timestamp": None, "name": "lead_offered", "value": True}]


def extract(text: str, intent: str = "ask_park", requested: str = "lead_company",
            latest_action: str = "action_listen") -> list[dict[str, Any]]:
    # As Rasa builds it for the validation action: the form's own execution comes last.
    events = [action("action_listen"), user(text, intent), action(latest_action), action("lead_form")]
    events = [e for i, e in enumerate(events) if not (i == 2 and latest_action == "action_listen")]
    t = Tracker(sender_id="s", slots={"requested_slot": requested}, events=events, paused=False,
                latest_message={"text": text, "intent": {"name": intent}}, followup_action=None,
                active_loop={"name": "lead_form"}, latest_action_name=latest_action)
    return asyncio.run(ValidateLeadForm().get_extraction_events(CollectingDispatcher(), t, {}))


def test_the_answer_is_taken_whatever_its_intent_but_not_a_question_or_a_cancel() -> None:
    assert extract("明远新材料", intent="ask_park") == [
        {"event": "slot", "timestamp": None, "name": "lead_company", "value": "明远新材料"}]
    assert extract("园区有哪些扶持政策？") == []  # answered by the rules, then asked again
    assert extract("算了", intent="cancel") == []
    assert extract("明远新材料", latest_action="action_answer_question") == []  # back after a question
    assert extract("明远新材料", requested=None) == []  # type: ignore[arg-type]


def test_start_up_hands_off_leads_an_earlier_run_could_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from webhook_receiver import receiver

    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    db.upgrade()
    lead_id = repository.save(db, repository.NewLead("13812345678", "mobile", "我同意……", company="明远"))
    repository.record_delivery(db, lead_id, ok=False, attempts=4, error="HTTP 500")  # dead
    monkeypatch.setenv("BOT_DATABASE_FILE", str(tmp_path / "bot.db"))
    with receiver() as hook:
        leads = load(LeadSettings, {"LEAD_WEBHOOK_URL": hook.url, "LEAD_WEBHOOK_BACKOFF": "0"})
        ActionSubmitLead(ActionSettings(), leads)  # rasa-sdk builds it once, at start-up
        deadline = time.monotonic() + 10
        while repository.get(db, lead_id).notify_status != "sent" and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
    row = repository.get(db, lead_id)
    assert row is not None and row.notify_status == "sent" and row.notify_attempts == 5
    assert f"#{lead_id}" in hook.received[0]["markdown"]["content"]
