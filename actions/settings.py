"""Configuration of the action server, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ActionSettings:
    # Questions the articles did not answer, one JSON object per line, for staff
    # to see what investors ask (BOT_UNANSWERED_LOG, relative to the working dir).
    unanswered_log: Path = PROJECT_ROOT / "var" / "unanswered.jsonl"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ActionSettings:
        env = os.environ if environ is None else environ
        raw = env.get("BOT_UNANSWERED_LOG", "").strip()
        return cls(unanswered_log=Path(raw).expanduser().resolve()) if raw else cls()
