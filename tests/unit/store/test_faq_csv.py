"""CSV import of curated answers: every problem reported by line, nothing imported from a file with
one bad row; export and import round-trip, formulas never run in a spreadsheet."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store import faq, faq_csv
from store.db import Database
from store.models import FaqEntry

HEADER = "id,questions,answer,source_article,expires_on\n"


def entries(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(FaqEntry.id))) or 0


def load(db: Database, text: str | bytes) -> faq_csv.ImportResult:
    with db.session() as s:
        return faq_csv.import_csv(s, text.encode() if isinstance(text, str) else text, "staff")


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(db: Database) -> None:
    result = load(db, HEADER + ',"好问题？\n另一种问法？",好答复。,a.txt,\n'  # lines 2-3: one quoted cell
                  ",,没有问题。,,\n"  # 4
                  ',问题？,"",,\n'  # 5
                  ",问题？,答复。,,2026-02-30\n"  # 6
                  "x1,问题？,答复。,,\n"  # 7
                  ",问题？,答复。,,,extra\n")  # 8
    assert result.errors == [
        (4, "a curated answer needs at least one question"), (5, "the answer is empty"),
        (6, "a date as YYYY-MM-DD, got '2026-02-30'"), (7, "id must be a number or blank, got 'x1'"),
        (8, "more cells than columns")]
    assert entries(db) == 0


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "the file is empty"),
    (HEADER.encode(), "the file has no rows"),
    (b"question,reply\nQ,A\n", "the header lacks the column(s) questions, answer"),
    ("问题,答复\n".encode("gb18030"), "not UTF-8"),
    (b"questions,answer\nQ\x00,A\n", "not a CSV text file"),
    (HEADER.encode() + ("," + "问" * 600 + ",A,,\n").encode(), "at most 500 characters"),
])
def test_malformed_files_get_a_clear_error(db: Database, data: bytes, problem: str) -> None:
    result = load(db, data)
    assert not result.ok and problem in result.errors[0][1]
    assert entries(db) == 0


def test_too_many_rows_are_refused(db: Database) -> None:
    rows = "".join(f",问题{i}？,答复。,,\n" for i in range(faq_csv.MAX_ROWS + 1))
    result = load(db, HEADER + rows)
    assert result.errors and "split the file" in result.errors[-1][1] and entries(db) == 0


def test_round_trip_replaces_by_id_and_keeps_formulas_inert(db: Database) -> None:
    with db.session() as s:
        faq.create_entry(s, ["Q1?", "Q1 again?"], "=1+1", "staff")
    with db.session() as s:
        exported = faq_csv.export_csv(s)
    assert exported.startswith("\ufeffid,questions,answer") and "'=1+1" in exported
    result = load(db, exported.encode("utf-8") + ",新问题？,新答复。,,2030-01-01\n".encode())
    assert (result.created, result.updated, result.errors) == (1, 1, [])
    with db.session() as s:
        answers = {e.answer: [q.text for q in e.questions] for e in faq.list_entries(s)}
    assert answers == {"=1+1": ["Q1?", "Q1 again?"], "新答复。": ["新问题？"]}
    twice = load(db, HEADER + "1,Q?,A,,\n1,Q?,B,,\n")
    assert twice.errors == [(3, "curated answer #1 appears twice")]
