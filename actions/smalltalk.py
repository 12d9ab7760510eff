"""Small-talk actions: a fixed reply in the language of the user's message."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import ActionSettings
from knowledge.phrases import detect_lang, reply


class SmalltalkAction(Action, ABC):
    """Sends `reply_key` from knowledge.phrases and remembers the language in the `lang` slot."""

    reply_key: ClassVar[str]

    def __init__(self, settings: ActionSettings | None = None) -> None:
        # rasa-sdk builds each action once at start-up: the configuration is read then.
        self._settings = settings or ActionSettings.from_env()

    @abstractmethod
    def name(self) -> str: ...

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text")
        lang = detect_lang(text, default=tracker.get_slot("lang"))
        park = self._settings.park_name(lang)
        dispatcher.utter_message(**reply(self.reply_key, lang, park).message())
        return [SlotSet("lang", lang)]


class ActionGreet(SmalltalkAction):
    reply_key = "greet"

    def name(self) -> str:
        return "action_greet"


class ActionHelp(SmalltalkAction):
    reply_key = "help"

    def name(self) -> str:
        return "action_help"


class ActionGoodbye(SmalltalkAction):
    reply_key = "goodbye"

    def name(self) -> str:
        return "action_goodbye"


class ActionThanks(SmalltalkAction):
    reply_key = "thanks"

    def name(self) -> str:
        return "action_thanks"


class ActionBotChallenge(SmalltalkAction):
    reply_key = "bot_challenge"

    def name(self) -> str:
        return "action_bot_challenge"
