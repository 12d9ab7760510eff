"""Every question the answer action handles, in the database's question log (store.models.QuestionLog).

Each record gets a random `message_id`, also sent to the client in the answer's custom payload,
so that feedback (👍/👎) can name the answer it is about. Senders are kept as pseudonyms
(store/pseudonym.py). Writing happens in a background thread (store/background.py): a reply never
waits for the database, and a database error is logged, never shown to the user.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from knowledge.curated import CuratedMatch
from knowledge.types import Answer
from store.background import BackgroundWriter
from store.models import QuestionLog
from store.pseudonym import Pseudonyms

# What the staff see for each reply the knowledge base gave (`Answer.outcome` -> logged outcome).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
OUTCOMES = {"answer": "answered", "related": "related", "decline": "declined"}


def new_message_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits: cannot be guessed to vote on others' answers


class QuestionRecorder:
    """Builds the question log's rows and hands them to the background writer."""

    def __init__(self, pseudonyms: Pseudonyms | None = None, writer: BackgroundWriter | None = None) -> None:
        self.pseudonyms = pseudonyms or Pseudonyms.from_env()
        self.writer = writer or BackgroundWriter()

    def record(self, sender: str, channel: str, question: str, answer: Answer, probability: float | None,
               said: str, outcome: str | None = None) -> str:
        """Log one question, what the bot `said` (the reply's text, as the console shows it) and the
        judge's `probability`; returns its message_id. `outcome` overrides the knowledge base's (a
        related passage that was not shown is a decline)."""
        message_id = new_message_id()
        outcome = outcome or OUTCOMES.get(answer.outcome, "declined")
        # What the user was shown: the answer's sources, or the closest passage offered as such.
        quoted = answer.sources if answer.grounded else answer.related if outcome == "related" else []
        turn = {"channel": (channel or "")[:32], "sender_hash": self.pseudonyms(sender), "lang": answer.lang,
                "answer": _storable(said)}  # shared by the question and the parts it left open
        self.writer.submit(QuestionLog(
            message_id=message_id, question=_storable(question), outcome=outcome,
            sources=[_source(s.to_dict()) for s in quoted], probability=probability, **turn,
        ))
        for part in answer.unanswered if answer.grounded else ():
            # A question of the message the answer left open: in the staff's inbox like any other.
            self.writer.submit(QuestionLog(
                message_id=new_message_id(), question=_storable(part), outcome="declined", sources=[],
                probability=None, **turn,
            ))
        return message_id


    def record_curated(self, sender: str, channel: str, question: str, lang: str, match: CuratedMatch,
                       sources: list[dict[str, Any]]) -> str:
        """Log a question answered by one of the staff's curated answers (outcome `curated`)."""
        message_id = new_message_id()
        self.writer.submit(QuestionLog(
            message_id=message_id, channel=(channel or "")[:32], sender_hash=self.pseudonyms(sender), lang=lang,
            question=_storable(question), outcome="curated", answer=match.entry.answer,
            sources=[_source(s) for s in sources], probability=match.probability, faq_id=match.entry.id,
        ))
        return message_id


def channel_of(latest_message: dict[str, Any], latest_input_channel: str | None) -> str:
    """The channel the question came through ("rest", "socketio", "wechat", "cmdline")."""
    return str(latest_message.get("input_channel") or latest_input_channel or "")


def _source(source: dict[str, Any]) -> dict[str, Any]:
    # The passage text is in the index; the log keeps what identifies and was quoted.
    return {key: source.get(key) for key in ("id", "source", "title", "section", "sentence", "score")}


def _storable(text: str) -> str:
    """Text from the network may hold lone surrogates, which UTF-8 databases refuse: replaced."""
    return _LONE_SURROGATE.sub("\ufffd", text)
