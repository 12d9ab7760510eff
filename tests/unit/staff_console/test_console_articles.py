"""The console's articles page: sign-in and CSRF, uploads (hostile ones refused with their reason and
nothing written), replace, delete, details, URL import, quote counts, and the rebuild each change
asks for, followed through /articles/status.json.

The index build itself is the library's (tested with the real model in
tests/integration/test_console_articles_build.py); here a recording build stands in for it, so
that what is tested is which requests start a build and what the status endpoint says.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from article_files import NAV_PAGE, docx_bomb, pdf_bytes, pdf_with_javascript
from console_client import Console, knowledge_settings, make_console

from console.rebuild import Rebuilder
from knowledge.errors import KnowledgeError
from knowledge.index import BuildReport, Progress
from store.models import QuestionLog

NEWS = "星河科技园开园\n星河科技园今天正式开园，首批二十家企业入驻。\n".encode()


class RecordingBuild:
    """Stands in for the index build: records why it ran, reports progress, can be held or fail."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = threading.Event()
        self.release.set()
        self.running = threading.Event()
        self.fail: str = ""

    def __call__(self, progress: Progress) -> BuildReport:
        self.runs += 1
        progress("embedding", 3, 10)
        self.running.set()
        self.release.wait(10)
        if self.fail:
            raise KnowledgeError(self.fail)
        return BuildReport("built", Path("/index/builds/20261205T000000Z"), 7, 20, 3, 0.1)


@pytest.fixture()
def build() -> RecordingBuild:
    return RecordingBuild()


@pytest.fixture()
def rebuilder(build: RecordingBuild) -> Rebuilder:
    return Rebuilder(build)


@pytest.fixture()
def console(tmp_path: Path, rebuilder: Rebuilder) -> Iterator[Console]:
    c = make_console(tmp_path, knowledge_settings(tmp_path, KB_MAX_ARTICLE_BYTES="200000", KB_FETCH_TIMEOUT="5",
                                                KB_FETCH_PRIVATE="true"),
                     rebuilder)
    with c.client:
        yield c
    rebuilder.wait(10)
    c.db.dispose()


def folder(tmp_path: Path) -> Path:
    return tmp_path / "articles"


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def upload(console: Console, name: str, data: bytes, token: str, **fields: str):
    return console.client.post("/articles/upload", data={"csrf": token, **fields},
                               files={"file": (name, data, "application/octet-stream")}, follow_redirects=False)


def test_the_articles_pages_need_a_signed_in_user_and_a_csrf_token(console: Console, tmp_path: Path,
                                                                    build: RecordingBuild) -> None:
    assert console.client.get("/articles", follow_redirects=False).headers["location"].startswith("/signin?next=")
    assert console.client.get("/articles/status.json", follow_redirects=False).status_code == 303
    anonymous = upload(console, "news.txt", NEWS, console.csrf())
    assert anonymous.status_code == 403
    console.sign_in()
    token = console.csrf("/articles")
    assert upload(console, "news.txt", NEWS, "not-the-token").status_code == 403
    cross_site = console.client.post("/articles/delete", data={"csrf": token, "name": "news.txt"},
                                     headers={"origin": "http://evil.example"})
    assert cross_site.status_code == 403
    assert console.client.post("/articles/rebuild", data={}).status_code == 403
    assert not folder(tmp_path).exists() or not any(folder(tmp_path).iterdir())
    assert build.runs == 0


def test_an_upload_is_stored_with_its_details_listed_and_rebuilt(console: Console, tmp_path: Path,
                                                                rebuilder: Rebuilder, build: RecordingBuild) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    response = upload(console, "星河新闻.txt", NEWS, token, title="开园新闻", publisher="星河科技园管委会",
                      published="2024-03-01", url="https://park.example/news/1", expires="")
    assert response.status_code == 303 and response.headers["location"] == "/articles"
    assert (folder(tmp_path) / "星河新闻.txt").read_bytes() == NEWS
    assert rebuilder.wait(10).state == "done" and build.runs == 1
    page = console.client.get("/articles").text
    assert "星河新闻.txt added: the index is being rebuilt" in page
    assert "开园新闻" in page and "2024-03-01" in page and "https://park.example/news/1" in page
    assert "星河科技园管委会" in page
    # The same name again is refused (replacing is its own button), and nothing is rebuilt.
    again = upload(console, "星河新闻.txt", NEWS.replace("二十".encode(), "三十".encode()), token)
    assert again.status_code == 400 and "already exists" in again.text
    assert (folder(tmp_path) / "星河新闻.txt").read_bytes() == NEWS and build.runs == 1


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("../outside.txt", NEWS, "not a plain file name"),
    ("..\\outside.txt", NEWS, "not a plain file name"),
    (".hidden.txt", NEWS, "hidden name"),
    ("run.exe", b"MZ\x90\x00", "articles are"),
    ("guide.pdf", NEWS, "not a PDF"),
    ("tricky.pdf", pdf_with_javascript(), "refused"),
    ("bomb.docx", docx_bomb(), "zip bomb"),
    ("fake.txt", pdf_bytes(pages=1), "not text"),
])
def test_a_hostile_upload_is_refused_with_its_reason_and_nothing_is_written(
        console: Console, tmp_path: Path, build: RecordingBuild, name: str, data: bytes, reason: str) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    before = files_under(tmp_path)
    response = upload(console, name, data, token)
    assert response.status_code == 400, response.text[:300]
    assert reason in response.text and 'role="alert"' in response.text
    written = files_under(tmp_path) - before
    assert {p for p in written if p.name != "bot.db-journal"} == set()
    assert not (tmp_path.parent / "outside.txt").exists()
    assert build.runs == 0


def test_an_upload_larger_than_the_article_limit_is_refused_before_it_is_read(
        console: Console, tmp_path: Path, build: RecordingBuild) -> None:
    console.sign_in()
    response = upload(console, "big.txt", b"a" * 300_000, console.csrf("/articles"))
    assert response.status_code == 413
    assert not folder(tmp_path).exists() or not any(folder(tmp_path).iterdir())
    # Just above KB_MAX_ARTICLE_BYTES but inside the form's allowance: ArticleStore's own refusal.
    response = upload(console, "big.txt", b"a" * 200_100, console.csrf("/articles"))
    assert response.status_code == 400 and "KB_MAX_ARTICLE_BYTES" in response.text
    assert build.runs == 0


def test_replace_keeps_the_details_and_delete_removes_file_and_sidecar(
        console: Console, tmp_path: Path, rebuilder: Rebuilder, build: RecordingBuild) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    upload(console, "news.txt", NEWS, token, title="开园新闻", published="2024-03-01")
    rebuilder.wait(10)
    newer = "星河科技园开园\n星河科技园明天正式开园，首批三十家企业入驻。\n".encode()
    response = upload(console, "whatever-the-browser-says.txt", newer, token, replace="news.txt")
    assert response.status_code == 303
    assert (folder(tmp_path) / "news.txt").read_bytes() == newer
    assert not (folder(tmp_path) / "whatever-the-browser-says.txt").exists()
    assert "开园新闻" in console.client.get("/articles").text  # the details were kept
    wrong_type = upload(console, "x.pdf", pdf_bytes(pages=1), token, replace="news.txt")
    assert wrong_type.status_code == 400 and "not text" in wrong_type.text
    missing = upload(console, "x.txt", NEWS, token, replace="gone.txt")
    assert missing.status_code == 400 and "no article" in missing.text
    rebuilder.wait(10)
    deleted = console.client.post("/articles/delete", data={"csrf": token, "name": "news.txt"},
                                  follow_redirects=False)
    assert deleted.status_code == 303
    assert list(folder(tmp_path).iterdir()) == []  # the article and its metadata sidecar
    rebuilder.wait(10)
    assert build.runs == 3
    assert console.client.post("/articles/delete", data={"csrf": token, "name": "../bot.db"}).status_code == 404
    assert (tmp_path / "bot.db").exists()


def test_details_are_edited_and_a_bad_date_or_url_is_refused(console: Console, tmp_path: Path,
                                                            rebuilder: Rebuilder) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    upload(console, "news.txt", NEWS, token, title="开园新闻", published="2024-03-01")
    rebuilder.wait(10)
    form = console.client.get("/articles/edit", params={"name": "news.txt"})
    assert form.status_code == 200 and 'value="2024-03-01"' in form.text
    assert console.client.get("/articles/edit", params={"name": "../../etc/passwd"}).status_code == 404
    fields = {"csrf": token, "name": "news.txt", "title": "", "publisher": "管委会", "published": "2024-03-02",
              "url": "", "expires": "2020-01-01"}
    bad = console.client.post("/articles/edit", data={**fields, "published": "yesterday"})
    assert bad.status_code == 400 and "must be a date" in bad.text
    bad = console.client.post("/articles/edit", data={**fields, "url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "http(s) URL" in bad.text
    saved = console.client.post("/articles/edit", data=fields, follow_redirects=False)
    assert saved.status_code == 303
    sidecar = (folder(tmp_path) / "news.txt.meta.yml").read_text(encoding="utf-8")
    assert "管委会" in sidecar and "2024-03-02" in sidecar and "title" not in sidecar  # "" cleared the title
    row = console.client.get("/articles").text
    assert 'class="expired"' in row and "expired 2020-01-01" in row


def test_quote_counts_come_from_the_question_log(console: Console, rebuilder: Rebuilder) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    upload(console, "news.txt", NEWS, token)
    upload(console, "other.txt", "另一篇文章\n内容。\n".encode(), token)
    rebuilder.wait(10)
    cited = [{"source": "news.txt", "id": "news.txt#0"}, {"source": "news.txt", "id": "news.txt#1"}]
    with console.db.session() as db:
        for sources, outcome in [(cited, "answered"), (cited, "answered"), (cited[:1], "related"), ([], "declined")]:
            db.add(QuestionLog(message_id=uuid.uuid4().hex, question="q", outcome=outcome, sources=sources))
    page = console.client.get("/articles").text
    rows = {name: page.split(f'data-article="{name}"')[1].split("</tr>")[0] for name in ("news.txt", "other.txt")}
    assert "<td>3</td>" in rows["news.txt"]  # two answers and one related passage, each question once
    assert "<td>0</td>" in rows["other.txt"]


def test_the_status_endpoint_follows_the_build_and_shows_a_failure(console: Console, rebuilder: Rebuilder,
                                                                   build: RecordingBuild) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    assert console.client.get("/articles/status.json").json()["state"] == "idle"
    build.release.clear()
    upload(console, "news.txt", NEWS, token)
    assert build.running.wait(10)
    status = console.client.get("/articles/status.json").json()
    assert status["state"] == "running" and (status["stage"], status["done"], status["total"]) == ("embedding", 3, 10)
    # A change during a build is built after it, not alongside it.
    upload(console, "other.txt", "另一篇文章\n内容。\n".encode(), token)
    assert console.client.get("/articles/status.json").json()["pending"] is True
    build.release.set()
    done = rebuilder.wait(10)
    assert build.runs == 2 and done.state == "done" and done.passages == 7 and not done.pending
    build.fail = "no passages: add articles"
    assert console.client.post("/articles/rebuild", data={"csrf": token}, follow_redirects=False).status_code == 303
    failed = rebuilder.wait(10)
    assert failed.state == "failed" and "no passages" in failed.error
    page = console.client.get("/articles").text
    assert "KnowledgeError: no passages: add articles" in page


class Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = NAV_PAGE.encode() if self.path == "/news/talent.html" else b"missing"
        self.send_response(200 if self.path == "/news/talent.html" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)  # a free port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_page_is_imported_from_its_url_and_a_bad_url_refused(console: Console, tmp_path: Path, site: str,
                                                               build: RecordingBuild, rebuilder: Rebuilder) -> None:
    console.sign_in()
    token = console.csrf("/articles")
    for url, reason in [("file:///etc/passwd", "not an http(s) URL"), (f"{site}/missing", "HTTP 404")]:
        refused = console.client.post("/articles/import", data={"csrf": token, "source_url": url})
        assert refused.status_code == 400 and reason in refused.text
    assert build.runs == 0
    imported = console.client.post("/articles/import", data={"csrf": token, "source_url": f"{site}/news/talent.html",
                                                              "title": "人才新政"}, follow_redirects=False)
    assert imported.status_code == 303
    assert (folder(tmp_path) / "talent.html").exists()
    rebuilder.wait(10)
    page = console.client.get("/articles").text
    assert "人才新政" in page and "2024-03-01" in page and f"{site}/news/talent.html" in page
