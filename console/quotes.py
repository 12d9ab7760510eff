"""How often each article has been quoted: questions in the question log whose reply showed it (an
answer citing it, or the related passage), each question once, as store.figures counts them."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.figures import QUOTING
from store.models import QuestionLog


def quote_counts(db: Session) -> Counter[str]:
    """Article name -> questions that quoted it. Sources are JSON, so they are counted here, not in SQL
    (the two databases' JSON functions differ)."""
    counts: Counter[str] = Counter()
    for sources in db.scalars(select(QuestionLog.sources).where(QuestionLog.outcome.in_(QUOTING))):
        names = {s.get("source") for s in sources or [] if isinstance(s, dict)}
        counts.update(n for n in names if isinstance(n, str) and n)
    return counts
