"""The article folder as staff manage it (knowledge.articles): adding, metadata, expiry, and every
hostile upload refused with a clear message and nothing written, in the folder or outside it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from article_files import NAV_PAGE, docx_bomb, docx_bytes, pdf_bytes, pdf_with_javascript, write

from knowledge.articles import ArticleStore, name_for_url
from knowledge.catalog import Catalog
from knowledge.errors import KnowledgeError
from knowledge.ingest import article_files, read_article
from knowledge.meta import ArticleMeta, read_meta, sidecar_path
from knowledge.settings import Settings

NEWS = "星河科技园开园\n星河科技园今天正式开园，首批二十家企业入驻。\n".encode()
NEWS_LATER = "星河科技园开园\n星河科技园明天正式开园，首批三十家企业入驻。\n".encode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "articles").mkdir()
    return tmp_path / "articles"


@pytest.fixture
def store(folder: Path, tmp_path: Path) -> ArticleStore:
    # The test site runs on loopback, which a real import refuses (see the test of that below).
    settings = replace(Settings.from_env({}), articles_dir=folder, index_dir=tmp_path / "index",
                       cache_dir=tmp_path / "cache", fetch_timeout=5.0, fetch_private=True)
    return ArticleStore(settings)


def everything(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# ------------------------------------------------------------------ adding, listing, metadata


def test_added_articles_are_listed_with_their_metadata(store: ArticleStore, folder: Path, tmp_path: Path) -> None:
    pdf = write(tmp_path / "guide.pdf", pdf_bytes())
    meta = ArticleMeta(publisher="星河科技园管委会", published=date(2024, 3, 1), url="https://park.example/guide.pdf")
    assert store.add_file(pdf, meta) == "guide.pdf"
    store.add_bytes("policy.docx", docx_bytes(), ArticleMeta(title="扶持政策汇编"))
    listed = {a.name: a for a in store.list()}
    assert set(listed) == {"guide.pdf", "policy.docx"}
    assert listed["guide.pdf"].meta == meta and listed["guide.pdf"].passages is None  # not built yet
    assert listed["policy.docx"].title == "扶持政策汇编"
    assert read_article(folder / "policy.docx", folder).clean.title == "扶持政策汇编"  # the sidecar's title wins
    assert sidecar_path(folder / "guide.pdf").read_text(encoding="utf-8").startswith("publisher: 星河科技园管委会")


def test_an_existing_name_is_replaced_only_when_asked(store: ArticleStore, folder: Path) -> None:
    store.add_bytes("news.txt", NEWS)
    with pytest.raises(KnowledgeError, match="already exists"):
        store.add_bytes("news.txt", NEWS_LATER)
    store.add_bytes("news.txt", NEWS_LATER, replace=True)
    assert (folder / "news.txt").read_bytes() == NEWS_LATER


def test_metadata_is_set_cleared_and_checked(store: ArticleStore, folder: Path) -> None:
    store.add_bytes("news.txt", NEWS)
    store.set_meta("news.txt", published="2024-03-01", url="https://park.example/n/1", expires="2025-01-31")
    assert read_meta(folder / "news.txt") == ArticleMeta(
        published=date(2024, 3, 1), url="https://park.example/n/1", expires=date(2025, 1, 31))
    store.set_meta("news.txt", expires="")
    assert read_meta(folder / "news.txt").expires is None
    with pytest.raises(KnowledgeError, match="date such as"):
        store.set_meta("news.txt", published="March 1st")
    with pytest.raises(KnowledgeError, match="http"):
        store.set_meta("news.txt", url="javascript:alert(1)")
    with pytest.raises(KnowledgeError, match="no article"):
        store.set_meta("../outside.txt", title="x")


def test_remove_deletes_the_article_and_its_metadata(store: ArticleStore, folder: Path) -> None:
    store.add_bytes("news.txt", NEWS, ArticleMeta(url="https://park.example/1"))
    store.remove("news.txt")
    assert everything(folder) == set()
    with pytest.raises(KnowledgeError, match="no article"):
        store.remove("news.txt")


def test_writes_are_atomic_and_leave_no_temporary_file(store: ArticleStore, folder: Path, monkeypatch) -> None:
    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)  # the rename that publishes the file fails
    with pytest.raises(OSError):
        store.add_bytes("news.txt", NEWS)
    assert article_files(folder) == [] and not [p for p in folder.iterdir() if p.name.startswith(".news")]


# ------------------------------------------------------------------ expiry while answering


def test_expiry_is_checked_when_answering_and_an_extended_article_comes_back(store: ArticleStore, folder: Path) -> None:
    store.add_bytes("news.txt", NEWS, ArticleMeta(expires=date(2025, 6, 30)))
    today = [date(2025, 6, 30)]
    catalog = Catalog(folder, {"news.txt": read_meta(folder / "news.txt")}, today=lambda: today[0],
                      refresh_seconds=0)
    assert catalog.expired() == frozenset()  # valid through its expiry day
    today[0] = date(2025, 7, 1)
    assert catalog.expired() == {"news.txt"}  # no rebuild, no metadata change: the day passed
    store.set_meta("news.txt", expires="2026-06-30")
    assert catalog.expired() == frozenset()
    assert catalog.meta("news.txt").expires == date(2026, 6, 30)


# ------------------------------------------------------------------ hostile uploads


@pytest.mark.parametrize(("name", "data", "message"), [
    ("../escape.txt", "园区新闻。".encode(), "not a plain file name"),
    ("sub/dir.txt", "园区新闻。".encode(), "not a plain file name"),
    ("..", b"x", "not a plain file name"),
    (".hidden.txt", "园区新闻。".encode(), "hidden"),
    ("notes\x00.txt", "园区新闻。".encode(), "not a plain file name"),
    ("payload.exe", b"MZ", "articles are"),
    ("report.pdf", b"<html><body>not a pdf</body></html>", "not a PDF"),
    ("notes.txt", pdf_bytes(pages=1), "not text"),
    ("letter.docx", "纯文本，不是文档。".encode(), "not a Word"),
    ("archive.docx", b"PK\x03\x04" + b"\x00" * 40, "damaged"),
    ("bomb.docx", docx_bomb(), "zip bomb"),
    ("script.pdf", pdf_with_javascript(), "active content"),
    ("hidden-script.pdf", pdf_with_javascript(hex_escaped=True), "active content"),
    ("empty.txt", b"   \n\n", "no article text"),
])
def test_hostile_uploads_are_refused_and_nothing_is_written(
        store: ArticleStore, tmp_path: Path, name: str, data: bytes, message: str) -> None:
    before = everything(tmp_path)
    with pytest.raises(KnowledgeError, match=message):
        store.add_bytes(name, data)
    assert everything(tmp_path) == before


def test_a_200_mb_file_is_refused_before_it_is_read(store: ArticleStore, tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: no 200 MB written to the disk
    with pytest.raises(KnowledgeError, match=r"200\.0 MiB"):
        store.add_file(huge)
    assert article_files(store.folder) == []


def test_the_build_refuses_a_hostile_file_dropped_into_the_folder_by_hand(folder: Path) -> None:
    write(folder / "script.pdf", pdf_with_javascript())
    with pytest.raises(KnowledgeError, match="active content"):
        read_article(folder / "script.pdf", folder)


# ------------------------------------------------------------------ import from a URL


class Site(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {
        "/news/talent.html": (200, {"Content-Type": "text/html; charset=utf-8"}, NAV_PAGE.encode()),
        "/guide.pdf": (200, {"Content-Type": "application/pdf"}, pdf_bytes(pages=1)),
        "/moved": (302, {"Location": "/news/talent.html"}, b""),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/to-gopher": (301, {"Location": "gopher://127.0.0.1:70/1"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/huge": (200, {"Content-Type": "text/html"}, b"<p>" + b"x" * 200_000 + b"</p>"),
        "/binary": (200, {"Content-Type": "application/octet-stream"}, b"\x7fELF" + b"\x00" * 64),
    }

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)  # a free port: never collides
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_page_is_imported_with_its_url_date_and_site_after_a_redirect(store: ArticleStore, site: str) -> None:
    name = store.add_url(f"{site}/moved")
    assert name == "talent.html"
    article = store.get(name)
    assert article.meta == ArticleMeta(publisher="星河科技园管委会", published=date(2024, 3, 1),
                                       url=f"{site}/news/talent.html")
    # Given metadata wins over what the page says.
    store.add_url(f"{site}/news/talent.html", ArticleMeta(published=date(2024, 4, 2)), replace=True)
    assert store.get(name).meta.published == date(2024, 4, 2)


def test_a_pdf_url_is_stored_as_a_pdf(store: ArticleStore, site: str) -> None:
    assert store.add_url(f"{site}/guide.pdf") == "guide.pdf"
    assert (store.folder / "guide.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(("url", "message"), [
    ("file:///etc/passwd", "not an http"),
    ("gopher://127.0.0.1:70/1", "not an http"),
    ("ftp://park.example/a.html", "not an http"),
    ("{site}/to-file", "not an http"),
    ("{site}/to-gopher", "not an http"),
    ("{site}/loop", "redirects"),
    ("{site}/nowhere", "HTTP 404"),
    ("{site}/binary", "not an article"),
])
def test_bad_urls_are_refused(store: ArticleStore, site: str, tmp_path: Path, url: str, message: str) -> None:
    before = everything(tmp_path)
    with pytest.raises(KnowledgeError, match=message):
        store.add_url(url.format(site=site))
    assert everything(tmp_path) == before


@pytest.mark.parametrize("path", ["/news/talent.html", "/moved"])
def test_by_default_an_import_cannot_reach_this_machine(store: ArticleStore, site: str, tmp_path: Path,
                                                        path: str) -> None:
    guarded = ArticleStore(replace(store.settings, fetch_private=False))
    before = everything(tmp_path)
    with pytest.raises(KnowledgeError, match="non-public address"):
        guarded.add_url(f"{site}{path}")
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://[::1]:5055/"):
        with pytest.raises(KnowledgeError, match="non-public address"):
            guarded.add_url(url)
    assert everything(tmp_path) == before


def test_a_redirect_to_this_machine_is_refused(store: ArticleStore, site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import fetch

    # The first host passes as public; the redirect it sends leads to loopback.
    real = fetch.check_host
    calls: list[str] = []

    def first_public(url: str, allow_private: bool) -> str:
        calls.append(url)
        return url if len(calls) == 1 else real(url, allow_private)

    monkeypatch.setattr(fetch, "check_host", first_public)
    guarded = ArticleStore(replace(store.settings, fetch_private=False))
    with pytest.raises(KnowledgeError, match="non-public address"):
        guarded.add_url(f"{site}/moved")
    assert calls == [f"{site}/moved", f"{site}/news/talent.html"]


def test_a_page_over_the_size_limit_is_refused(store: ArticleStore, site: str) -> None:
    small = ArticleStore(replace(store.settings, max_article_bytes=100_000))
    with pytest.raises(KnowledgeError, match="KB_MAX_ARTICLE_BYTES"):
        small.add_url(f"{site}/huge")


def test_a_slow_server_is_given_up_on(store: ArticleStore) -> None:
    import socket

    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        impatient = ArticleStore(replace(store.settings, fetch_timeout=0.5))
        started = time.monotonic()
        with pytest.raises(KnowledgeError, match="KB_FETCH_TIMEOUT"):
            impatient.add_url(f"http://127.0.0.1:{silent.getsockname()[1]}/")
        assert time.monotonic() - started < 5


def test_names_from_urls_are_plain_file_names() -> None:
    assert name_for_url("https://park.example/news/2024/人才新政.html?id=3", ".html") == "人才新政.html"
    assert name_for_url("https://park.example/", ".html") == "park-example.html"
    assert name_for_url("https://park.example/a/..%2F..%2Fetc%2Fpasswd", ".html") == "passwd.html"
