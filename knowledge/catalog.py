"""Article metadata while answering: expiry checked on every question, dates and URLs kept fresh.

The build stores each article's metadata (articles.json); a member of staff who sets an
expiry date or extends one (`knowledge articles set`) changes the sidecar in the folder.
The catalog re-reads a sidecar whose modification time changed, at most every few
seconds, so an article expires, or comes back when its date is extended, without a
rebuild. The title is the build's: it shapes the index and its fitted models.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.meta import ArticleMeta, read_meta, sidecar_path

log = logging.getLogger(__name__)
REFRESH_SECONDS = 2.0  # a stat per article at most this often: cheap, and fresh enough for staff


class Catalog:
    def __init__(self, articles_dir: Path, built: dict[str, ArticleMeta],
                 today: Callable[[], date] = date.today, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.articles_dir = articles_dir
        self._built = dict(built)
        self._live = dict(built)
        self._mtimes: dict[str, float | None] = {}
        self._today = today
        self._refresh_seconds = refresh_seconds
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def today(self) -> date:
        return self._today()

    def meta(self, source: str) -> ArticleMeta:
        self._refresh()
        return self._live.get(source, ArticleMeta())

    def expired(self) -> frozenset[str]:
        """Sources that must not be quoted today."""
        self._refresh()
        today = self._today()
        return frozenset(s for s, m in self._live.items() if m.is_expired(today))

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self._refresh_seconds:
            return
        with self._lock:
            if now - self._checked < self._refresh_seconds:
                return
            for source in self._built:
                path = sidecar_path(self.articles_dir / source)
                try:
                    mtime: float | None = path.stat().st_mtime_ns
                except OSError:
                    mtime = None
                if self._mtimes.get(source, "unset") == mtime:
                    continue
                self._mtimes[source] = mtime
                built = self._built[source]
                try:
                    fresh = read_meta(self.articles_dir / source) if mtime is not None else ArticleMeta()
                except KnowledgeError as exc:  # a broken sidecar: keep what the build had
                    log.warning("article metadata not refreshed: %s", exc)
                    continue
                if mtime is None and not (self.articles_dir / source).exists():
                    fresh = built  # the folder is elsewhere (or the article was removed): the build's
                self._live[source] = replace(fresh, title=built.title)
            self._checked = now
