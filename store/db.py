"""Where the database is and how a process opens it: one engine per process, sessions per unit of
work, the schema brought to the newest revision by Alembic."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from knowledge.settings import StoreEnv

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Alembic's `context` and `op` are module globals: two threads migrating at once corrupt each other.
_UPGRADE_LOCK = threading.Lock()


def database_url(env: StoreEnv) -> URL:
    """BOT_DATABASE_URL; else the scale-out PostgreSQL (DB_HOST, the tracker store's server); else
    the SQLite file BOT_DATABASE_FILE."""
    if env.database_url:
        return make_url(env.database_url)
    if env.db_host:
        return URL.create("postgresql+psycopg", username=env.db_user or None, password=env.db_password or None,
                          host=env.db_host, port=env.db_port, database=env.db_name)
    return URL.create("sqlite", database=str(env.database_file))


class Database:
    """An engine and its session factory; SQLite gets WAL and a busy timeout so that the action
    server, the channels and the console can write to one file at once."""

    def __init__(self, url: URL | str) -> None:
        self.url = make_url(url)
        if self.url.get_backend_name() == "sqlite" and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(self.url, connect_args={"timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_env(cls, env: StoreEnv | None = None) -> Database:
        return cls(database_url(env or StoreEnv.from_env()))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back when it raises."""
        with self._sessions.begin() as session:
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (idempotent; every process may call it at start-up)."""
        from alembic import command

        with _UPGRADE_LOCK, self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: URL):  # -> alembic.config.Config (imported lazily: only migrations need it)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
