"""`knowledge articles` as staff run it: add, list, set, remove; refusals exit 2 without a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from article_files import docx_bomb, pdf_bytes, pdf_with_javascript, write

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def run(tmp_path: Path):
    folder = tmp_path / "articles"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "KB_ARTICLES_DIR": str(folder),
           "KB_INDEX_DIR": str(tmp_path / "index"), "KB_CACHE_DIR": str(tmp_path / "cache")}

    def _run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "knowledge.cli", "articles", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)

    _run.folder = folder  # type: ignore[attr-defined]
    return _run


def test_add_list_set_remove(run, tmp_path: Path) -> None:
    pdf = write(tmp_path / "inbox" / "guide.pdf", pdf_bytes())
    added = run("add", str(pdf), "--title", "星河科技园招商指南", "--published", "2024-03-01",
                "--url", "https://park.example/guide.pdf", "--publisher", "星河科技园管委会", "--expires", "2030-12-31")
    assert added.returncode == 0, added.stderr
    assert "added guide.pdf" in added.stdout and "knowledge build" in added.stdout

    [entry] = json.loads(run("list", "--json").stdout)
    assert entry == {"name": "guide.pdf", "title": "星河科技园招商指南", "publisher": "星河科技园管委会",
                     "published": "2024-03-01", "url": "https://park.example/guide.pdf", "expires": "2030-12-31",
                     "passages": None, "expired": False}
    table = run("list").stdout
    assert "guide.pdf" in table and "2024-03-01" in table and "not built" in table

    assert run("set", "guide.pdf", "--expires", "2020-01-01").returncode == 0
    assert json.loads(run("list", "--json").stdout)[0]["expired"] is True
    assert run("set", "guide.pdf", "--expires", "").returncode == 0
    assert "expires" not in json.loads(run("list", "--json").stdout)[0]

    assert run("remove", "guide.pdf").returncode == 0
    assert json.loads(run("list", "--json").stdout) == []
    assert sorted(p.name for p in run.folder.iterdir()) == []


@pytest.mark.parametrize(("make", "args", "message"), [
    (lambda d: write(d / "bomb.docx", docx_bomb()), [], "zip bomb"),
    (lambda d: write(d / "js.pdf", pdf_with_javascript()), [], "active content"),
    (lambda d: write(d / "fake.pdf", "<html>hi</html>"), [], "not a PDF"),
    (lambda d: write(d / "ok.txt", "园区概况\n星河科技园今天正式开园，首批企业入驻。\n"), ["--name", "../ok.txt"],
     "not a plain file name"),
    (lambda d: write(d / "ok.txt", "园区概况\n星河科技园今天正式开园，首批企业入驻。\n"), ["--published", "yesterday"],
     "date such as"),
    (lambda d: "file:///etc/passwd", [], "not an http"),
    (lambda d: "gopher://127.0.0.1/1", [], "not an http"),
])
def test_refusals_exit_2_with_a_message_and_write_nothing(run, tmp_path: Path, make, args, message) -> None:
    source = make(tmp_path)
    result = run("add", str(source), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert list(run.folder.iterdir()) == []
    assert not (tmp_path / "ok.txt.meta.yml").exists()


def test_unknown_articles_exit_2(run) -> None:
    for args in (["remove", "nope.txt"], ["set", "nope.txt", "--title", "x"], ["remove", "../../etc/passwd"]):
        result = run(*args)
        assert result.returncode == 2 and "no article" in result.stderr and "Traceback" not in result.stderr
