"""How often each article has been quoted: answers in the question log citing it (each answer once)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import QuestionLog


def quote_counts(db: Session) -> Counter[str]:
    """Article name -> answers that cited it. Sources are JSON, so they are counted here, not in SQL
    (the same query on SQLite and PostgreSQL); only answered rows carry sources."""
    counts: Counter[str] = Counter()
    for sources in db.scalars(select(QuestionLog.sources).where(QuestionLog.outcome == "answered")):
        names = {s.get("source") for s in sources or [] if isinstance(s, dict)}
        counts.update(n for n in names if isinstance(n, str) and n)
    return counts
