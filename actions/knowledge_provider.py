"""One KnowledgeService per action-server process: checked at start-up, loaded in the worker.

rasa-sdk builds the actions in its main process and pickles them into the Sanic
worker process that serves requests. The service (embedding model, FAISS) cannot
be pickled and is only needed in the worker, so the provider drops it when
pickled and starts loading it in the background as soon as it is unpickled: the
first question does not wait for the model, and the main process stays small.

Before that, in the main process, `check()` loads the published index once (files,
manifest, embedder id, sizes; not the embedding model) and stops the action server
with a message naming the fix when it is missing, corrupt or built with another
model: a bot that can only apologise should not look healthy. `scripts/stack.py`
(make run) builds the index before starting the action server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from knowledge.errors import KnowledgeError

if TYPE_CHECKING:  # the real service pulls in numpy/faiss; import it only when loading
    from knowledge.service import KnowledgeService

logger = logging.getLogger(__name__)


def load_service() -> KnowledgeService:
    """The production factory: the index built by `knowledge build`, configured by KB_* vars."""
    from knowledge.service import KnowledgeService
    from knowledge.settings import Settings

    service = KnowledgeService.from_settings(Settings.from_env())
    service.warm_up()  # load the embedding model now, not on the first question
    return service


def verify_index() -> None:
    """Load the published index once, without the embedding model; raise if it is unusable.

    Raises IndexNotReadyError (missing, corrupt, other embedder) with a message that
    ends in "run `knowledge build`". The loaded index is dropped right away.
    """
    from knowledge.embed import make_embedder
    from knowledge.index import KnowledgeIndex
    from knowledge.settings import Settings

    settings = Settings.from_env()
    index = KnowledgeIndex.load(settings, make_embedder(settings))  # embedder: id only, no weights
    logger.info("knowledge index %s: %d passages", index.build.name, len(index.passages))


class KnowledgeProvider:
    """Holds the service; while it cannot be loaded, `get()` returns None and logs why.

    `check()` refuses to start without a usable index. If the service still fails to
    load later (the index was deleted in between, the model failed), the bot
    apologises and the provider tries again at most every `retry_seconds`.
    """

    def __init__(
        self,
        factory: Callable[[], KnowledgeService] = load_service,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        preflight: Callable[[], None] = verify_index,
    ) -> None:
        self._factory = factory
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._preflight = preflight
        self._service: KnowledgeService | None = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def check(self) -> None:
        """Start-up check: exit the process (SystemExit) when the index is unusable."""
        try:
            self._preflight()
        except Exception as exc:
            reason = str(exc) if isinstance(exc, KnowledgeError) else f"{type(exc).__name__}: {exc}"
            if "knowledge build" not in reason:
                reason += ": run `knowledge build`"
            # Logged, not raised with the text: the log keeps it with its time, once.
            logger.critical("the action server cannot start: %s", reason)
            raise SystemExit(1) from exc

    def get(self) -> KnowledgeService | None:
        with self._lock:  # one load at a time; later callers reuse it
            if self._service is not None:
                return self._service
            now = self._clock()
            if self._failed_at is not None and now - self._failed_at < self._retry_seconds:
                return None
            try:
                started = time.perf_counter()
                self._service = self._factory()
            except KnowledgeError as exc:
                self._failed_at = now
                logger.error(
                    "knowledge base not available: %s -- the bot apologises until the index "
                    "is built (`knowledge build`)",
                    exc,
                )
                return None
            except Exception:
                self._failed_at = now
                logger.exception("knowledge base failed to load; the bot apologises meanwhile")
                return None
            logger.info("knowledge base loaded in %.1f s", time.perf_counter() - started)
            return self._service

    def load_in_background(self) -> None:
        threading.Thread(target=self.get, name="knowledge-load", daemon=True).start()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_service=None, _failed_at=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self.load_in_background()  # we are in the serving process now
