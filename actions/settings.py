"""Configuration of the action server, read once from the environment.

| variable | default | meaning |
| --- | --- | --- |
| BOT_PARK_NAME_ZH / BOT_PARK_NAME_EN | 本园区 / the park | how the bot names the park it serves |
| BOT_UNANSWERED_LOG | var/unanswered.jsonl | questions the articles did not answer |
| BOT_UNANSWERED_SALT | (a key kept next to the log) | key of the senders' pseudonyms in that log |
| BOT_UNANSWERED_MAX_BYTES | 10485760 | size at which the log is rotated (0: never) |
| BOT_UNANSWERED_BACKUPS | 5 | rotated files kept (unanswered.jsonl.1 … .N; at least 1) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from knowledge.phrases import DEFAULT_PARK_NAMES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_PARK_NAME_CHARS = 80  # a name, not a paragraph: it is repeated in several replies


@dataclass(frozen=True)
class ActionSettings:
    # How the bot names the park in its own words (greeting, out-of-scope refusal).
    park_name_zh: str = DEFAULT_PARK_NAMES["zh"]
    park_name_en: str = DEFAULT_PARK_NAMES["en"]
    # Questions the articles did not answer, one JSON object per line, for staff
    # to see what investors ask (BOT_UNANSWERED_LOG, relative to the working dir).
    unanswered_log: Path = PROJECT_ROOT / "var" / "unanswered.jsonl"
    # Key of the HMAC that replaces sender ids in that log; empty: a random key created
    # once next to the log (see actions/unanswered.py).
    unanswered_salt: str = ""
    unanswered_max_bytes: int = 10 * 1024 * 1024
    unanswered_backups: int = 5

    def park_name(self, lang: str) -> str:
        return self.park_name_en if lang == "en" else self.park_name_zh

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ActionSettings:
        env = os.environ if environ is None else environ
        raw_log = env.get("BOT_UNANSWERED_LOG", "").strip()
        return cls(
            park_name_zh=_name(env, "BOT_PARK_NAME_ZH", cls.park_name_zh),
            park_name_en=_name(env, "BOT_PARK_NAME_EN", cls.park_name_en),
            unanswered_log=Path(raw_log).expanduser().resolve() if raw_log else cls.unanswered_log,
            unanswered_salt=env.get("BOT_UNANSWERED_SALT", "").strip(),
            unanswered_max_bytes=_count(env, "BOT_UNANSWERED_MAX_BYTES", cls.unanswered_max_bytes, 0),
            unanswered_backups=_count(env, "BOT_UNANSWERED_BACKUPS", cls.unanswered_backups, 1),
        )


def _name(env: Mapping[str, str], key: str, default: str) -> str:
    value = " ".join(env.get(key, "").split())  # one line: it is put inside sentences
    if len(value) > MAX_PARK_NAME_CHARS:
        raise ValueError(f"{key} must be at most {MAX_PARK_NAME_CHARS} characters")
    return value or default


def _count(env: Mapping[str, str], key: str, default: int, minimum: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{key} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{key} must be at least {minimum}, got {value}")
    return value
