from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_client import Console, make_console


@pytest.fixture()
def console(tmp_path: Path) -> Iterator[Console]:
    c = make_console(tmp_path)
    with c.client:
        yield c
    c.db.dispose()
