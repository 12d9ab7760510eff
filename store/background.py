"""Rows written by a worker thread, so that a reply never waits for the database nor fails with it.

The action server answers on rasa-sdk's event loop: an insert there (an fsync on SQLite, a round
trip to PostgreSQL) would hold up every conversation, and a database that is down would turn
answers into errors. Rows are queued instead and written in batches by one thread; a row that
cannot be written is logged with its id and the error (never silently dropped), and the bot
answers anyway.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from store.db import Database

logger = logging.getLogger(__name__)

BATCH = 200  # rows per transaction when questions arrive faster than they are written
QUEUE_LIMIT = 10_000  # rows waiting; beyond it the database is down or far too slow


class BackgroundWriter:
    """Adds ORM rows to the database of `open_db()` (opened and migrated in the worker thread)."""

    def __init__(self, open_db: Callable[[], Database] = Database.from_env, migrate: bool = True) -> None:
        self._open_db = open_db
        self._migrate = migrate
        self._db: Database | None = None
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, row: Any) -> bool:
        """Queue `row` (never blocks); False, with an error logged, when it cannot be queued."""
        self._ensure_thread()
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            logger.error("question log: %d rows waiting, %s not recorded", QUEUE_LIMIT, _describe(row))
            return False
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued row is written (or failed and logged); False on timeout."""
        done = threading.Event()
        if self._thread is None:
            return True
        self._queue.put(done)
        return done.wait(timeout)

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="db-writer", daemon=True)
                self._thread.start()
                atexit.register(self.flush, 5.0)  # rows of the last answers before a clean stop

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [item for item in batch if not isinstance(item, threading.Event)]
            if rows:
                self._write(rows)
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()

    def _write(self, rows: list[Any]) -> None:
        try:
            db = self._database()
            with db.session() as session:
                session.add_all(rows)
            return
        except Exception as exc:
            if len(rows) == 1:
                logger.error("could not record %s: %s", _describe(rows[0]), exc)
                return
        for row in rows:  # one bad row must not lose the others
            self._write([row])

    def _database(self) -> Database:
        if self._db is None:
            db = self._open_db()
            if self._migrate:
                db.upgrade()  # idempotent; `make run` has usually done it already
            self._db = db
        return self._db

    def __getstate__(self) -> dict[str, Any]:
        # rasa-sdk may pickle the actions into its serving process: the thread starts there.
        state = self.__dict__.copy()
        state.update(_db=None, _queue=None, _thread=None, _start_lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._queue = queue.Queue(QUEUE_LIMIT)
        self._start_lock = threading.Lock()


def _describe(row: Any) -> str:
    """A row as the log names it: its table and id, not its content (it may be personal)."""
    ident = getattr(row, "message_id", None) or getattr(row, "id", None)
    return f"{type(row).__name__} {ident}"
