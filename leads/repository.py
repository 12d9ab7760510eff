"""Lead rows in the bot's database: written once by the form, updated by the hand-off, read by the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from store.db import Database
from store.models import Lead

PENDING, SENT, DEAD = "pending", "sent", "dead"
MAX_QUESTIONS = 20  # the conversation's latest questions kept with a lead
MAX_QUESTION_CHARS = 300


@dataclass(frozen=True)
class NewLead:
    """What the form collected, already validated (actions/lead_validation.py)."""

    contact: str
    contact_kind: str
    consent_text: str
    company: str = ""
    industry: str = ""
    needs: str = ""
    preferred_time: str = ""
    channel: str = ""
    sender_hash: str = ""
    lang: str = ""
    questions: Sequence[str] = field(default_factory=tuple)


def save(db: Database, lead: NewLead) -> int:
    """Store `lead` (hand-off pending) and return its id."""
    questions = [q[:MAX_QUESTION_CHARS] for q in lead.questions][-MAX_QUESTIONS:]
    row = Lead(channel=lead.channel[:32], sender_hash=lead.sender_hash, lang=lead.lang, company=lead.company[:200],
               industry=lead.industry[:200], needs=lead.needs[:200], contact=lead.contact[:200],
               contact_kind=lead.contact_kind, preferred_time=lead.preferred_time[:200],
               consent_text=lead.consent_text, questions=questions, notify_status=PENDING)
    with db.session() as session:
        session.add(row)
        session.flush()
        return row.id


def get(db: Database, lead_id: int) -> Lead | None:
    with db.session() as session:
        return session.get(Lead, lead_id)


def undelivered(db: Database) -> list[int]:
    """Ids of the leads whose hand-off is pending or dead, oldest first."""
    with db.session() as session:
        query = select(Lead.id).where(Lead.notify_status.in_((PENDING, DEAD))).order_by(Lead.id)
        return list(session.scalars(query))


def record_delivery(db: Database, lead_id: int, ok: bool, attempts: int, error: str) -> None:
    """The outcome of a hand-off: `sent`, or `dead` with the last error kept (the lead stays)."""
    with db.session() as session:
        row = session.get(Lead, lead_id)
        if row is None:
            return
        row.notify_attempts += attempts
        row.notify_status = SENT if ok else DEAD
        row.notify_error = "" if ok else error[:2000]
        if ok:
            row.notified_at = datetime.now(timezone.utc)


def latest(db: Database, limit: int = 50) -> list[Lead]:
    with db.session() as session:
        return list(session.scalars(select(Lead).order_by(Lead.id.desc()).limit(limit)))
