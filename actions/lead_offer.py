"""When the answer action offers to put the investor in touch with the park's officers.

After a decline (the articles could not help; a person can), and once per conversation after
LEAD_OFFER_AFTER questions. Never while the contact form is running. The offer is one message
with one button whose payload is a request the NLU knows (bot/data/nlu/leads.yml), so a click,
the typed label and WeChat's numbered reply all start the form.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.lead_form import FORM, conversation_questions
from actions.settings import ActionSettings
from knowledge.phrases import phrase
from knowledge.settings import LeadSettings

OFFERED = "lead_offered"  # slot: the offer after several questions was made in this conversation


class LeadOffer:
    def __init__(self, settings: ActionSettings, leads: LeadSettings | None = None) -> None:
        self._settings = settings
        self._after = (leads or LeadSettings.from_env()).offer_after

    def due(self, tracker: Tracker, declined: bool) -> bool:
        if tracker.active_loop.get("name") == FORM:
            return False
        if declined:
            return True
        asked = len(conversation_questions(tracker)) + 1  # the events do not hold this turn's action yet
        return self._after > 0 and asked >= self._after and not tracker.get_slot(OFFERED)

    def send(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, declined: bool) -> list[dict[str, Any]]:
        """The offer, when it is due; the events to return with the turn."""
        if not self.due(tracker, declined):
            return []
        label = phrase("lead_offer_button", lang)
        dispatcher.utter_message(text=phrase("lead_offer", lang, self._settings.park_name(lang)),
                                 buttons=[{"title": label, "payload": label}])
        return [] if declined else [SlotSet(OFFERED, True)]
