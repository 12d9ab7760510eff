"""Related questions in a conversation: after an answer, as its buttons; after a decline, "您是不是想问…".

The questions are the build's (knowledge/suggest.py): ones the articles answer, picked by passage.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import question_buttons
from knowledge.phrases import phrase
from knowledge.types import Answer

logger = logging.getLogger(__name__)


def suggest(service: Any, answer: Answer, retrieved: list[str]) -> list[str]:
    """Related questions (knowledge/suggest.py) near `answer`, whose search ranked the passages
    `retrieved`; none rather than a failed turn."""
    try:
        found = service.suggest(answer, retrieved=retrieved)
    except Exception:
        logger.exception("related questions failed for %r", answer.question[:80])
        return []
    return [q for q in found if isinstance(q, str)] if isinstance(found, list) else []


def did_you_mean(dispatcher: CollectingDispatcher, lang: str, suggestions: list[str]) -> None:
    """After a decline: "您是不是想问…" with the closest questions the articles do answer."""
    if suggestions:
        dispatcher.utter_message(text=phrase("did_you_mean", lang), buttons=question_buttons(suggestions))
