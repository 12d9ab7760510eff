"""The staff's figures over a scripted question log: every count checked by hand."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from store.__main__ import main
from store.db import Database
from store.figures import Period, compute
from store.figures_report import CSV_FILES, write_csv
from store.models import Feedback, QuestionLog

ARTICLES = {"a.md": "Article A", "b.md": "Article B", "c.md": "Article C"}  # c.md is never quoted


def src(file: str, passage: str = "p") -> dict[str, str]:
    return {"id": f"{file}-{passage}", "source": file, "title": ARTICLES.get(file, "?"), "sentence": "…"}


# (day of December, channel, question, outcome, sources)
ROWS = [
    (1, "socketio", "园区在哪？", "answered", [src("a.md", "1"), src("a.md", "2")]),  # a.md once for this question
    (1, "socketio", "园区在哪？", "answered", [src("a.md")]),
    (1, "rest", "有没有人才公寓？", "declined", []),
    (2, "socketio", "园区在哪？", "related", [src("b.md")]),
    (2, "wechat", "电价多少？", "declined", []),
    (2, "wechat", "有没有人才公寓？", "declined", []),
    (3, "socketio", "政策有哪些？", "answered", [src("a.md"), src("b.md")]),
    (3, "", "旧日志的问题", "declined", []),  # imported from unanswered.jsonl: channel unknown
]


@pytest.fixture()
def scripted(bot_db: Database) -> Database:
    with bot_db.session() as session:
        for i, (day, channel, question, outcome, sources) in enumerate(ROWS):
            session.add(QuestionLog(message_id=f"m{i}", asked_at=datetime(2026, 12, day, 10, i, tzinfo=timezone.utc),
                                    channel=channel, sender_hash=f"s{i}", question=question, outcome=outcome,
                                    sources=sources))
        session.add_all([
            Feedback(message_id="m0", rating=1, sender_hash="s0"),
            Feedback(message_id="m1", rating=-1, reason="wrong place", sender_hash="s1"),
            Feedback(message_id="m3", rating=-1, sender_hash="s3"),
            Feedback(message_id="m6", rating=1, sender_hash="s6"),
        ])
    return bot_db


def test_the_figures_count_the_scripted_log(scripted: Database) -> None:
    figures = compute(scripted, ARTICLES, top=2)
    assert figures.questions == 8
    assert figures.per_day == [("2026-12-01", "rest", 1), ("2026-12-01", "socketio", 2),
                               ("2026-12-02", "socketio", 1), ("2026-12-02", "wechat", 2),
                               ("2026-12-03", "unknown", 1), ("2026-12-03", "socketio", 1)]
    assert figures.outcomes == {"answered": 3, "related": 1, "declined": 4}
    assert (figures.share("answered"), figures.share("related"), figures.share("declined")) == (0.375, 0.125, 0.5)
    assert figures.top_questions == [("园区在哪？", 3), ("有没有人才公寓？", 2)]
    assert figures.articles == [("a.md", "Article A", 3), ("b.md", "Article B", 2)]
    assert figures.never_quoted == [("c.md", "Article C")]
    assert (figures.votes_up, figures.votes_down, figures.answers_voted) == (2, 2, 4)
    assert figures.feedback_ratio == 0.5


def test_a_period_counts_only_its_days(scripted: Database) -> None:
    figures = compute(scripted, ARTICLES, Period(date(2026, 12, 2), date(2026, 12, 2)))
    assert figures.questions == 3 and figures.outcomes == {"related": 1, "declined": 2}
    assert figures.articles == [("b.md", "Article B", 1)]
    assert [f for f, _ in figures.never_quoted] == ["a.md", "c.md"]
    assert (figures.votes_up, figures.votes_down) == (0, 1)  # the vote on m3, asked on the 2nd


def test_an_empty_log_has_no_ratio_and_no_division_by_zero(bot_db: Database) -> None:
    figures = compute(bot_db, ARTICLES)
    assert figures.questions == 0 and figures.share("answered") == 0.0 and figures.feedback_ratio is None
    assert [f for f, _ in figures.never_quoted] == sorted(ARTICLES)


def test_csv_files_hold_the_same_counts(scripted: Database, tmp_path: Path) -> None:
    paths = write_csv(compute(scripted, ARTICLES), tmp_path / "out")
    assert [p.name for p in paths] == list(CSV_FILES)
    outcomes = (tmp_path / "out" / "outcomes.csv").read_text(encoding="utf-8-sig").splitlines()
    assert outcomes == ["outcome,questions,share", "answered,3,0.375", "related,1,0.125", "declined,4,0.5"]
    articles = (tmp_path / "out" / "articles.csv").read_text(encoding="utf-8-sig").splitlines()
    assert articles[1:] == ["a.md,Article A,3", "b.md,Article B,2", "c.md,Article C,0"]


def test_the_command_prints_the_tables_and_rejects_bad_days(
    scripted: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_DATABASE_URL", str(scripted.url))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "no-index"))
    assert main(["figures", "--csv", str(tmp_path / "csv")]) == 0
    out = capsys.readouterr().out
    assert "园区在哪？" in out and "Outcomes of 8 questions" in out and "50.0%" in out
    assert (tmp_path / "csv" / "per_day.csv").exists()
    with pytest.raises(SystemExit):
        main(["figures", "--since", "yesterday"])
