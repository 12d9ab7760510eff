"""The curated answers as the bot sees them: matched before retrieval, reloaded when they change.

Per question: one small query (`faq.fingerprint`) tells whether the staff changed anything; only
then are the entries read again, and only wordings not seen before are embedded (their vectors
are kept by text), so an approved answer is live on the next question without a restart. The
question itself is embedded only when there are entries. A database that cannot be read makes
the bot answer from the articles, as it did before curated answers existed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from knowledge.curated import Calibration, CuratedMatch, CuratedMatcher, core
from store import faq
from store.db import Database

log = logging.getLogger(__name__)
Embed = Callable[[Sequence[str]], np.ndarray]


class LiveFaq:
    def __init__(self, database: Database | Callable[[], Database], calibration: Calibration | None = None,
                 today: Callable[[], date] = date.today) -> None:
        self._database = database
        self.calibration = calibration or Calibration.load()
        self._today = today
        self._fingerprint: tuple | None = None
        self._matcher = CuratedMatcher([], np.zeros((0, 0)), self.calibration)
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._last_error = ""

    def __getstate__(self) -> dict:
        # rasa-sdk may pickle actions into its serving process: the engine and lock stay behind.
        state = self.__dict__.copy()
        state.update(_lock=None, _fingerprint=None)
        if isinstance(self._database, Database):
            state["_database"] = partial(Database, self._database.url)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def database(self) -> Database:
        if not isinstance(self._database, Database):
            self._database = self._database()  # opened in the process that serves, on first use
        return self._database

    def refresh(self, embed: Embed) -> CuratedMatcher:
        """The current entries' matcher, reloaded when the fingerprint changed."""
        with self._lock:
            with self.database.session() as session:
                now = faq.fingerprint(session)
                if now == self._fingerprint:
                    return self._matcher
                entries = faq.load_entries(session)
            texts = CuratedMatcher.wordings(entries)
            missing = [core(t) for t in dict.fromkeys(texts) if core(t) not in self._vectors]
            if missing:
                self._vectors.update(zip(missing, embed(missing), strict=True))
            keep = {core(t) for t in texts}
            self._vectors = {k: v for k, v in self._vectors.items() if k in keep}  # deleted wordings go
            vectors = np.stack([self._vectors[core(t)] for t in texts]) if texts else np.zeros((0, 0))
            self._matcher = CuratedMatcher(entries, vectors, self.calibration)
            self._fingerprint = now
            log.info("curated answers loaded: %d entries, %d wordings", len(entries), len(texts))
            return self._matcher

    def match(self, question: str, embed: Embed) -> CuratedMatch | None:
        """The curated answer for `question`, or None (none matches, or the database is down)."""
        try:
            matcher = self.refresh(embed)
        except SQLAlchemyError as exc:
            if str(exc) != self._last_error:  # once per cause, not once per question
                self._last_error = str(exc)
                log.error("curated answers unavailable (answering from the articles; `python -m store "
                          "upgrade` creates the tables): %s", exc)
            return None
        self._last_error = ""
        asked = core(question)
        return matcher.match(asked, lambda: embed([asked])[0], self._today())
