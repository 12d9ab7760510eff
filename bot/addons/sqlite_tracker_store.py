"""Conversation store: Rasa's in-memory tracker store, kept in a SQLite file.

Why not Rasa's `type: SQL` store: it writes one ORM row per event and re-reads
them every turn, which cost about 25 ms of every REST round trip here (half of a
turn). This store keeps each conversation's serialised tracker in one row, exactly
as Rasa's in-memory and Redis stores do, so all the tracker logic stays Rasa's and
only the dictionary is replaced by a table. Conversations survive a restart.

Registered in bot/endpoints.yml as `type: bot.addons.sqlite_tracker_store.SQLiteTrackerStore`
(the repository root must be on PYTHONPATH, as scripts/stack.py arranges).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain


class SQLiteMapping(MutableMapping[str, str]):
    """A str -> str dictionary in a SQLite table (write-ahead log, no fsync per write)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit; Rasa calls us from its event loop only, but rasa shell or a
        # second server may share the file, hence the busy timeout.
        self._db = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS trackers ("
            " sender_id TEXT PRIMARY KEY, tracker TEXT NOT NULL, updated_at REAL NOT NULL)"
        )

    def __getitem__(self, key: str) -> str:
        row = self._db.execute("SELECT tracker FROM trackers WHERE sender_id = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return row[0]

    def __setitem__(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO trackers (sender_id, tracker, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(sender_id) DO UPDATE SET tracker = excluded.tracker, "
            "updated_at = excluded.updated_at",
            (key, value, time.time()),
        )

    def __delitem__(self, key: str) -> None:
        if self._db.execute("DELETE FROM trackers WHERE sender_id = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        query = "SELECT 1 FROM trackers WHERE sender_id = ?"
        return self._db.execute(query, (key,)).fetchone() is not None

    def __iter__(self) -> Iterator[str]:
        rows = self._db.execute("SELECT sender_id FROM trackers").fetchall()
        return iter([row[0] for row in rows])

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM trackers").fetchone()[0])


class SQLiteTrackerStore(InMemoryTrackerStore):
    """`InMemoryTrackerStore` whose dictionary lives in the SQLite file `db`."""

    def __init__(
        self, domain: Domain, event_broker: Any = None, db: str = "var/tracker.db", **kwargs: Any
    ) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's `url`; a file needs none
        super().__init__(domain, event_broker, **kwargs)
        self.store = SQLiteMapping(Path(db))  # type: ignore[assignment]
