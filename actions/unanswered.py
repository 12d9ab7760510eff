"""A JSON-lines log of questions the articles did not answer."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

logger = logging.getLogger(__name__)


class UnansweredLog:
    """Appends one line per unanswered question; never lets an I/O error reach the user."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, sender: str, question: str, lang: str, intent: str | None = None) -> bool:
        """Record a question; returns False (and logs why) when the file cannot be written."""
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sender": sender,
            "question": question,
            "lang": lang,
            "intent": intent,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write call per line, in append mode: lines from concurrent
            # requests do not interleave.
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
        except OSError as exc:
            logger.warning("could not record an unanswered question in %s: %s", self.path, exc)
            return False
        return True
