"""The answer action: retrieval from the park's articles, grounded or an honest "not found"."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import (
    answer_payload,
    curated_payload,
    format_answer,
    format_curated,
    format_related,
    question_buttons,
)
from actions.knowledge_provider import KnowledgeProvider
from actions.lead_offer import LeadOffer
from actions.question_log import QuestionRecorder, channel_of
from actions.related import did_you_mean, suggest
from actions.settings import ActionSettings
from knowledge.errors import InvalidQuestionError, KnowledgeError
from knowledge.phrases import detect_lang, reply
from knowledge.text import sanitize
from knowledge.types import Answer
from store.db import Database
from store.faq_matcher import LiveFaq

logger = logging.getLogger(__name__)


class ActionAnswerQuestion(Action):
    """Answers park questions, low-confidence messages and out-of-scope requests alike.

    Retrieval decides grounding; the intent only chooses the wording of a refusal.
    Every turn also sends `{"grounded": bool, "sources": [...]}` as a custom payload (plus `related`
    and `suggestions` when there are any), with the `message_id` of the question's entry in the
    question log when it was logged (feedback names it).
    """

    def __init__(
        self,
        provider: KnowledgeProvider | None = None,
        settings: ActionSettings | None = None,
        curated: LiveFaq | None = None,
        recorder: QuestionRecorder | None = None,
    ) -> None:
        self._settings = settings or ActionSettings.from_env()
        self._knowledge = provider or KnowledgeProvider()
        self._curated = curated or LiveFaq(Database.from_env)  # the staff's answers, before retrieval
        self._log = recorder or QuestionRecorder()
        self._offer = LeadOffer(self._settings)
        # No usable index: the action server stops here with a message naming the fix.
        # The service itself is loaded in the serving process (actions/knowledge_provider.py).
        self._knowledge.check()

    def name(self) -> str:
        return "action_answer_question"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        previous = tracker.get_slot("last_question") or None
        fallback_lang = detect_lang(text, default=tracker.get_slot("lang"))

        service = self._knowledge.get()
        if service is None:
            return self._apologise(dispatcher, fallback_lang)
        try:
            service.reload_if_changed()
            curated = self._curated.match(sanitize(text, service.settings.max_question_chars), service.embedder,
                                          service.settings.cache_dir)
            if curated is not None:
                lang = detect_lang(text, default=fallback_lang)
                park = self._settings.park_name(lang)
                dispatcher.utter_message(text=format_curated(curated, park, lang))
                payload = curated_payload(curated, park, lang)
                logged = self._logged(tracker, text, lambda sender, channel: self._log.record_curated(
                    sender, channel, text, lang, curated, payload["sources"]))
                dispatcher.utter_message(json_message={**payload, **logged})
                return [SlotSet("lang", lang), SlotSet("last_question", text)]
            answer, trace = service.explain(text, previous=previous)
            followup = previous is not None and answer.followup
        except InvalidQuestionError:
            limit = service.settings.max_question_chars
            if is_too_long(text, limit):
                # Say what is wrong and what the limit is; not an unanswered question.
                dispatcher.utter_message(**reply("too_long", fallback_lang, limit=limit).message())
                dispatcher.utter_message(json_message=answer_payload(None))
            else:
                # Nothing searchable ("？？", emoji): not a question the articles could answer.
                self._send_refusal(dispatcher, intent, fallback_lang, None)
            return [SlotSet("lang", fallback_lang)]
        except KnowledgeError as exc:
            logger.error("knowledge base error for %r: %s", text[:80], exc)
            return self._apologise(dispatcher, fallback_lang)
        except Exception:
            logger.exception("answering %r failed", text[:80])
            return self._apologise(dispatcher, fallback_lang)

        suggestions = suggest(service, answer, trace.ranked_ids) if intent != "out_of_scope" else []
        if answer.grounded:
            # The shell shows no source cards: its text carries the citation line (WeChat adds its own).
            shell = tracker.get_latest_input_channel() == "cmdline"
            said = format_answer(answer, citation=shell)
            dispatcher.utter_message(text=said, buttons=question_buttons(suggestions))
            logged = self._record(tracker, text, answer, trace.score, said)
            dispatcher.utter_message(json_message={**answer_payload(answer, suggestions), **logged})
        elif answer.related and intent != "out_of_scope":
            # Not an answer: the closest passage, said to be only that; the staff still see the question.
            said = format_related(answer, self._settings.park_name(answer.lang))
            dispatcher.utter_message(text=said)
            logged = self._record(tracker, text, answer, trace.score, said)
            # The payload right after the text it belongs to: the widget puts 👍/👎 under that text.
            dispatcher.utter_message(json_message={**answer_payload(answer, suggestions), **logged})
            did_you_mean(dispatcher, answer.lang, suggestions)
        else:  # a related passage that is not shown is no answer: declined
            self._send_refusal(dispatcher, intent, answer.lang, answer, suggestions,
                               lambda said: self._record(tracker, text, answer, trace.score, said, "declined"))
        declined = not answer.grounded and intent != "out_of_scope"  # a person may help where articles did not
        return [
            SlotSet("lang", answer.lang),
            SlotSet(
                "last_question",
                next_subject(text, answer.grounded, previous, followup, aside=intent == "out_of_scope"),
            ),
            *self._offer.send(dispatcher, tracker, answer.lang, declined),
        ]

    def _send_refusal(
        self, dispatcher: CollectingDispatcher, intent: str | None, lang: str, answer: Answer | None,
        suggestions: list[str] | None = None,
        log: Callable[[str], dict[str, str]] | None = None,
    ) -> None:
        key = "out_of_scope" if intent == "out_of_scope" else "not_grounded"
        said = reply(key, lang, self._settings.park_name(lang))
        dispatcher.utter_message(**said.message())
        logged = log(said.text) if log else {}
        # A refusal cites nothing.
        dispatcher.utter_message(json_message={**answer_payload(None, suggestions or ()), **logged})
        did_you_mean(dispatcher, lang, suggestions or [])

    def _record(
        self, tracker: Tracker, text: str, answer: Answer, probability: float, said: str, outcome: str | None = None
    ) -> dict[str, str]:
        """Log the question and what the bot `said` for the staff; `{"message_id": …}` for the payload,
        {} if it failed."""
        return self._logged(tracker, text, lambda sender, channel: self._log.record(
            sender, channel, text, answer, probability, said, outcome))

    @staticmethod
    def _logged(tracker: Tracker, text: str, write: Callable[[str, str], str]) -> dict[str, str]:
        try:
            channel = channel_of(tracker.latest_message, tracker.get_latest_input_channel())
            return {"message_id": write(tracker.sender_id, channel)}
        except Exception:  # the log must never cost the user the answer
            logger.exception("could not log the question %r", text[:80])
            return {}

    @staticmethod
    def _apologise(dispatcher: CollectingDispatcher, lang: str) -> list[dict[str, Any]]:
        dispatcher.utter_message(**reply("unavailable", lang).message())
        dispatcher.utter_message(json_message=answer_payload(None))
        return [SlotSet("lang", lang)]


def is_too_long(text: str, limit: int) -> bool:
    """Whether the knowledge library refuses `text` for its length (not for being empty).

    Measured as the library measures it: after its own clean-up (spaces collapsed,
    control characters dropped).
    """
    try:
        return len(sanitize(text, sys.maxsize)) > limit
    except InvalidQuestionError:  # nothing searchable at all
        return False


def next_subject(
    question: str, grounded: bool, previous: str | None, followup: bool, aside: bool = False
) -> str | None:
    """The question that later follow-ups should lean on.

    A follow-up ("它总投资多少？") keeps the question that named the subject, so a
    chain of follow-ups stays on it. A new question becomes the subject if the
    articles answered it. If they did not, the subject is dropped (the user moved to
    something the articles do not cover), unless the message was an `aside`
    (chit-chat such as "讲个笑话" names no new subject).
    """
    if followup:
        return previous
    if grounded:
        return question
    return previous if aside else None
