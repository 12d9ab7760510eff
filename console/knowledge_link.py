"""The console's use of the knowledge library: one KnowledgeService, loaded once in the background,
for the hit test, the closest passage, and embeddings for grouping and curated-answer matching."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.curated import CuratedMatch, core
from store.faq_matcher import LiveFaq

if TYPE_CHECKING:
    from knowledge.service import KnowledgeService

log = logging.getLogger(__name__)
MAX_CACHED = 20_000  # question vectors kept (1.5 KB each)


class KnowledgeLink:
    def __init__(self, factory: Callable[[], KnowledgeService]) -> None:
        self._factory = factory
        self._service: KnowledgeService | None = None
        self._error = ""
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}

    def load_in_background(self) -> None:
        threading.Thread(target=self._load_quietly, name="console-knowledge", daemon=True).start()

    def _load_quietly(self) -> None:
        with contextlib.suppress(RuntimeError):  # logged by service(); pages that need it say why
            self.service()

    def service(self) -> KnowledgeService:
        """The service, loading it on first use; raises RuntimeError with the reason when it cannot."""
        with self._lock:
            if self._service is None:
                try:
                    self._service = self._factory()
                    self._service.warm_up()
                except Exception as exc:  # the console stays usable for everything else
                    self._error = f"{type(exc).__name__}: {exc}"
                    log.error("knowledge base not loaded: %s", self._error)
                    raise RuntimeError(f"the knowledge base is not available: {self._error}") from exc
            self._service.reload_if_changed()
            return self._service

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors of texts' asking parts, cached by text (the inbox re-groups on every view)."""
        wanted = [core(t) for t in texts]
        missing = list(dict.fromkeys(t for t in wanted if t not in self._vectors))
        if missing:
            if len(self._vectors) + len(missing) > MAX_CACHED:
                self._vectors.clear()
            self._vectors.update(zip(missing, self.service().embedder.embed_queries(missing), strict=True))
        if not wanted:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vectors[t] for t in wanted])

    def curated(self, faq: LiveFaq, question: str) -> CuratedMatch | None:
        """The curated answer the bot would give for `question` (the same matcher, cache and model)."""
        service = self.service()
        return faq.match(question, service.embedder, service.settings.cache_dir)

    def explain(self, question: str) -> dict[str, Any]:
        """What `knowledge ask --json --explain` prints for the question (the same two calls)."""
        answer, trace = self.service().explain(question)
        out = answer.to_dict()
        out["explain"] = trace.to_dict()
        return out

    def closest_passage(self, question: str) -> dict[str, Any] | None:
        """The source the bot cites or shows as related for the question now, or None."""
        answer = self.service().ask(question)
        found = answer.sources or answer.related
        return found[0].to_dict() if found else None
