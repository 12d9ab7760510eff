"""The contact form (`lead_form` in bot/domain/leads.yml): its questions, checks, cancel and submit.

Rasa asks for each slot with `action_ask_<slot>` and checks answers with `validate_lead_form`;
the texts and choices are knowledge.phrases's, in the investor's language. Nothing is stored
until the investor agrees to the consent sentence; a refusal clears what was entered. A
cancelled form keeps its answers in the conversation so that "联系招商" later resumes it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.lead_validation import clean_text, looks_like_question, parse_consent, parse_contact, parse_needs
from actions.settings import ActionSettings
from knowledge.phrases import (
    CONTACT_KINDS,
    LEAD_CONSENT_CHOICES,
    LEAD_NEEDS,
    LEAD_TIMES,
    Button,
    detect_lang,
    phrase,
)
from knowledge.settings import LeadSettings, StoreEnv
from leads import repository
from leads.handoff import deliver, in_background, retry_undelivered
from store.db import Database
from store.pseudonym import Pseudonyms

logger = logging.getLogger(__name__)

FORM = "lead_form"
SLOTS = ("lead_company", "lead_industry", "lead_needs", "lead_contact", "lead_time", "lead_consent")
HIDDEN = ("lead_contact_kind",)  # set by the contact check, never asked
ASKED_BY = "action_answer_question"  # a user message followed by this action was a question


def lang_of(tracker: Tracker) -> str:
    return detect_lang(tracker.latest_message.get("text"), default=tracker.get_slot("lang"))


def conversation_questions(tracker: Tracker) -> list[str]:
    """The questions of the current session: the user messages the answer action replied to."""
    questions: list[str] = []
    last_text: str | None = None
    for event in tracker.events:
        kind = event.get("event")
        if kind == "session_started":
            questions, last_text = [], None
        elif kind == "user":
            last_text = event.get("text") or None
        elif kind == "action" and event.get("name") == ASKED_BY and last_text:
            questions.append(last_text)
            last_text = None
    return questions


class _Park:
    """The park's name, read once (rasa-sdk builds each action once at start-up)."""

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self.settings = settings or ActionSettings.from_env()

    def __call__(self, lang: str) -> str:
        return self.settings.park_name(lang)


class ActionStartLead(Action):
    """Says what is about to happen: a new form, or the rest of one that was cancelled."""

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self._park = _Park(settings)

    def name(self) -> str:
        return "action_start_lead"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        started = any(tracker.get_slot(slot) for slot in SLOTS)
        dispatcher.utter_message(text=phrase("lead_resume" if started else "lead_start", lang, self._park(lang)))
        return [SlotSet("lang", lang)]


class _AskSlot(Action, ABC):
    """`action_ask_<slot>`: the question of one slot, with its choices as buttons. Abstract (the
    subclasses name the slot), so that rasa-sdk registers only the subclasses."""

    key: ClassVar[str]

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self._park = _Park(settings)

    @abstractmethod
    def name(self) -> str: ...

    def buttons(self, lang: str) -> list[Button]:
        return []

    def text(self, lang: str) -> str:
        return phrase(self.key, lang, self._park(lang))

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = tracker.get_slot("lang") or lang_of(tracker)
        buttons = [{"title": b.title, "payload": b.payload} for b in self.buttons(lang)]
        dispatcher.utter_message(text=self.text(lang), buttons=buttons)
        return []


class ActionAskLeadCompany(_AskSlot):
    key = "lead_ask_company"

    def name(self) -> str:
        return "action_ask_lead_company"


class ActionAskLeadIndustry(_AskSlot):
    key = "lead_ask_industry"

    def name(self) -> str:
        return "action_ask_lead_industry"


class ActionAskLeadNeeds(_AskSlot):
    key = "lead_ask_needs"

    def name(self) -> str:
        return "action_ask_lead_needs"

    def buttons(self, lang: str) -> list[Button]:
        return [Button(label, label) for _, label in LEAD_NEEDS.get(lang, LEAD_NEEDS["zh"])]


class ActionAskLeadContact(_AskSlot):
    key = "lead_ask_contact"

    def name(self) -> str:
        return "action_ask_lead_contact"


class ActionAskLeadTime(_AskSlot):
    key = "lead_ask_time"

    def name(self) -> str:
        return "action_ask_lead_time"

    def buttons(self, lang: str) -> list[Button]:
        return [Button(label, label) for label in LEAD_TIMES.get(lang, LEAD_TIMES["zh"])]


class ActionAskLeadConsent(_AskSlot):
    """The consent sentence itself is shown, word for word what is stored with the lead."""

    key = "lead_ask_consent"

    def name(self) -> str:
        return "action_ask_lead_consent"

    def text(self, lang: str) -> str:
        return phrase(self.key, lang, consent=phrase("lead_consent", lang, self._park(lang)))

    def buttons(self, lang: str) -> list[Button]:
        return [Button(label, label) for label in LEAD_CONSENT_CHOICES.get(lang, LEAD_CONSENT_CHOICES["zh"])]


def answers_the_form(tracker: Tracker) -> bool:
    """Whether the latest user message came right before this run of the form. Rasa hands the
    validation action a tracker ending in the form's own execution; after an interruption (a
    question answered, a resume) the action before it is not `action_listen`, and the message
    then was the question, not an answer."""
    actions = [e.get("name") for e in reversed(tracker.events) if e.get("event") == "action"]
    return actions[:2] == [FORM, "action_listen"]


# Messages the form never takes as an answer: the rules handle them (bot/data/rules/leads.yml).
NOT_ANSWERS = frozenset({"cancel", "request_contact"})


class ValidateLeadForm(FormValidationAction):
    """Takes the answer to the question asked (`extract_<slot>`) and checks it (`validate_<slot>`); an
    unusable one is said to be so and asked again (the slot stays empty).

    Whether a message answers the form is decided here, not by its intent: a company name such as
    "明远新材料" reads like a park topic to the intent classifier. A message that is a question
    (or a cancel) is not taken: the form is then rejected and the rules answer it or cancel.
    """

    def name(self) -> str:
        return "validate_lead_form"

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        slot = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if slot not in SLOTS or not answers_the_form(tracker) or not isinstance(text, str):
            return []
        if intent in NOT_ANSWERS or looks_like_question(text):
            return []
        return [SlotSet(slot, text)]

    @staticmethod
    def _reject(dispatcher: CollectingDispatcher, slot: str, key: str, lang: str, **values: Any) -> dict[str, Any]:
        dispatcher.utter_message(text=phrase(key, lang, **values))
        return {slot: None}

    def _text(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        text = clean_text(value)
        if text is None:
            return self._reject(dispatcher, slot, "lead_invalid_text", lang_of(tracker), limit=100)
        return {slot: text}

    def validate_lead_company(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return self._text("lead_company", value, dispatcher, tracker)

    def validate_lead_industry(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return self._text("lead_industry", value, dispatcher, tracker)

    def validate_lead_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        return self._text("lead_time", value, dispatcher, tracker)

    def validate_lead_needs(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        lang = tracker.get_slot("lang") or lang_of(tracker)
        needs = parse_needs(value, lang)
        if needs is None:
            return self._reject(dispatcher, "lead_needs", "lead_invalid_needs", lang_of(tracker))
        return {"lead_needs": ",".join(needs)}

    def validate_lead_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        contact = parse_contact(value)
        if contact is None:
            return {**self._reject(dispatcher, "lead_contact", "lead_invalid_contact", lang_of(tracker)),
                    "lead_contact_kind": None}
        return {"lead_contact": contact.value, "lead_contact_kind": contact.kind}

    def validate_lead_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        consent = parse_consent(value)
        if consent is None:
            return self._reject(dispatcher, "lead_consent", "lead_invalid_consent", lang_of(tracker))
        return {"lead_consent": "yes" if consent else "no"}


def clear_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in (*SLOTS, *HIDDEN)]


class ActionCancelLead(Action):
    """"算了" / "cancel": stops the form, keeping its answers for a later resume; nothing is stored."""

    def name(self) -> str:
        return "action_cancel_lead"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        in_form = tracker.active_loop.get("name") == FORM
        dispatcher.utter_message(text=phrase("lead_cancelled" if in_form else "cancelled_nothing", lang))
        return [SlotSet("lang", lang), SlotSet("requested_slot", None)]


class ActionSubmitLead(Action):
    """After the last answer: stores the lead (only with consent), hands it off in the background
    and tells the investor what happens next."""

    def __init__(self, settings: ActionSettings | None = None, leads: LeadSettings | None = None,
                 db: Database | None = None, pseudonyms: Pseudonyms | None = None) -> None:
        self._park = _Park(settings)
        self._leads = leads or LeadSettings.from_env()
        # The question log's pseudonyms (same function, same key): a lead and its questions match.
        self._pseudonyms = pseudonyms or Pseudonyms.from_env()
        self._db = db
        self._migrated = False
        self._opening = threading.Lock()  # the start-up hand-off thread may open it at the same time
        if self._leads.webhook_url and db is None:
            # Start-up: hand off what an earlier run could not (pending, or dead after retries).
            in_background(lambda: retry_undelivered(self.database(), self._leads))

    def name(self) -> str:
        return "action_submit_lead"

    def database(self) -> Database:
        with self._opening:
            if self._db is None:
                self._db = Database.from_env(StoreEnv.from_env())
            if not self._migrated:
                self._db.upgrade()  # idempotent; `make run` has usually done it already
                self._migrated = True
            return self._db

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = tracker.get_slot("lang") or lang_of(tracker)
        park = self._park(lang)
        if tracker.get_slot("lead_consent") != "yes":
            dispatcher.utter_message(text=phrase("lead_consent_refused", lang))
            return clear_form()
        lead = repository.NewLead(
            company=tracker.get_slot("lead_company") or "",
            industry=tracker.get_slot("lead_industry") or "",
            needs=tracker.get_slot("lead_needs") or "",
            contact=tracker.get_slot("lead_contact") or "",
            contact_kind=tracker.get_slot("lead_contact_kind") or "wechat",
            preferred_time=tracker.get_slot("lead_time") or "",
            consent_text=phrase("lead_consent", lang, park),
            channel=tracker.get_latest_input_channel() or "",
            sender_hash=self._pseudonyms(tracker.sender_id),
            lang=lang,
            questions=conversation_questions(tracker),
        )
        try:
            lead_id = await asyncio.get_running_loop().run_in_executor(None, self._save, lead)
        except Exception:
            logger.exception("could not store a lead")
            dispatcher.utter_message(text=phrase("lead_save_failed", lang))
            # The answers stay, so that asking again resumes at the consent question.
            return [SlotSet("lead_consent", None)]
        in_background(deliver, self.database(), self._leads, lead_id)
        via = CONTACT_KINDS.get(lang, CONTACT_KINDS["zh"]).get(lead.contact_kind, lead.contact_kind)
        dispatcher.utter_message(text=phrase("lead_saved", lang, park, number=f"#{lead_id}", via=via,
                                             time=lead.preferred_time))
        return clear_form()

    def _save(self, lead: repository.NewLead) -> int:
        return repository.save(self.database(), lead)
