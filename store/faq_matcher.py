"""The curated answers as the bot sees them: matched before retrieval, reloaded when they change.

Per question: one small query (`faq.fingerprint`) tells whether the staff changed anything; only
then are the entries read again, and only wordings not seen before are embedded (vectors are kept
by text in memory and in the library's embedding cache, so a restart embeds nothing again). A
change that needs few new wordings (an answer written or approved in the console) is loaded before
the question is answered; a large one (a CSV import, the first load of many entries without a
cache) is loaded in the background while the bot keeps answering from the entries it has. A
database that cannot be read makes the bot answer from the articles, as it did before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from knowledge.curated import Calibration, CuratedEntry, CuratedMatch, CuratedMatcher, core
from knowledge.embed_cache import EmbeddingCache
from store import faq
from store.db import Database

log = logging.getLogger(__name__)
SYNC_WORDINGS = 32  # new wordings embedded before answering (about a second at worst); more: in the background
CACHE_KIND = "curated"


class Embedder(Protocol):
    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class LiveFaq:
    def __init__(self, database: Database | Any, calibration: Calibration | None = None,
                 today: Any = date.today) -> None:
        self._database = database  # a Database, or a function that opens one (on first use)
        self.calibration = calibration or Calibration.load()
        self._today = today
        self._fingerprint: tuple | None = None
        self._matcher = CuratedMatcher([], np.zeros((0, 0)), self.calibration)
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._last_error = ""

    def __getstate__(self) -> dict[str, Any]:
        # rasa-sdk may pickle actions into its serving process: the engine, lock and thread stay behind.
        state = self.__dict__.copy()
        state.update(_lock=None, _loading=None, _fingerprint=None)
        if isinstance(self._database, Database):
            state["_database"] = partial(Database, self._database.url)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def database(self) -> Database:
        if not isinstance(self._database, Database):
            self._database = self._database()
        return self._database

    def refresh(self, embedder: Embedder, cache_dir: Path | None = None) -> CuratedMatcher:
        """The current entries' matcher, reloaded when the fingerprint changed."""
        with self._lock:
            if self._loading is not None and self._loading.is_alive():
                return self._matcher  # a large reload is under way: the entries we have meanwhile
            with self.database.session() as session:
                now = faq.fingerprint(session)
                if now == self._fingerprint:
                    return self._matcher
                entries = faq.load_entries(session)
            missing = {core(t) for t in CuratedMatcher.wordings(entries)} - set(self._vectors)
            if len(missing) <= SYNC_WORDINGS:
                self._install(entries, now, embedder, cache_dir)
            else:
                log.info("curated answers: embedding %d new wordings in the background", len(missing))
                self._loading = threading.Thread(target=self._install_logged, args=(entries, now, embedder, cache_dir),
                                                 name="curated-load", daemon=True)
                self._loading.start()
            return self._matcher

    def _install_logged(self, entries: list[CuratedEntry], fingerprint: tuple, embedder: Embedder,
                        cache_dir: Path | None) -> None:
        try:
            self._install(entries, fingerprint, embedder, cache_dir)
        except Exception:  # the next question tries again
            log.exception("curated answers not reloaded")

    def _install(self, entries: list[CuratedEntry], fingerprint: tuple, embedder: Embedder,
                 cache_dir: Path | None) -> None:
        texts = [core(t) for t in CuratedMatcher.wordings(entries)]
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        vectors = dict(self._vectors)
        if missing:
            if cache_dir is not None:
                cache = EmbeddingCache(cache_dir / "embeddings.sqlite", embedder.model_id, embedder.dim)
                found, _ = cache.embed(CACHE_KIND, missing, embedder.embed_queries)
            else:
                found = embedder.embed_queries(missing)
            vectors.update(zip(missing, found, strict=True))
        keep = set(texts)
        matrix = np.stack([vectors[t] for t in texts]) if texts else np.zeros((0, 0))
        # Swapped in one assignment each: a question sees the old matcher or the new one.
        self._vectors = {k: v for k, v in vectors.items() if k in keep}  # deleted wordings go
        self._matcher = CuratedMatcher(entries, matrix, self.calibration)
        self._fingerprint = fingerprint
        log.info("curated answers loaded: %d entries, %d wordings", len(entries), len(texts))

    def wait_loaded(self, timeout: float = 600) -> None:
        """Wait for a background reload (tools and tests that need the newest entries)."""
        loading = self._loading
        if loading is not None:
            loading.join(timeout)

    def match(self, question: str, embedder: Embedder, cache_dir: Path | None = None) -> CuratedMatch | None:
        """The curated answer for `question`, or None (none matches, or the database is down)."""
        try:
            matcher = self.refresh(embedder, cache_dir)
        except SQLAlchemyError as exc:
            if str(exc) != self._last_error:  # once per cause, not once per question
                self._last_error = str(exc)
                log.error("curated answers unavailable (answering from the articles; `python -m store "
                          "upgrade` creates the tables): %s", exc)
            return None
        self._last_error = ""
        asked = core(question)
        return matcher.match(asked, lambda: embedder.embed_queries([asked])[0], self._today())
