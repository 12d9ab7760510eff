"""A console on a throwaway SQLite database, driven in-process (Starlette's TestClient); imported
as `console_client` by the console's unit tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from starlette.testclient import TestClient

from console import accounts
from console.app import create_app
from console.rebuild import Rebuilder
from knowledge.settings import ConsoleEnv, Settings, load
from store.db import Database

PASSWORD = "correct horse battery"


def no_knowledge():  # the knowledge base is not needed for sign-in and permissions
    raise RuntimeError("no index in this test")


@dataclass
class Console:
    client: TestClient
    db: Database
    cfg: ConsoleEnv

    def csrf(self, path: str = "/signin") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, f"no CSRF field on {path}"
        return found.group(1)

    def sign_in(self, username: str = "admin", password: str = PASSWORD):
        return self.client.post("/signin", data={"csrf": self.csrf(), "username": username, "password": password},
                                follow_redirects=False)


def knowledge_settings(tmp_path: Path, **env: str) -> Settings:
    """The knowledge base's settings with the articles folder and index in `tmp_path` (never the project's)."""
    return load(Settings, {"KB_ARTICLES_DIR": str(tmp_path / "articles"), "KB_INDEX_DIR": str(tmp_path / "index"),
                           **env})


def make_console(tmp_path: Path, settings: Settings | None = None, rebuilder: Rebuilder | None = None,
                 **env: str) -> Console:
    cfg = load(ConsoleEnv, {"CONSOLE_ADMIN_PASSWORD": PASSWORD, **env})
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    db.upgrade()
    with db.session() as session:
        accounts.ensure_admin(session, cfg)
    app = create_app(cfg, db, no_knowledge, secret="test-secret", settings=settings or knowledge_settings(tmp_path), rebuilder=rebuilder)
    return Console(TestClient(app, base_url="http://testserver"), db, cfg)
