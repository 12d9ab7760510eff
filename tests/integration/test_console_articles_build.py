"""The console's background rebuild with the real build (`knowledge build`'s, real model): a build
that fails is shown with its error; an upload is built, its progress seen on the status endpoint,
and the published build answers from the new article with its date."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from article_files import pdf_bytes

from knowledge.service import KnowledgeService

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "staff_console"))
from console_client import Console, knowledge_settings, make_console

pytestmark = pytest.mark.integration


@pytest.fixture()
def console(tmp_path: Path) -> Iterator[Console]:
    c = make_console(tmp_path)  # the real rebuilder; articles and index in tmp_path, the shared embedding cache
    with c.client:
        yield c
    c.client.app.state.console.rebuilder.wait(600)
    c.db.dispose()


def follow(console: Console, timeout: float = 900) -> tuple[dict, set[str]]:
    """Poll the status endpoint as the page does until the build ends; the stages seen on the way."""
    stages: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = console.client.get("/articles/status.json").json()
        stages.add(status["stage"])
        if status["state"] != "running":
            return status, stages
        time.sleep(0.2)
    raise AssertionError("the build did not end")


def test_a_failed_build_is_shown_and_an_upload_is_built_and_answered(console: Console, tmp_path: Path) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    console.client.post("/articles/rebuild", data={"csrf": token})
    status, _ = follow(console)
    assert status["state"] == "failed" and "does not exist" in status["error"]
    assert "does not exist" in console.client.get("/articles").text

    response = console.client.post("/articles/upload", data={"csrf": token, "published": "2025-06-30"},
                                   files={"file": ("guide.pdf", pdf_bytes(pages=1), "application/pdf")},
                                   follow_redirects=False)
    assert response.status_code == 303
    status, stages = follow(console)
    assert status["state"] == "done" and status["error"] == "" and status["passages"] > 0, status
    assert "embedding" in stages or status["stage"] == "built"
    row = console.client.get("/articles").text.split('data-article="guide.pdf"')[1].split("</tr>")[0]
    assert f"<td>{status['passages']}</td>" in row  # the listing reads the published build

    service = KnowledgeService.from_settings(knowledge_settings(tmp_path))
    answer = service.ask("星河科技园人才公寓的租金是多少？")
    found = answer.sources or answer.related
    assert found and found[0].source == "guide.pdf" and found[0].published == "2025-06-30"
