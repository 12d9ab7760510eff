"""PDF articles through pdfplumber.

pdfplumber (over pdfminer.six) was chosen over pypdf after measuring both on generated
Chinese PDFs: both keep the characters of a sentence, but pypdf writes every table cell on
a line of its own, losing which cells form a row, while pdfplumber finds ruled tables and
gives each line's position, from which wrapped lines are joined back into paragraphs.
"""

from __future__ import annotations

import io
import re
from typing import Any

from knowledge.errors import KnowledgeError
from knowledge.extract import Extracted, table_rows

_TERMINAL_RE = re.compile(r"[。！？!?；;…:：][”’\"')）】」』]*$|\.[”’\"')）]*$")
_PAGE_NUMBER_RE = re.compile(r"^(第?\s*[-—–]?\s*\d{1,4}\s*[-—–]?\s*(页|/\s*\d{1,4})?|page \d+( of \d+)?)$", re.I)
_CJK_RE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_GENERATOR_TITLE_RE = re.compile(r"^(microsoft (word|powerpoint)|untitled|\(?anonymous\)?|无标题)|\.(docx?|pdf)$", re.I)


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def _join(left: str, right: str) -> str:
    """A line wrapped by the layout continues without a space in Chinese, with one in English."""
    if _CJK_RE.search(left[-1:]) or _CJK_RE.search(right[:1]):
        return left + right
    if left.endswith("-") and right[:1].islower():
        return left[:-1] + right
    return f"{left} {right}"


def extract_pdf(data: bytes, where: str) -> Extracted:
    import pdfplumber

    items: list[tuple[str, Any]] = []  # ("line", line dict) or ("table", rows), in reading order
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            info = pdf.metadata or {}
            for page in pdf.pages:
                tables = page.find_tables()
                boxes = [t.bbox for t in tables]
                text_page = page.filter(lambda o, b=boxes: o.get("object_type") != "char" or not _inside(o, b))
                placed: list[tuple[float, str, Any]] = [
                    (line["top"], "line", line) for line in text_page.extract_text_lines(return_chars=False)
                ]
                placed += [(t.bbox[1], "table", t.extract()) for t in tables]
                placed.sort(key=lambda x: x[0])
                items.extend((kind, value) for _, kind, value in placed)
                items.append(("page", None))
    except KnowledgeError:
        raise
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise KnowledgeError(f"{where}: the PDF could not be read ({type(exc).__name__})") from None
    title = str(info.get("Title") or "").strip() or None
    if title and _GENERATOR_TITLE_RE.search(title):
        title = None
    return Extracted(title, [("", _paragraphs(items))])


def _paragraphs(items: list[tuple[str, Any]]) -> list[str]:
    """Wrapped lines joined into paragraphs: a paragraph ends at sentence-final punctuation
    before a short line end, at a wide vertical gap, at an indented line, or at a table."""
    lines = [v for k, v in items if k == "line"]
    right = max((ln["x1"] for ln in lines), default=0.0)
    left = min((ln["x0"] for ln in lines), default=0.0)
    out: list[str] = []
    current = ""
    prev: dict[str, Any] | None = None
    for kind, value in items:
        if kind == "page":
            prev = None  # a paragraph may go on over the page break
            continue
        if kind == "table":
            if current:
                out.append(current)
                current = ""
            out.extend(table_rows(value))
            prev = None
            continue
        text = " ".join(value["text"].split())
        if not text or _PAGE_NUMBER_RE.match(text):
            continue
        char = (value["x1"] - value["x0"]) / max(len(text), 1)
        height = value["bottom"] - value["top"]
        new = (
            not current
            or (prev is not None and prev["x1"] < right - 2 * char)  # the previous line stopped short
            or (prev is not None and value["top"] - prev["bottom"] > 0.9 * height)  # a gap
            or value["x0"] > left + 1.5 * char  # an indented first line
        )
        if new:
            if current:
                out.append(current)
            current = text
        else:
            current = _join(current, text)
        prev = value
    if current:
        out.append(current)
    return out
