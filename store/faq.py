"""Curated answers in the database: read them for matching, write them from the console.

Every change that the bot must notice moves the entry's `updated_at` (a new paraphrase too),
so that `fingerprint` (count and newest `updated_at`) tells a reader cheaply that it must reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from knowledge.curated import CuratedEntry
from store.models import FaqEntry, FaqQuestion, utcnow

MAX_QUESTION_CHARS = 500  # a question, as the channels cap it (BOT_MAX_MESSAGE_CHARS' default)
MAX_ANSWER_CHARS = 4000  # several paragraphs; a chat bubble, not a page
MAX_WORDINGS = 50  # paraphrases per entry


class FaqError(ValueError):
    """A curated answer the console must refuse, with the reason in words."""


def fingerprint(session: Session) -> tuple[int, datetime | None, int]:
    """(entries, newest change, wordings): one indexed query; equal fingerprints, same entries."""
    count, newest, wordings = session.execute(select(  # one round trip: it runs before every answer
        select(func.count(FaqEntry.id)).scalar_subquery(), select(func.max(FaqEntry.updated_at)).scalar_subquery(),
        select(func.count(FaqQuestion.id)).scalar_subquery())).one()
    return int(count or 0), newest, int(wordings or 0)


def load_entries(session: Session) -> list[CuratedEntry]:
    rows = session.scalars(select(FaqEntry).options(selectinload(FaqEntry.questions)).order_by(FaqEntry.id))
    return [to_curated(e) for e in rows]


def to_curated(entry: FaqEntry) -> CuratedEntry:
    return CuratedEntry(entry.id, tuple(q.text for q in entry.questions), entry.answer, entry.updated_at,
                        entry.source_article, entry.expires_on)


def clean_questions(questions: Sequence[str]) -> list[str]:
    """One wording per line, stripped, without duplicates; refused when none or too long."""
    out = list(dict.fromkeys(" ".join(q.split()) for q in questions if q and q.strip()))
    if not out:
        raise FaqError("a curated answer needs at least one question")
    if len(out) > MAX_WORDINGS:
        raise FaqError(f"at most {MAX_WORDINGS} wordings of one question")
    for q in out:
        if len(q) > MAX_QUESTION_CHARS:
            raise FaqError(f"a question of at most {MAX_QUESTION_CHARS} characters, got {len(q)}")
    return out


def clean_answer(answer: str) -> str:
    text = (answer or "").strip().replace("\r\n", "\n")
    if not text:
        raise FaqError("the answer is empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise FaqError(f"an answer of at most {MAX_ANSWER_CHARS} characters, got {len(text)}")
    return text


def create_entry(session: Session, questions: Sequence[str], answer: str, author: str, *,
                 source_article: str = "", expires_on: date | None = None) -> FaqEntry:
    entry = FaqEntry(answer=clean_answer(answer), author=author[:64], source_article=source_article[:512].strip(),
                     expires_on=expires_on, questions=[FaqQuestion(text=q) for q in clean_questions(questions)])
    session.add(entry)
    session.flush()
    return entry


def update_entry(session: Session, entry_id: int, questions: Sequence[str], answer: str, author: str, *,
                 source_article: str = "", expires_on: date | None = None) -> FaqEntry:
    entry = get_entry(session, entry_id)
    wanted = clean_questions(questions)
    entry.answer = clean_answer(answer)
    entry.author = author[:64]
    entry.source_article = source_article[:512].strip()
    entry.expires_on = expires_on
    entry.questions = [next((q for q in entry.questions if q.text == text), FaqQuestion(text=text)) for text in wanted]
    entry.updated_at = utcnow()  # also when only the wordings changed
    session.flush()
    return entry


def add_paraphrase(session: Session, entry_id: int, text: str) -> bool:
    """Add a wording to an entry; False when it already has it."""
    entry = get_entry(session, entry_id)
    [wording] = clean_questions([text])
    if wording in {q.text for q in entry.questions}:
        return False
    if len(entry.questions) >= MAX_WORDINGS:
        raise FaqError(f"at most {MAX_WORDINGS} wordings of one question")
    entry.questions.append(FaqQuestion(text=wording))
    entry.updated_at = utcnow()
    session.flush()
    return True


def delete_entry(session: Session, entry_id: int) -> None:
    session.delete(get_entry(session, entry_id))
    session.flush()


MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id is refused, not sent to the database


def get_entry(session: Session, entry_id: int) -> FaqEntry:
    if not 0 < entry_id <= MAX_ID:
        raise FaqError(f"no curated answer #{entry_id}")
    entry = session.get(FaqEntry, entry_id, options=[selectinload(FaqEntry.questions)])
    if entry is None:
        raise FaqError(f"no curated answer #{entry_id}")
    return entry


def list_entries(session: Session) -> list[FaqEntry]:
    return list(session.scalars(select(FaqEntry).options(selectinload(FaqEntry.questions))
                                .order_by(FaqEntry.updated_at.desc())))


def parse_date(text: str) -> date | None:
    """'' -> None; 'YYYY-MM-DD' -> date; anything else is refused."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FaqError(f"a date as YYYY-MM-DD, got {text[:40]!r}") from None


def entry_fields(entry: FaqEntry) -> dict[str, Any]:
    return {"id": entry.id, "questions": [q.text for q in entry.questions], "answer": entry.answer,
            "source_article": entry.source_article, "author": entry.author,
            "created_at": entry.created_at, "updated_at": entry.updated_at, "expires_on": entry.expires_on}
