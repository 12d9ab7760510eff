"""The staff's figures (issue #12), computed from the question log and feedback: questions per day and
channel, the share answered / related / declined, the questions asked most, the articles quoted most
and those never quoted, and the feedback ratio. Counting happens in SQL where both SQLite and
PostgreSQL can (GROUP BY); the quoted articles are counted from each row's `sources` JSON in Python
(the two databases' JSON functions differ), reading only that column of the rows that quoted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import Select, case, func, select

from store.db import Database
from store.models import Feedback, QuestionLog

OUTCOMES = ("answered", "related", "declined")
QUOTING = ("answered", "related")  # outcomes whose sources the user was shown


@dataclass(frozen=True)
class Period:
    """Days from `since` to `until`, both included (None: open)."""

    since: date | None = None
    until: date | None = None

    def where(self, query: Select) -> Select:  # type: ignore[type-arg]
        if self.since:
            query = query.where(QuestionLog.asked_at >= datetime.combine(self.since, time(), timezone.utc))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time(), timezone.utc)
            query = query.where(QuestionLog.asked_at < end)
        return query


@dataclass
class Figures:
    questions: int = 0
    per_day: list[tuple[str, str, int]] = field(default_factory=list)  # (day, channel, questions)
    outcomes: dict[str, int] = field(default_factory=dict)  # every outcome logged, with its count
    top_questions: list[tuple[str, int]] = field(default_factory=list)
    articles: list[tuple[str, str, int]] = field(default_factory=list)  # (file, title, questions quoting it)
    never_quoted: list[tuple[str, str]] = field(default_factory=list)  # indexed articles no question quoted
    votes_up: int = 0
    votes_down: int = 0
    answers_voted: int = 0

    def share(self, outcome: str) -> float:
        return self.outcomes.get(outcome, 0) / self.questions if self.questions else 0.0

    @property
    def feedback_ratio(self) -> float | None:
        """👍 among all votes (None: no votes)."""
        votes = self.votes_up + self.votes_down
        return self.votes_up / votes if votes else None


def compute(db: Database, articles: dict[str, str], period: Period = Period(), top: int = 10) -> Figures:
    """The figures of `period`; `articles` are the index's articles (file -> title)."""
    out = Figures()
    with db.session() as session:
        day = func.date(QuestionLog.asked_at)
        rows = session.execute(period.where(
            select(day, QuestionLog.channel, func.count()).group_by(day, QuestionLog.channel).order_by(day, QuestionLog.channel)))
        out.per_day = [(str(d), c or "unknown", n) for d, c, n in rows]
        out.outcomes = dict(session.execute(period.where(
            select(QuestionLog.outcome, func.count()).group_by(QuestionLog.outcome))).tuples().all())
        out.questions = sum(out.outcomes.values())
        asked = func.count().label("asked")
        out.top_questions = [(q, n) for q, n in session.execute(period.where(
            select(QuestionLog.question, asked).group_by(QuestionLog.question)
            .order_by(asked.desc(), QuestionLog.question).limit(top)))]
        quoted: Counter[str] = Counter()
        titles: dict[str, str] = {}
        for (sources,) in session.execute(period.where(
                select(QuestionLog.sources).where(QuestionLog.outcome.in_(QUOTING)))):
            files = {s.get("source") for s in sources or [] if isinstance(s, dict) and s.get("source")}
            quoted.update(files)  # an article counts once per question, however many of its passages
            for s in sources or []:
                if isinstance(s, dict) and s.get("source"):
                    titles.setdefault(s["source"], s.get("title") or "")
        out.articles = [(f, articles.get(f) or titles.get(f, ""), n)
                        for f, n in sorted(quoted.items(), key=lambda item: (-item[1], item[0]))]
        out.never_quoted = sorted((f, t) for f, t in articles.items() if f not in quoted)
        voted = period.where(select(Feedback.rating, Feedback.message_id)
                             .join(QuestionLog, QuestionLog.message_id == Feedback.message_id)).subquery()
        up, down, answers = session.execute(select(
            func.coalesce(func.sum(case((voted.c.rating > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(case((voted.c.rating < 0, 1), else_=0)), 0),
            func.count(func.distinct(voted.c.message_id)))).one()
        out.votes_up, out.votes_down, out.answers_voted = int(up), int(down), int(answers)
    return out


def index_articles(index_dir: Path) -> dict[str, str]:
    """The articles of the published index (file -> title): its manifest's sources, titles from its
    passages; {} when no index is published."""
    from knowledge.index import current_build, read_manifest

    build = current_build(index_dir)
    if build is None:
        return {}
    files = dict.fromkeys(read_manifest(build).get("sources", {}), "")
    with (build / "passages.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            passage = json.loads(line)
            if files.get(passage.get("source"), None) == "":
                files[passage["source"]] = passage.get("title", "")
    return files
