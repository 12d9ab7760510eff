"""A PDF added through the CLI, built with the real model and asked: the answer's sources carry the
article's date and URL and a link to the quoted sentence; an expired article is never quoted,
with no rebuild, and comes back when its date is extended."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from article_files import page_sentences, pdf_bytes, write

from knowledge.catalog import REFRESH_SECONDS
from knowledge.service import KnowledgeService
from knowledge.settings import Settings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "articles"
QUESTION = "星河科技园第2区的人才公寓有多少套？"
ANSWER = page_sentences(2)[2]  # "星河科技园第2区人才公寓共有八百套，…"
URL = "https://park.example/guide.pdf"


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("articles-kb")
    folder = base / "articles"
    folder.mkdir()
    for name in ("gele-talent-housing-services.txt", "bishan-smart-valley.txt", "policy-fengminghu-tech-measures.txt"):
        shutil.copy(FIXTURES / name, folder / name)  # other parks' articles compete for the question
    return {**os.environ, "PYTHONPATH": str(REPO), "KB_ARTICLES_DIR": str(folder),
            "KB_INDEX_DIR": str(base / "index"), "KB_CACHE_DIR": str(base / "cache"), "KB_STALE_AFTER_DAYS": "365"}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "knowledge.cli", *args], capture_output=True, text=True,
                          env=env, timeout=900)


def test_a_pdf_added_built_and_asked_is_cited_with_its_date_and_url(kb: dict[str, str], tmp_path: Path) -> None:
    pdf = write(tmp_path / "xinghe-guide.pdf", pdf_bytes(pages=3))
    added = cli(kb, "articles", "add", str(pdf), "--published", "2024-03-01", "--url", URL,
                "--publisher", "星河科技园管委会")
    assert added.returncode == 0, added.stderr
    built = cli(kb, "build", "--quiet")
    assert built.returncode == 0, built.stderr

    listed = {a["name"]: a for a in json.loads(cli(kb, "articles", "list", "--json").stdout)}
    assert listed["xinghe-guide.pdf"]["passages"] >= 3 and listed["xinghe-guide.pdf"]["title"] == "星河科技园招商指南"

    answer = json.loads(cli(kb, "ask", "--json", QUESTION).stdout)
    assert answer["grounded"], answer
    [first, *_] = answer["sources"]
    assert first["source"] == "xinghe-guide.pdf" and first["sentence"] == ANSWER
    assert (first["url"], first["published"], first["publisher"]) == (URL, "2024-03-01", "星河科技园管委会")
    assert first["link"].startswith(URL + "#:~:text=")
    assert unquote(first["link"].split("text=", 1)[1].split(",")[0]) in ANSWER
    assert {"id", "source", "title", "section", "text", "score", "sentence"} <= set(first)  # the old keys stay

    text = cli(kb, "ask", QUESTION).stdout  # the text mode cites date and URL, and says the article is old
    assert "2024-03-01" in text and URL in text and "该文发布于2024-03-01" in text


def test_an_expired_article_is_never_quoted_and_comes_back_when_extended(kb: dict[str, str]) -> None:
    settings = Settings.from_env(kb)
    service = KnowledgeService.from_settings(settings)  # one running service: no rebuild, no reload

    def quoted() -> set[str]:
        answer = service.ask(QUESTION)
        return {s.source for s in answer.sources + answer.related}

    assert "xinghe-guide.pdf" in quoted()
    assert cli(kb, "articles", "set", "xinghe-guide.pdf", "--expires", "2020-12-31").returncode == 0
    time.sleep(REFRESH_SECONDS + 0.2)
    assert "xinghe-guide.pdf" not in quoted()
    asked = json.loads(cli(kb, "ask", "--json", QUESTION).stdout)  # a new process reads the expiry too
    assert "xinghe-guide.pdf" not in {s["source"] for s in asked["sources"] + asked["related"]}

    assert cli(kb, "articles", "set", "xinghe-guide.pdf", "--expires", "2099-12-31").returncode == 0
    time.sleep(REFRESH_SECONDS + 0.2)
    assert "xinghe-guide.pdf" in quoted()
