"""Which language the bot speaks in: the language of the user's message.

Uses the knowledge library's own rule (so greetings and answers agree), and keeps
the previous language when a message has no letters at all (emoji, digits).
"""

from __future__ import annotations

import re

from knowledge.text import detect_lang as _text_lang
from knowledge.text import has_cjk

_LATIN = re.compile(r"[A-Za-z]")

SUPPORTED = ("zh", "en")


def detect_lang(text: str | None, default: str | None = "zh") -> str:
    """'zh' or 'en'; `default` (else 'zh') when the text has neither Chinese nor Latin letters."""
    if not text or not (has_cjk(text) or _LATIN.search(text)):
        return default if default in SUPPORTED else "zh"
    return _text_lang(text)
