"""Question hygiene: sanitising user text and telling its language."""

from __future__ import annotations

import re
import unicodedata

from knowledge.errors import InvalidQuestionError

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_WORD_RE = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)


def sanitize(question: str, max_chars: int) -> str:
    """Printable, single-spaced text; raises InvalidQuestionError for empty or over-long input."""
    if not isinstance(question, str):
        raise InvalidQuestionError("the question must be text")
    # Control and format characters (NUL, bidi overrides, zero-width) carry no meaning in a question.
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in question
        if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn")
    )
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned or not _WORD_RE.search(cleaned):
        raise InvalidQuestionError("the question is empty: please type a question about the park")
    if len(cleaned) > max_chars:
        raise InvalidQuestionError(
            f"the question is {len(cleaned)} characters long; please keep it under {max_chars}"
        )
    return cleaned


def detect_lang(text: str) -> str:
    """'zh' when the text has Chinese characters and they are not drowned in Latin words, else 'en'."""
    cjk = len(_CJK_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if cjk == 0:
        return "en"
    # Chinese packs a word into ~1.5 characters, English into ~5 letters.
    return "zh" if cjk * 3 >= latin else "en"


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))
