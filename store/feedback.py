"""Votes on answers (👍 +1 / 👎 -1, an optional reason), stored in store.models.Feedback.

A vote names the answer by the message_id the client got with it and comes from the sender who
asked: a vote whose sender's pseudonym is not the question's is treated like an unknown answer, so
an id seen elsewhere cannot be used to vote on someone else's answer. One vote per answer and
sender: a second one replaces the first (a unique constraint keeps it so under concurrent posts).
The channel is the question's. A 👎 is what puts the question in the console's "disliked" inbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import Feedback, QuestionLog, utcnow
from store.pseudonym import Pseudonyms

MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Vote:
    message_id: str
    sender: str
    rating: int  # +1 or -1
    reason: str = ""


class UnknownAnswer(LookupError):
    """No logged answer with this message_id for this sender."""


def record_vote(db: Database, pseudonyms: Pseudonyms, vote: Vote) -> bool:
    """Store `vote`; True when it replaced the sender's earlier vote on the same answer."""
    sender_hash = pseudonyms(vote.sender)
    for attempt in range(2):  # a concurrent first vote may win the insert: then replace it
        try:
            with db.session() as session:
                question = session.scalar(select(QuestionLog).where(QuestionLog.message_id == vote.message_id))
                if question is None or question.sender_hash != sender_hash:
                    raise UnknownAnswer(vote.message_id)
                earlier = session.scalar(select(Feedback).where(
                    Feedback.message_id == vote.message_id, Feedback.sender_hash == sender_hash))
                if earlier is None:
                    session.add(Feedback(message_id=vote.message_id, rating=vote.rating, reason=vote.reason,
                                         channel=question.channel, sender_hash=sender_hash))
                    return False
                earlier.rating, earlier.reason = vote.rating, vote.reason
                earlier.created_at = utcnow()  # the vote as it stands now
                return True
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")
