"""The former unanswered.jsonl imported once into the question log: every good line, malformed lines
reported and kept, nothing twice."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.__main__ import main
from store.db import Database
from store.legacy_log import import_legacy_log
from store.models import QuestionLog


def line(question: str, when: str = "2026-12-01T08:00:00+00:00", sender: str = "7f29c3577844053e") -> str:
    return json.dumps({"time": when, "sender_hash": sender, "question": question, "lang": "zh",
                       "intent": "ask_park"}, ensure_ascii=False)


MALFORMED = [
    '{"time": "2026-12-01T08:00:00+00:00", "sender_hash": "a", "question": "cut off',  # a torn write
    "[1, 2]",
    json.dumps({"time": "yesterday", "sender_hash": "a", "question": "Q"}),
    json.dumps({"time": "2026-12-01T08:00:00+00:00", "sender_hash": "a", "question": ""}),
    json.dumps({"time": "2026-12-01T08:00:00+00:00", "sender_hash": "x" * 33, "question": "Q"}),
]


def questions(db: Database) -> list[QuestionLog]:
    with db.session() as session:
        return list(session.scalars(select(QuestionLog).order_by(QuestionLog.asked_at, QuestionLog.id)))


@pytest.fixture()
def legacy(tmp_path: Path) -> Path:
    folder = tmp_path / "db"
    folder.mkdir(exist_ok=True)
    path = folder / "unanswered.jsonl"
    (folder / "unanswered.jsonl.2").write_text(line("最早的问题", "2026-11-01T08:00:00+00:00") + "\n", encoding="utf-8")
    (folder / "unanswered.jsonl.1").write_text(line("园区食堂在哪？") + "\n" + line("园区食堂在哪？") + "\n",
                                               encoding="utf-8")  # asked twice in one second: two rows
    path.write_bytes(("\n".join([line("有没有人才公寓？", "2026-12-02T09:30:00"), *MALFORMED,
                                 line("bad SURROGATE text").replace("SURROGATE", "\\ud800")]) + "\n").encode() + b"\xff\xfe not utf-8\n")
    return path


def test_every_good_line_is_imported_as_a_declined_question(bot_db: Database, legacy: Path) -> None:
    report = import_legacy_log(bot_db, legacy)
    rows = questions(bot_db)
    assert [r.question for r in rows] == ["最早的问题", "园区食堂在哪？", "园区食堂在哪？", "bad \ufffd text", "有没有人才公寓？"]
    assert report.imported == 5 and report.already == 0
    assert {(r.outcome, r.lang, r.channel, r.status) for r in rows} == {("declined", "zh", "", "open")}
    assert rows[0].sender_hash == "7f29c3577844053e"  # the same pseudonyms: the key is adopted
    assert rows[-1].asked_at.replace(tzinfo=timezone.utc) == datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)


def test_malformed_lines_are_reported_with_their_place_and_kept_in_the_renamed_file(
    bot_db: Database, legacy: Path
) -> None:
    original = legacy.read_bytes()
    report = import_legacy_log(bot_db, legacy)
    assert [m.split(": ", 1)[0] for m in report.malformed] == [f"{legacy}:{n}" for n in (2, 3, 4, 5, 6, 8)]
    assert "not a JSON line" in report.malformed[0] and "time is not an ISO 8601 time" in report.malformed[2]
    assert not legacy.exists() and not legacy.with_name("unanswered.jsonl.1").exists()
    kept = legacy.with_name("unanswered.jsonl.imported")
    assert kept.read_bytes() == original  # nothing is lost: the old file is renamed, not deleted
    assert legacy.with_name("unanswered.jsonl.1.imported").exists()
    assert sorted(report.files) == sorted(legacy.parent.glob("*.imported"))


def test_a_second_run_imports_nothing_even_from_a_restored_file(bot_db: Database, legacy: Path) -> None:
    import_legacy_log(bot_db, legacy)
    assert import_legacy_log(bot_db, legacy).files == []  # the renamed files are the marker
    shutil.copy(legacy.with_name("unanswered.jsonl.imported"), legacy)  # restored by hand
    again = import_legacy_log(bot_db, legacy)
    assert (again.imported, again.already) == (0, 2)  # the rows themselves prevent a second import
    assert len(questions(bot_db)) == 5
    assert legacy.with_name("unanswered.jsonl.imported.2").exists()  # both copies kept


def test_upgrade_imports_the_log_beside_the_database_once(
    tmp_path: Path, legacy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_DATABASE_FILE", str(legacy.parent / "bot.db"))
    for name in ("BOT_DATABASE_URL", "DB_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert main(["upgrade"]) == 0
    err = capsys.readouterr().err
    assert "5 questions imported" in err and "6 malformed lines skipped" in err and f"{legacy}:2:" in err
    assert main(["upgrade"]) == 0 and "imported" not in capsys.readouterr().err
    db = Database(f"sqlite:///{legacy.parent / 'bot.db'}")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(QuestionLog)) == 5
    db.dispose()
    assert main(["import-legacy-log"]) == 1 and "nothing to import" in capsys.readouterr().err
