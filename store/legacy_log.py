"""The former log of unanswered questions (`unanswered.jsonl` and its rotated `.1` … `.N`), imported
once into the question log.

Each line becomes a QuestionLog row with outcome `declined` (the old log did not tell a related
passage from a decline), its time, pseudonym (the same key: store/pseudonym.py adopts it), question
and language; the channel was not recorded. A line's message_id is derived from its content (and
its occurrence, for identical lines), so importing the same lines twice adds nothing. Once a file's
rows are committed it is renamed to `*.imported` (kept, never deleted), which is what stops the
next `python -m store upgrade` from reading it again. A malformed line is reported with its file,
line number and reason, skipped, and stays in the renamed file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from store.db import Database
from store.models import QuestionLog

LEGACY_LOG = "unanswered.jsonl"
IMPORTED = ".imported"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CHUNK = 500  # message ids looked up per query


@dataclass
class ImportReport:
    files: list[Path] = field(default_factory=list)  # the files read, as renamed afterwards
    imported: int = 0
    already: int = 0  # rows that an earlier import had written
    malformed: list[str] = field(default_factory=list)  # "file:line: reason"


class MalformedLine(ValueError):
    pass


def legacy_files(path: Path) -> list[Path]:
    """The log and its rotated files that exist, oldest first."""
    rotated = sorted((p for p in path.parent.glob(f"{path.name}.*") if p.name[len(path.name) + 1:].isdigit()),
                     key=lambda p: int(p.name[len(path.name) + 1:]), reverse=True)
    return [*rotated, *([path] if path.is_file() else [])]


def import_legacy_log(db: Database, path: Path) -> ImportReport:
    """Import `path` and its rotated files into `db`'s question log; rename each file once done."""
    report = ImportReport()
    seen: Counter[str] = Counter()  # identical lines in any file: each its own row
    for file in legacy_files(path):
        rows = []
        with file.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                if not raw.strip():
                    continue
                digest = hashlib.sha256(raw.strip()).hexdigest()[:32]
                seen[digest] += 1
                try:
                    rows.append(parse_line(raw, f"legacy-{digest}-{seen[digest]}"))
                except MalformedLine as exc:
                    report.malformed.append(f"{file}:{number}: {exc}")
        new = _insert_missing(db, rows)
        report.imported += new
        report.already += len(rows) - new
        report.files.append(_rename_imported(file))
    return report


def parse_line(raw: bytes, message_id: str) -> QuestionLog:
    """One line of the old log as a row; MalformedLine says what is wrong with it."""
    try:
        record: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedLine(f"not a JSON line ({type(exc).__name__})") from None
    if not isinstance(record, dict):
        raise MalformedLine("not a JSON object")
    question, sender, lang, when = (record.get(k) for k in ("question", "sender_hash", "lang", "time"))
    if not isinstance(question, str) or not question.strip():
        raise MalformedLine("no question")
    if not isinstance(sender, str) or len(sender) > 32:
        raise MalformedLine("no sender_hash of at most 32 characters")
    if lang is not None and (not isinstance(lang, str) or len(lang) > 8):
        raise MalformedLine("lang is not a language code")
    try:
        asked_at = datetime.fromisoformat(str(when))
    except ValueError:
        raise MalformedLine(f"time is not an ISO 8601 time: {str(when)[:40]!r}") from None
    if asked_at.tzinfo is None:
        asked_at = asked_at.replace(tzinfo=timezone.utc)  # the old log wrote UTC
    return QuestionLog(message_id=message_id, asked_at=asked_at, channel="", sender_hash=sender,
                       lang=lang or "", question=_LONE_SURROGATE.sub("\ufffd", question), outcome="declined",
                       answer="", sources=[], probability=None)


def _insert_missing(db: Database, rows: list[QuestionLog]) -> int:
    """Insert the rows whose message_id is not in the log yet (one transaction); how many."""
    with db.session() as session:
        present: set[str] = set()
        ids = [row.message_id for row in rows]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            present.update(session.scalars(select(QuestionLog.message_id).where(QuestionLog.message_id.in_(chunk))))
        new = [row for row in rows if row.message_id not in present]
        session.add_all(new)
    return len(new)


def _rename_imported(file: Path) -> Path:
    target = file.with_name(file.name + IMPORTED)
    n = 1
    while target.exists():  # an earlier import's file: keep both
        n += 1
        target = file.with_name(f"{file.name}{IMPORTED}.{n}")
    file.rename(target)
    return target
