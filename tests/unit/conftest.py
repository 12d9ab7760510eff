"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.db import Database


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Database]:
    """The bot's database, migrated to the newest schema, in a file of this test's own."""
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    database.upgrade()
    yield database
    database.dispose()
