"""The chat widget in a real headless Chromium, talking to the real running bot.

Needs Debian's ``chromium`` (path from CHROMIUM_PATH, default /usr/bin/chromium) and the Python
``playwright`` package; no browser is downloaded. With BOT_URL (and WEB_URL, default
http://localhost:8080) set, the tests use that running stack; otherwise the ``stack`` fixture of
tests/e2e/conftest.py starts one (without that fixture: BOT_URL's default,
http://localhost:5005). They skip when no bot listens; when no web server listens they start
``python -m web.serve`` themselves.

Set UPDATE_WIDGET_SCREENSHOT=1 to refresh docs/widget.png from the grounded-answer test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_leads_e2e import DECLINED, leads_of, wait_for_webhook

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
REPLY_MS = 30_000  # generous: the first answers of a freshly started Rasa are slower
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
SCREENSHOT = REPO / "docs" / "widget.png"
DEFAULT_BOT = "http://localhost:5005"
DEFAULT_WEB = "http://localhost:8080"

# Selectors of the widget's DOM (Playwright's CSS engine pierces its open shadow root).
BOT_MSGS = ".pc-msg--bot:not(.pc-msg--welcome)"
USER_MSGS = ".pc-msg--user .pc-bubble"


# ------------------------------------------------------------------ helpers for the stack


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "localhost", parts.port or (443 if parts.scheme == "https" else 80)


def _listening(url: str) -> bool:
    try:
        with socket.create_connection(_host_port(url), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stack_urls(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """(bot URL, web URL or None). BOT_URL in the environment means "use that running stack";
    otherwise the `stack` fixture of conftest.py starts one; without it, the defaults."""
    if "BOT_URL" not in os.environ:
        try:
            stack: Any = request.getfixturevalue("stack")
        except pytest.FixtureLookupError:
            pass
        else:
            return stack.rasa, stack.web
    return os.environ.get("BOT_URL", DEFAULT_BOT), os.environ.get("WEB_URL", DEFAULT_WEB)


class WebServer:
    """Our own ``python -m web.serve`` on a free port, pointed at a given bot URL."""

    def __init__(self, bot_url: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        cmd = [sys.executable, "-m", "web.serve", "--port", str(self.port), "--bot-url", bot_url]
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"web.serve did not start on port {self.port}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class TcpRelay:
    """Forwards a local port to the bot. stop() drops every connection, as a dead server would,
    without touching the shared bot; start() brings the route back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.2)
        self._track(listener)
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        self._stop.set()
        if self._acceptor:
            self._acceptor.join(timeout=5)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            self._track(client)
            self._track(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def bot_url(request: pytest.FixtureRequest) -> str:
    url = _stack_urls(request)[0].rstrip("/")
    if not _listening(url):
        pytest.skip(f"no bot listening at {url}")
    try:  # Rasa answers the Engine.IO handshake only when the socketio channel is enabled
        with urllib.request.urlopen(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5) as r:
            assert r.status == 200
    except (urllib.error.URLError, OSError) as exc:
        pytest.fail(f"the bot at {url} has no socketio channel (bot/credentials.yml): {exc}")
    return url


@pytest.fixture(scope="session")
def web_url(request: pytest.FixtureRequest, bot_url: str) -> Iterator[str]:
    url = _stack_urls(request)[1]
    if url and _listening(url):
        yield url.rstrip("/")
        return
    server = WebServer(bot_url)
    yield server.url
    server.stop()


def _new_page(browser: Any, **options: Any) -> Any:
    context = browser.new_context(**{"locale": "zh-CN", "viewport": DESKTOP, **options})
    page = context.new_page()
    page.set_default_timeout(REPLY_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # checked by tests: the widget must not throw
    console: list[str] = []  # CSP violations and failed loads show up here
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.console_errors = console
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = _new_page(browser)
    yield page
    page.context.close()


# ------------------------------------------------------------------ widget actions


def open_widget(page: Any, label: str = "打开在线咨询") -> None:
    page.get_by_role("button", name=label).click()
    expect(page.locator(".pc-input")).to_be_focused()


def ask(page: Any, text: str) -> Any:
    """Type a question, press Enter, and return the locator of the bot's first reply to it."""
    replies_before = page.locator(BOT_MSGS).count()
    box = page.locator(".pc-input")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")
    reply = page.locator(BOT_MSGS).nth(replies_before)
    no_reply = f"no bot reply to {text!r} over Socket.IO (does session_request join the session's room?)"
    expect(reply, no_reply).to_be_visible(timeout=REPLY_MS)
    return reply


def last_answer_with_source(page: Any) -> Any:
    answer = page.locator(BOT_MSGS).filter(has=page.locator(".pc-source-title")).last
    expect(answer).to_be_visible(timeout=REPLY_MS)
    return answer


def bubble_text(locator: Any) -> str:
    """A bubble's visible text without the screen-reader prefix ("您：", "助手：")."""
    return locator.evaluate(
        "n => Array.from(n.childNodes).filter(c => !(c.classList && c.classList.contains('pc-sr')))"
        ".map(c => c.textContent).join('')"
    )


# ------------------------------------------------------------------ tests


def test_chinese_question_shows_grounded_answer_with_its_source(page: Any, web_url: str) -> None:
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, "科创中心在哪里？")

    answer = last_answer_with_source(page)
    title = answer.locator(".pc-source-title").first
    assert title.inner_text().strip()
    expect(page.locator(".pc-typing")).to_be_hidden()
    # The passage is collapsed in a <details> and opens on click.
    passage = answer.locator(".pc-source-text").first
    expect(passage).to_be_hidden()
    answer.locator(".pc-source summary").first.click()
    expect(passage).to_be_visible()
    assert passage.inner_text().strip()
    # The quoted sentence is marked inside its passage, and each article has one card.
    quote = passage.locator(".pc-source-quote")
    expect(quote).to_have_count(1)
    assert quote.inner_text().strip() in passage.inner_text()
    titles = answer.locator(".pc-source-title").all_inner_texts()
    assert len(titles) == len(set(titles))

    shot = page.screenshot(type="png")
    assert len(shot) < 300_000
    if os.environ.get("UPDATE_WIDGET_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(shot)
    assert page.js_errors == []
    assert page.console_errors == []


def test_greeting_offers_quick_replies_that_send_their_payload(page: Any, web_url: str) -> None:
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, "你好")
    button = page.locator(".pc-reply").first
    expect(button).to_be_visible(timeout=REPLY_MS)
    assert page.locator(".pc-reply").evaluate_all("bs => bs.every(b => b.tagName === 'BUTTON')")
    title = button.inner_text().strip()
    replies_before = page.locator(BOT_MSGS).count()

    button.click()

    # The user's side shows the button's title (not its payload), and the bot answers it.
    assert bubble_text(page.locator(USER_MSGS).last) == title
    expect(page.locator(BOT_MSGS).nth(replies_before)).to_be_visible(timeout=REPLY_MS)
    assert page.js_errors == []
    assert page.console_errors == []


def test_english_question_on_the_full_page_chat(browser: Any, web_url: str) -> None:
    page = _new_page(browser, locale="en-US")
    try:
        page.goto(web_url + "/chat.html")
        # Full-page mode: no launcher, the conversation is already there, UI strings in English.
        expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
        expect(page.locator(".pc-launcher")).to_have_count(0)
        reply = ask(page, "When was the University Town tech park founded?")
        assert reply.inner_text().strip()
        assert page.js_errors == []
        assert page.console_errors == []
    finally:
        page.context.close()


def test_conversation_survives_a_reload(page: Any, web_url: str) -> None:
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, "科创中心在哪里？")
    last_answer_with_source(page)
    session_before = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('parkchat:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).sessionId)"
    )
    assert len(session_before) == 1 and session_before[0]

    page.reload()

    # The panel was open before the reload and reopens with the whole conversation.
    expect(page.locator(".pc-panel")).to_be_visible()
    expect(page.locator(USER_MSGS).first).to_contain_text("科创中心在哪里？")
    expect(page.locator(".pc-source-title").first).to_be_visible()
    # The same Rasa session carries on.
    ask(page, "占地多大？")
    session_after = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('parkchat:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).sessionId)"
    )
    assert session_after == session_before

    # "New chat" forgets the conversation and starts a new Rasa session.
    page.get_by_role("button", name="新对话").click()
    expect(page.locator(USER_MSGS)).to_have_count(0)
    ask(page, "你好")
    session_new = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('parkchat:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).sessionId)"
    )
    assert session_new[0] and session_new != session_before
    assert page.js_errors == []
    assert page.console_errors == []


def test_markup_in_messages_is_shown_as_text_never_run(page: Any, web_url: str) -> None:
    hostile = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>\"'&amp;"
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, hostile)

    assert bubble_text(page.locator(USER_MSGS).last) == hostile
    assert page.locator(".pc-log img, .pc-log script").count() == 0
    page.reload()  # history from localStorage is rendered as text as well
    expect(page.locator(USER_MSGS).last).to_be_visible()
    assert bubble_text(page.locator(USER_MSGS).last) == hostile
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.js_errors == []
    assert page.console_errors == []


def test_lost_server_shows_notice_and_the_widget_recovers(browser: Any, bot_url: str) -> None:
    relay = TcpRelay(_host_port(bot_url))
    relay.start()
    server = WebServer(relay.url)  # its CSP and config.js point at the relay
    page = _new_page(browser)
    try:
        page.goto(server.url + "/")
        open_widget(page)
        ask(page, "你好")
        notice = page.get_by_role("alert")
        expect(notice).to_be_hidden()

        relay.stop()  # the bot "goes down"
        expect(notice).to_be_visible(timeout=15_000)
        expect(notice).to_contain_text("无法连接")
        expect(page.locator(".pc-send")).to_be_disabled()
        page.get_by_role("button", name="立即重试").click()  # still down: the notice stays
        expect(notice).to_be_visible()

        relay.start()  # back up: a retry reconnects to the same session
        # socket.io's own back-off may reconnect first and hide the button; the retry must
        # then be harmless, so press it either way (a click event needs no visible target).
        page.locator(".pc-retry").dispatch_event("click")
        expect(notice).to_be_hidden(timeout=15_000)
        ask(page, "科创中心在哪里？")
        assert page.js_errors == []
    finally:
        page.context.close()
        server.stop()
        relay.stop()


def test_phone_width_and_keyboard_use(browser: Any, web_url: str) -> None:
    page = _new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(web_url + "/")
        launcher = page.get_by_role("button", name="打开在线咨询")
        launcher.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".pc-input")).to_be_focused()
        # On a phone the open panel covers the screen and the launcher hides behind it.
        expect(page.locator(".pc-launcher")).to_have_attribute("aria-expanded", "true")
        expect(page.locator(".pc-launcher")).to_be_hidden()

        box = page.locator(".pc-panel").bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator(".pc-input").get_attribute("maxlength") == "500"

        reply = ask(page, "科创中心在哪里？")
        reply_box = reply.bounding_box()
        assert reply_box is not None and reply_box["x"] + reply_box["width"] <= PHONE["width"]

        page.keyboard.press("Escape")
        expect(page.locator(".pc-panel")).to_be_hidden()
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        assert re.search(r"\S", launcher.get_attribute("aria-label") or "")
        assert page.js_errors == []
        assert page.console_errors == []
    finally:
        page.context.close()


def test_stored_history_is_untrusted_too(browser: Any) -> None:
    """History comes back from localStorage, which other scripts can write: it is rendered with
    the light markdown only (bold, line breaks, http(s) links), never as HTML. The page's own
    global `io` is left alone. Needs no bot."""
    dead_bot = f"http://127.0.0.1:{_free_port()}"
    server = WebServer(dead_bot)
    key = f"parkchat:v1:{dead_bot}/socket.io"
    history = {
        "sessionId": "not a valid id!",
        "messages": [
            {"role": "user", "text": "<b>hi</b>"},
            {
                "role": "bot",
                "text": "**粗体** <img src=x onerror=window.__xss=1>\n"
                "[bad](javascript:window.__xss=2) [good](https://example.com/a) http://e.org/x.",
                "sources": [
                    {"title": "<script>window.__xss=3</script>", "section": "S", "text": "P"},
                    "not an object",
                ],
                "buttons": [{"title": "<i>B</i>", "payload": "/greet"}, {"title": "no payload"}],
            },
            {"role": "system", "text": "<img src=x onerror=window.__xss=4>"},
            "garbage",
        ],
    }
    page = _new_page(browser)
    try:
        page.add_init_script(f"localStorage.setItem({key!r}, JSON.stringify({json.dumps(history)}))")
        page.add_init_script("window.io = function pagesOwnIo() {}")  # must survive the widget
        page.goto(server.url + "/")
        open_widget(page)
        bot = page.locator(BOT_MSGS)
        expect(bot).to_have_count(1)
        expect(bot.locator("strong")).to_have_text("粗体")
        expect(bot.locator("br")).to_have_count(1)
        links = bot.locator(".pc-bubble a")
        expect(links).to_have_count(2)
        assert links.nth(0).get_attribute("href") == "https://example.com/a"
        assert links.nth(1).get_attribute("href") == "http://e.org/x"  # without the full stop
        assert links.nth(0).get_attribute("rel") == "noopener noreferrer nofollow"
        assert "[bad](javascript:window.__xss=2)" in bubble_text(bot.locator(".pc-bubble"))
        expect(bot.locator(".pc-source-title")).to_have_text("<script>window.__xss=3</script>")
        expect(page.locator(".pc-reply")).to_have_count(1)
        expect(page.locator(".pc-reply")).to_have_text("<i>B</i>")
        assert bubble_text(page.locator(USER_MSGS)) == "<b>hi</b>"
        assert page.locator(".pc-msg img, .pc-msg script, .pc-msg b, .pc-msg i").count() == 0
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.evaluate("window.io.name") == "pagesOwnIo"
        assert page.js_errors == []
    finally:
        page.context.close()
        server.stop()


def test_thumbs_down_with_a_reason_is_stored_against_the_logged_question(
    page: Any, web_url: str, request: pytest.FixtureRequest
) -> None:
    if "BOT_URL" in os.environ:
        pytest.skip("the database of a stack started elsewhere is not known")
    stack = request.getfixturevalue("stack")
    from sqlalchemy import select

    from store.db import Database
    from store.models import Feedback, QuestionLog

    page.goto(web_url + "/")
    open_widget(page)
    question = "科创中心在哪里？"
    answer = ask(page, question)
    votes = answer.locator(".pc-feedback")
    expect(votes).to_be_visible()  # comes with the answer's custom payload (its message_id)
    votes.get_by_role("button", name="没有帮助").click()
    reason_box = votes.locator(".pc-reason-input")
    expect(reason_box).to_be_focused()  # 👎 opens the optional reason box
    reason = f"地址说得不清楚 {uuid.uuid4().hex[:8]}"
    reason_box.fill(reason)
    votes.get_by_role("button", name="提交").click()
    expect(votes.locator(".pc-vote-status")).to_have_text("感谢您的反馈！")
    expect(votes.get_by_role("button", name="没有帮助")).to_have_attribute("aria-pressed", "true")

    db = Database(f"sqlite:///{stack.database}")
    try:
        # "感谢" already shows for the first 👎: the vote with its reason may still be on its way.
        deadline = time.monotonic() + 10
        while True:
            with db.session() as session:
                votes_with_reason = session.scalars(select(Feedback).where(Feedback.reason == reason)).all()
            if votes_with_reason or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        with db.session() as session:
            [vote] = session.scalars(select(Feedback).where(Feedback.reason == reason)).all()
            logged = session.scalar(select(QuestionLog).where(QuestionLog.message_id == vote.message_id))
            assert logged is not None and logged.question == question
            assert (vote.rating, vote.channel, vote.sender_hash) == (-1, "socketio", logged.sender_hash)
            # 👎 was stored at once, then replaced by the vote with its reason: one vote per answer.
            assert len(session.scalars(select(Feedback).where(Feedback.message_id == vote.message_id)).all()) == 1
    finally:
        db.dispose()
    assert page.js_errors == [] and page.console_errors == []


class ArticleSite:
    """The park's own website, where a cited article lives: a long page with the quoted sentences
    far down, so that following a text-fragment link visibly scrolls to them."""

    def __init__(self, sentences: list[str]) -> None:
        import http.server

        filler = "<div style='height:3000px'>…</div>"
        page = ("<!doctype html><meta charset='utf-8'><title>星河科技园</title><body>" + filler
                + "".join(f"<p>园区介绍。{s}其他内容。</p>{filler}" for s in sentences) + "</body>").encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/news/talent.html"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_source_cards_show_one_card_per_article_and_link_to_the_quoted_sentence(browser: Any) -> None:
    """Two passages of one article and one of another: two cards; the first with its publisher,
    date and sections once each, the quoted sentences marked, and a link that Chromium follows to
    the sentence on the original page (the text fragment is encoded as browsers accept it).
    Needs no bot: the answer comes from the stored history."""
    from knowledge.links import fragment_link

    short = "星河科技园人才公寓共有八百套，面向园区企业的硕士以上人才开放申请。"
    long = ("星河科技园位于南湖新区创新大道一号，规划面积约十二平方公里，总投资一百二十亿元，"
            "是本市重点建设的高新技术产业园区，将打造成为研发与制造的聚集地。")
    site = ArticleSite([long, short])
    article = {"source": "talent.html", "title": "星河科技园人才新政", "publisher": "星河科技园管委会",
               "published": "2024-03-01", "url": site.url}
    sources = [
        {**article, "id": "a1", "section": "人才公寓", "text": f"园区介绍。{short}其他内容。", "sentence": short,
         "link": fragment_link(site.url, short)},
        {**article, "id": "a1", "section": "人才公寓", "text": f"园区介绍。{short}其他内容。", "sentence": short,
         "link": fragment_link(site.url, short)},  # the same passage twice: shown once
        {**article, "id": "a2", "section": "区位", "text": long, "sentence": long, "link": fragment_link(site.url, long)},
        {"source": "other.txt", "title": "另一篇文章", "section": "", "text": "另一段。", "sentence": "另一段。",
         "url": "javascript:window.__xss=1", "link": "data:text/html,<script>window.__xss=2</script>"},
    ]
    dead_bot = f"http://127.0.0.1:{_free_port()}"
    server = WebServer(dead_bot)
    key = f"parkchat:v1:{dead_bot}/socket.io"
    history = {"messages": [{"role": "user", "text": "人才公寓有多少套？"},
                            {"role": "bot", "text": "星河科技园人才公寓共有八百套。", "sources": sources}]}
    page = _new_page(browser)
    try:
        page.add_init_script(f"localStorage.setItem({key!r}, JSON.stringify({json.dumps(history)}))")
        page.goto(server.url + "/")
        open_widget(page)
        cards = page.locator(".pc-source")
        expect(cards).to_have_count(2)
        first = cards.nth(0)
        expect(first.locator(".pc-source-title")).to_have_text("星河科技园人才新政")
        expect(first.locator(".pc-source-section")).to_have_text("人才公寓 · 区位")
        expect(first.locator(".pc-source-publisher")).to_have_text("星河科技园管委会")
        expect(first.locator(".pc-source-date")).to_have_attribute("datetime", "2024-03-01")
        first.locator("summary").click()
        expect(first.locator(".pc-source-text")).to_have_count(2)
        expect(first.locator(".pc-source-quote")).to_have_text([short, long])
        expect(cards.nth(1).locator(".pc-source-link")).to_have_count(0)  # no http(s) URL: no link

        link = first.locator(".pc-source-link")
        assert link.get_attribute("href") == sources[0]["link"]
        assert link.get_attribute("rel") == "noopener noreferrer nofollow"
        with page.context.expect_page() as opened:
            link.click()
        original = opened.value
        original.wait_for_load_state()
        # Chromium scrolled to the sentence: the fragment was accepted and the text found.
        original.wait_for_function("window.scrollY > 2500", timeout=10_000)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.js_errors == []
    finally:
        page.context.close()
        server.stop()
        site.stop()


# ------------------------------------------------------------------ from answer to lead (issue #13)
# The contact form is an ordinary conversation: a decline offers contact, buttons carry the form's
# choices, the consent sentence is shown, the lead is stored and the officers' webhook (a local
# test server) receives it; answers carry related questions; the input shows its limit.


def click_reply(page: Any, title: str) -> None:
    before = page.locator(BOT_MSGS).count()
    page.locator(".pc-reply", has_text=re.compile(f"^{re.escape(title)}$")).last.click()
    expect(page.locator(BOT_MSGS).nth(before)).to_be_visible()


def test_a_decline_becomes_a_lead_through_the_widget(page: Any, web_url: str, stack: Any) -> None:
    company = f"青松生物{uuid.uuid4().hex[:6]}"
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, DECLINED)
    offer = page.locator(".pc-reply", has_text="请招商人员联系我")
    expect(offer).to_be_visible()
    expect(page.locator(".pc-reply", has_text="政策")).to_be_visible()  # the topics stay beside it
    click_reply(page, "请招商人员联系我")
    expect(page.locator(BOT_MSGS).last).to_contain_text("公司")
    ask(page, company)
    ask(page, "生物制药")
    expect(page.locator(".pc-reply", has_text="土地厂房")).to_be_visible()
    click_reply(page, "政策")
    ask(page, "li.ming@qingsong.example")
    click_reply(page, "工作日上午")
    consent = page.locator(BOT_MSGS).last
    expect(consent).to_contain_text("我同意")  # the sentence itself, in the conversation
    assert leads_of(stack, company) == []
    click_reply(page, "同意")
    expect(page.locator(BOT_MSGS).last).to_contain_text("已登记")
    [lead] = leads_of(stack, company)
    assert (lead.needs, lead.contact, lead.channel) == ("policy", "li.ming@qingsong.example", "socketio")
    assert DECLINED in lead.questions
    wait_for_webhook(stack, lead.id)
    assert page.js_errors == [] and page.console_errors == []


def test_the_input_shows_its_limit_before_it_is_hit(page: Any, web_url: str) -> None:
    page.goto(web_url + "/")
    open_widget(page)
    box, counter = page.locator(".pc-input"), page.locator(".pc-count")
    box.fill("园" * 100)
    expect(counter).to_be_hidden()
    box.fill("园" * 450)
    expect(counter).to_be_visible()
    expect(counter).to_have_text("450/500 字")
    box.press_sequentially("区" * 60)  # typing stops at the cap, and says so
    assert len(box.input_value()) == 500
    expect(counter).to_contain_text("500 字上限")


def test_related_questions_appear_as_buttons_under_an_answer(page: Any, web_url: str) -> None:
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, "科创中心在哪里？")
    answer = page.locator(BOT_MSGS).filter(has=page.locator(".pc-source-title")).last
    expect(answer).to_be_visible()
    related = answer.locator(".pc-reply")
    expect(related.first).to_be_visible()
    assert 1 <= related.count() <= 3
    assert all(text.endswith("？") for text in related.all_inner_texts())  # questions, asked on a click
