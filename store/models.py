"""The tables, as SQLAlchemy 2 declarative classes. A change here needs an Alembic revision in
`store/migrations/versions/` (`python -m store revision -m "…"` autogenerates one)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    # Named constraints so that migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


Timestamp = DateTime(timezone=True)


class QuestionLog(Base):
    """One question a user asked and what the bot did with it (every outcome, not only declines:
    the figures and the inbox both read it). `message_id` is what feedback refers to."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    asked_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(32), default="")
    sender_hash: Mapped[str] = mapped_column(String(32), default="", index=True)  # pseudonym, never the id
    lang: Mapped[str] = mapped_column(String(8), default="")
    question: Mapped[str] = mapped_column(Text)
    # answered | related | declined | curated (a FAQ entry answered) | refused (bad input, out of scope)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    faq_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entry.id", ondelete="SET NULL"), nullable=True)
    # The staff's triage of an unanswered or disliked question: open | answered | out_of_scope | needs_article
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    note: Mapped[str] = mapped_column(Text, default="")  # e.g. the article to be written


class Feedback(Base):
    """A 👍 (+1) or 👎 (-1) on one answer, with an optional reason."""

    __tablename__ = "feedback"
    # One vote per answer and sender: a second vote replaces the first (store/feedback.py).
    __table_args__ = (UniqueConstraint("message_id", "sender_hash", name="uq_feedback_message_id_sender_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), index=True)  # the answer's QuestionLog.message_id
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    rating: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(32), default="")
    sender_hash: Mapped[str] = mapped_column(String(32), default="")


class FaqEntry(Base):
    """A curated answer written or approved by the park's staff; matched before retrieval."""

    __tablename__ = "faq_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer: Mapped[str] = mapped_column(Text)
    source_article: Mapped[str] = mapped_column(String(512), default="")  # an article's path, optional
    author: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow, index=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    questions: Mapped[list[FaqQuestion]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="FaqQuestion.id")


class FaqQuestion(Base):
    """One wording of a curated answer's question (the first one and its paraphrases)."""

    __tablename__ = "faq_question"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entry.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    entry: Mapped[FaqEntry] = relationship(back_populates="questions")


class StaffUser(Base):
    """A console account. `password_hash` is an argon2 hash; failed sign-ins lock the account."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Lead(Base):
    """A prospective tenant who left contact details, with consent, for the park's officers."""

    __tablename__ = "lead"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(32), default="")
    sender_hash: Mapped[str] = mapped_column(String(32), default="")
    lang: Mapped[str] = mapped_column(String(8), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    industry: Mapped[str] = mapped_column(String(200), default="")
    needs: Mapped[str] = mapped_column(String(200), default="")  # land, office, policy, talent …
    contact: Mapped[str] = mapped_column(String(200))  # mobile number, e-mail or WeChat ID, validated
    contact_kind: Mapped[str] = mapped_column(String(16))  # mobile | email | wechat
    preferred_time: Mapped[str] = mapped_column(String(200), default="")
    consent_text: Mapped[str] = mapped_column(Text)  # the sentence the investor agreed to
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # the conversation's questions
    # Hand-off to the officers' webhook: pending | sent | dead (retries exhausted; kept, never lost)
    notify_status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify_error: Mapped[str] = mapped_column(Text, default="")
    notified_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)


Index("ix_question_log_outcome_status", QuestionLog.outcome, QuestionLog.status)
