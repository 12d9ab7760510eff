"""The running stack for end-to-end tests, started exactly as `make run` starts it.

One session-scoped fixture, `stack`, runs `scripts/stack.py run` on its own ports
(so it does not clash with a developer's `make run`), waits until the stack says it
is ready, yields its URLs and stops everything at the end of the session.

Ports (environment): E2E_RASA_PORT (15005), E2E_ACTIONS_PORT (15055), E2E_WEB_PORT
(18080), E2E_CONSOLE_PORT (18090); the staff console's first admin is created with
CONSOLE_PASSWORD below, its database is a temporary file. E2E_START_TIMEOUT (900 s) covers a first run that builds the index and
trains the model. Conversations and the bot's database (question log, feedback) go to a temporary
folder, and so do the articles folder and index (copies of the project's), which the console's
tests change.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from webhook_receiver import Receiver, receiver

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "[stack] stack ready"
CONSOLE_PASSWORD = "e2e console password"  # the first admin's, created at start-up
LOOPBACK_ORIGINS = r"http://127\.0\.0\.1:\d+$"  # a pattern, as sanic-cors reads BOT_CORS


@dataclass(frozen=True)
class Stack:
    rasa: str  # base URL of the Rasa server, e.g. http://127.0.0.1:15005
    actions: str  # base URL of the action server
    web: str | None  # base URL of the web demo; None when web/serve.py does not exist
    console: str  # base URL of the staff console
    console_password: str  # the first admin's ("admin")
    database: Path  # the bot's SQLite database (store/): question log, feedback, curated answers
    log_path: Path  # everything the stack printed
    process: subprocess.Popen[bytes]
    webhook: Receiver  # the officers' webhook (LEAD_WEBHOOK_URL), a local test server

    @property
    def rest_url(self) -> str:
        return f"{self.rasa}/webhooks/rest/webhook"

    def service_pid(self, *words: str) -> int:
        """PID of the child whose command line contains all `words` (e.g. "rasa", "run")."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                cmdline = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if all(word in cmdline for word in words):
                return child.pid
        raise LookupError(f"no stack process with {words} in its command line")

    def logged_question(self, message_id: str, timeout: float = 10.0):  # -> store.models.QuestionLog
        """The question log's row of `message_id` (written in the background: waited for)."""
        from sqlalchemy import select

        from store.db import Database
        from store.models import QuestionLog

        db = Database(f"sqlite:///{self.database}")
        try:
            deadline = time.monotonic() + timeout
            while True:
                with db.session() as session:
                    row = session.scalar(select(QuestionLog).where(QuestionLog.message_id == message_id))
                if row is not None or time.monotonic() > deadline:
                    return row
                time.sleep(0.1)
        finally:
            db.dispose()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def own_knowledge(work: Path) -> dict[str, str]:
    """A copy of the articles folder and of its published build (when there is one: then the
    stack's `knowledge build` finds it up to date), so that no test changes the project's."""
    articles, index = work / "articles", work / "index"
    shutil.copytree(ROOT / "knowledge" / "articles", articles)
    published = ROOT / "var" / "index" / "current"
    if published.is_dir():
        build = published.resolve()
        shutil.copytree(build, index / "builds" / build.name)
        os.symlink(Path("builds") / build.name, index / "current")
    return {"KB_ARTICLES_DIR": str(articles), "KB_INDEX_DIR": str(index)}


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The session's one headless Chromium, shared by test_widget.py and the console's tests:
    Playwright's sync API cannot start a second instance on the thread where one runs."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_widget import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lead_webhook() -> Iterator[Receiver]:
    """The officers' WeCom group robot, outside the machine in production: a local server here.
    Its first call fails, so that the stack's retry is exercised too."""
    with receiver([(502, "bad gateway")]) as hook:
        yield hook


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, lead_webhook: Receiver) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("stack")
    rasa_port = _port("E2E_RASA_PORT", 15005)
    actions_port = _port("E2E_ACTIONS_PORT", 15055)
    web_port = _port("E2E_WEB_PORT", 18080)
    database = work / "bot.db"
    console_port = _port("E2E_CONSOLE_PORT", 18090)
    env = {
        **os.environ,
        "BOT_HOST": "127.0.0.1",
        "BOT_RASA_PORT": str(rasa_port),
        "BOT_ACTIONS_PORT": str(actions_port),
        "BOT_WEB_PORT": str(web_port),
        "BOT_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
        "BOT_TRACKER_DB": str(work / "tracker.db"),
        "CONSOLE_PORT": str(console_port),
        "CONSOLE_ADMIN_PASSWORD": CONSOLE_PASSWORD,
        "BOT_DATABASE_FILE": str(database),
        "LEAD_WEBHOOK_URL": lead_webhook.url,
        "LEAD_WEBHOOK_BACKOFF": "0.2",
        "BOT_CORS": os.environ.get("BOT_CORS")
        or f"http://localhost:{web_port} http://127.0.0.1:{web_port} " + LOOPBACK_ORIGINS,
        **own_knowledge(work),
    }
    log_path = work / "stack.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "stack.py"), "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + float(os.environ.get("E2E_START_TIMEOUT") or 900)
    try:
        while READY_LINE not in log_path.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
                pytest.fail(f"the stack did not start (exit {process.poll()}):\n{tail}")
            time.sleep(1)
        web = f"http://127.0.0.1:{web_port}" if (ROOT / "web" / "serve.py").exists() else None
        yield Stack(
            rasa=f"http://127.0.0.1:{rasa_port}",
            actions=f"http://127.0.0.1:{actions_port}",
            web=web,
            console=f"http://127.0.0.1:{console_port}",
            console_password=CONSOLE_PASSWORD,
            database=database,
            log_path=log_path,
            process=process,
            webhook=lead_webhook,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()
