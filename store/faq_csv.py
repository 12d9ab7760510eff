"""Curated answers as CSV: export all, import all or nothing.

Columns: `id` (blank: a new entry; a number: that entry is replaced), `questions` (the wordings,
one per line or separated by `||`), `answer`, `source_article`, `expires_on` (YYYY-MM-DD or blank);
`author` and `updated_at` are written on export and ignored on import. Every row is checked
before anything is written, and a file with any bad row imports nothing: the staff get each
problem with its line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from store import faq

COLUMNS = ("id", "questions", "answer", "source_article", "expires_on", "author", "updated_at")
REQUIRED = ("questions", "answer")
MAX_ROWS = 5000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


@dataclass
class ParsedRow:
    line: int
    entry_id: int | None
    questions: list[str]
    answer: str
    source_article: str
    expires_on: date | None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, problem)

    @property
    def ok(self) -> bool:
        return not self.errors


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return "\ufeff" + out.getvalue()  # the BOM makes Excel read UTF-8 Chinese correctly


def export_csv(session: Session) -> str:
    return write_csv(COLUMNS, (
        (e.id, "\n".join(q.text for q in e.questions), e.answer, e.source_article,
         e.expires_on.isoformat() if e.expires_on else "", e.author, e.updated_at.isoformat())
        for e in faq.list_entries(session)))


def _unsafe(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:2] in _FORMULA_START and text[1:2] else text


def parse_csv(data: bytes, known_ids: set[int]) -> tuple[list[ParsedRow], list[tuple[int, str]]]:
    """Rows and problems (line, what is wrong); line 1 is the header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, "the file is not UTF-8 text (save the spreadsheet as CSV UTF-8)")]
    if not text.strip():
        return [], [(0, "the file is empty")]
    if "\x00" in text:
        return [], [(0, "the file is not a CSV text file")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [(1, f"the header lacks the column(s) {', '.join(missing)} (expected {', '.join(COLUMNS[:5])})")]
    reader.fieldnames = header
    rows: list[ParsedRow] = []
    errors: list[tuple[int, str]] = []
    seen: set[int] = set()
    try:
        for record in reader:
            line = reader.line_num
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append((line, f"more than {MAX_ROWS} rows: split the file"))
                break
            if None in record:
                errors.append((line, "more cells than columns"))
                continue
            values = {k: _unsafe((v or "").strip()) for k, v in record.items()}
            if not any(values.values()):
                continue  # a blank line
            try:
                entry_id = None
                if values.get("id"):
                    if not values["id"].isdigit() or len(values["id"]) > 10:
                        raise faq.FaqError(f"id must be a number or blank, got {values['id'][:20]!r}")
                    entry_id = int(values["id"])
                    if entry_id not in known_ids:
                        raise faq.FaqError(f"no curated answer #{entry_id} to replace (leave id blank for a new one)")
                    if entry_id in seen:
                        raise faq.FaqError(f"curated answer #{entry_id} appears twice")
                    seen.add(entry_id)
                wordings = [w for part in values["questions"].split("\n") for w in part.split("||")]
                rows.append(ParsedRow(line, entry_id, faq.clean_questions(wordings), faq.clean_answer(values["answer"]),
                                      values.get("source_article", "")[:512], faq.parse_date(values.get("expires_on", ""))))
            except faq.FaqError as exc:
                errors.append((line, str(exc)))
    except csv.Error as exc:
        errors.append((reader.line_num, f"not valid CSV: {exc}"))
    if not rows and not errors:
        errors.append((0, "the file has no rows"))
    return rows, errors


def import_csv(session: Session, data: bytes, author: str) -> ImportResult:
    """All rows or none: nothing is written when any row is bad (the caller's transaction)."""
    known = {e.id for e in faq.list_entries(session)}
    rows, errors = parse_csv(data, known)
    result = ImportResult(errors=errors)
    if errors:
        return result
    for row in rows:
        if row.entry_id is None:
            faq.create_entry(session, row.questions, row.answer, author, source_article=row.source_article,
                             expires_on=row.expires_on)
            result.created += 1
        else:
            faq.update_entry(session, row.entry_id, row.questions, row.answer, author,
                             source_article=row.source_article, expires_on=row.expires_on)
            result.updated += 1
    return result
