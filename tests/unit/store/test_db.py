"""The database foundation: where it is, and that migrations build the schema the models declare."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from knowledge.settings import StoreEnv, load
from store.db import Database, database_url
from store.models import Base, FaqEntry, FaqQuestion


def test_sqlite_file_by_default(tmp_path: Path) -> None:
    env = load(StoreEnv, {"BOT_DATABASE_FILE": str(tmp_path / "bot.db")})
    assert database_url(env).render_as_string() == f"sqlite:///{tmp_path / 'bot.db'}"


def test_scale_out_postgres_from_the_tracker_store_variables() -> None:
    env = load(StoreEnv, {"DB_HOST": "10.0.0.5", "DB_USER": "rasa", "DB_PASSWORD": "p@ss", "DB_NAME": "park"})
    url = database_url(env)
    assert (url.drivername, url.host, url.port, url.username, url.password, url.database) == (
        "postgresql+psycopg", "10.0.0.5", 5432, "rasa", "p@ss", "park")


def test_explicit_url_wins(tmp_path: Path) -> None:
    env = load(StoreEnv, {"BOT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "DB_HOST": "10.0.0.5"})
    assert database_url(env).database == f"{tmp_path}/x.db"


def test_upgrade_builds_the_declared_schema_and_is_idempotent(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'sub' / 'bot.db'}")
    db.upgrade()
    db.upgrade()  # every process may call it at start-up
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    for name, table in Base.metadata.tables.items():
        columns = {c["name"] for c in inspect(db.engine).get_columns(name)}
        assert columns == set(table.columns.keys()), name  # a model change without a migration fails here
    db.dispose()


def test_session_commits_or_rolls_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    db.upgrade()
    with db.session() as session:
        session.add(FaqEntry(answer="A", questions=[FaqQuestion(text="Q")]))
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(FaqEntry(answer="B"))
        raise RuntimeError
    with db.session() as session:
        assert [e.answer for e in session.scalars(select(FaqEntry))] == ["A"]
        session.execute(FaqEntry.__table__.delete())  # deleting an entry deletes its questions
        assert session.scalars(select(FaqQuestion)).all() == []
    db.dispose()
