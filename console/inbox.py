"""The inbox: open questions the bot did not answer (related, declined) or that a user disliked,
and what the staff do with them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.models import Feedback, QuestionLog

UNANSWERED = ("related", "declined")
STATUSES = ("open", "answered", "out_of_scope", "needs_article")
MAX_ROWS = 2000  # newest first; older open questions show once these are handled
MAX_NOTE_CHARS = 1000
MAX_ID = 2**31 - 1  # PostgreSQL's integer


class InboxError(ValueError):
    pass


def open_questions(session: Session, limit: int = MAX_ROWS) -> list[QuestionLog]:
    disliked = select(Feedback.message_id).where(Feedback.rating < 0)
    query = (select(QuestionLog)
             .where(QuestionLog.status == "open",
                    or_(QuestionLog.outcome.in_(UNANSWERED), QuestionLog.message_id.in_(disliked)))
             .order_by(QuestionLog.asked_at.desc(), QuestionLog.id.desc()).limit(limit))
    return list(session.scalars(query))


def disliked_ids(session: Session, rows: Sequence[QuestionLog]) -> set[str]:
    ids = [r.message_id for r in rows]
    if not ids:
        return set()
    found = session.scalars(select(Feedback.message_id).where(Feedback.rating < 0, Feedback.message_id.in_(ids)))
    return set(found)


def parse_ids(raw: str, limit: int = MAX_ROWS) -> list[int]:
    parts = [p for p in raw.replace(",", " ").split() if p]
    if not parts or len(parts) > limit or not all(p.isdigit() and len(p) <= 10 and 0 < int(p) <= MAX_ID for p in parts):
        raise InboxError("no questions chosen (reload the inbox)")
    return [int(p) for p in parts]


def rows_for(session: Session, ids: Sequence[int]) -> list[QuestionLog]:
    rows = list(session.scalars(select(QuestionLog).where(QuestionLog.id.in_(ids), QuestionLog.status == "open")))
    if not rows:
        raise InboxError("these questions were already handled (reload the inbox)")
    return rows


def close(rows: Sequence[QuestionLog], status: str, note: str = "", faq_id: int | None = None) -> None:
    if status not in STATUSES[1:]:
        raise InboxError(f"unknown status {status[:20]!r}")
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InboxError(f"a note of at most {MAX_NOTE_CHARS} characters")
    if status == "needs_article" and not note:
        raise InboxError("say which article is to be written (a title or a link)")
    for row in rows:
        row.status, row.note = status, note
        if faq_id is not None:
            row.faq_id = faq_id
