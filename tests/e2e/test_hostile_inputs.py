"""Hostile input thrown at the running bot through every channel: REST, Socket.IO, WeChat, CLI.

Each input must get a clear 4xx or a polite reply; the servers stay up with bounded memory,
and the normal question (hostile_inputs.NORMAL_QUESTION) is answered from the articles
every ten inputs and after each channel's batch. The counts (inputs, replies, 4xx, crashes
per channel) are printed at the end of the module. Also here: the browser-facing security
settings of the shared stack (CORS, Rasa's HTTP API off, per-sender rate limit on Socket.IO).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import socketio
from hostile_inputs import (
    CLI_ARGS,
    CLI_BAD_STDIN,
    NORMAL_FACT,
    NORMAL_QUESTION,
    REST_BODIES,
    SESSION,
    SOCKET_EVENTS,
    TEXTS,
)
from reporting import report

from channels.wechat.config import DEV_TOKEN
from channels.wechat.signature import compute_signature
from channels.wechat.simulator import Simulator
from channels.wechat.xmlmsg import build_xml, parse_message

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_CLI = ROOT / ".venv" / "bin" / "knowledge"
CHECK_EVERY = 10  # the normal question is asked after this many hostile inputs
MAX_RSS_GROWTH_MB = 300  # Rasa, during one channel's batch (a 30 kB message once cost 23 GB)
REPLY_TIMEOUT = 60.0

# Same defaults as test_wechat_e2e.py (whichever module is imported first sets them, before
# the session's stack starts); the tests read the values back from the environment.
if not os.environ.get("BOT_URL"):
    os.environ.setdefault("WECHAT_TOKEN", "e2eTestToken")  # an AppID needs a token of its own
    os.environ.setdefault("WECHAT_APPID", "wx-e2e-test")
    os.environ.setdefault("WECHAT_AES_KEY", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')


# ----------------------------------------------------------------------------- bookkeeping


@dataclass
class Tally:
    """Outcome counts per channel; `crashes` lists what went wrong, by input name."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    crashes: dict[str, list[str]] = field(default_factory=dict)
    rss: dict[str, tuple[float, float]] = field(default_factory=dict)  # Rasa MB before, after

    def record(self, channel: str, name: str, outcome: str, detail: str = "") -> None:
        self.counts.setdefault(channel, Counter())[outcome] += 1
        if outcome == "crash":
            self.crashes.setdefault(channel, []).append(f"{name}: {detail[:300]}")

    def channel_crashes(self, channel: str) -> list[str]:
        return self.crashes.get(channel, [])

    def lines(self) -> list[str]:
        out = []
        total = crashes = 0
        for channel, counter in self.counts.items():
            n = sum(counter.values())
            total += n
            crashes += counter["crash"]
            parts = ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))
            if channel in self.rss:
                parts += ", Rasa RSS {:.0f} -> {:.0f} MB".format(*self.rss[channel])
            out.append(f"  {channel:9} {n:4} inputs: {parts}")
        out.append(f"  {'total':9} {total:4} inputs, {crashes} crashes")
        return out


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    result = Tally()
    yield result
    report(request, ["", "hostile inputs (tests/e2e/test_hostile_inputs.py):", *result.lines()])
    summary = os.environ.get("E2E_HOSTILE_SUMMARY")
    if summary:
        Path(summary).write_text(json.dumps({"counts": result.counts, "crashes": result.crashes}, indent=2))



def has_traceback(text: str) -> bool:
    return any(marker in text for marker in TRACEBACK_MARKERS)


class Watch:
    """The stack's Rasa and action server: alive, and Rasa's memory (with its children)."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.rasa = psutil.Process(stack.service_pid("rasa", "run"))
        self.actions = psutil.Process(stack.service_pid("scripts.action_server"))
        self.start_mb = self.rss_mb()

    def rss_mb(self) -> float:
        total = 0
        for proc in [self.rasa, *self.rasa.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a child that just exited
                total += proc.memory_info().rss
        return total / 2**20

    def assert_alive(self) -> None:
        assert self.rasa.is_running() and self.rasa.status() != psutil.STATUS_ZOMBIE, "Rasa died"
        assert self.actions.is_running(), "the action server died"
        assert self.stack.process.poll() is None, "the stack runner exited"

    def assert_memory_bounded(self, tally: Tally, channel: str) -> None:
        now = self.rss_mb()
        tally.rss[channel] = (self.start_mb, now)
        growth = now - self.start_mb
        assert growth < MAX_RSS_GROWTH_MB, f"Rasa grew by {growth:.0f} MB"


def rest_reply(stack: Any, text: str, sender: str | None = None) -> str:
    response = httpx.post(
        stack.rest_url,
        json={"sender": sender or uuid.uuid4().hex, "message": text},
        timeout=REPLY_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return "\n".join(m.get("text", "") for m in response.json())


def assert_normal_question_answered(stack: Any) -> None:
    reply = rest_reply(stack, NORMAL_QUESTION)
    assert NORMAL_FACT in reply, f"the normal question was not answered after hostile input: {reply}"


def checkpoint(stack: Any, watch: Watch, done: int) -> None:
    watch.assert_alive()
    if done % CHECK_EVERY == 0:
        assert_normal_question_answered(stack)


# ----------------------------------------------------------------------------- REST


def classify_http(response: httpx.Response) -> tuple[str, str]:
    body = response.text
    if response.status_code >= 500 or has_traceback(body):
        return "crash", f"HTTP {response.status_code}: {body[:200]}"
    if 400 <= response.status_code < 500:
        return "4xx", ""
    try:
        messages = response.json()
    except ValueError:
        return "crash", f"HTTP 200 with a body that is not JSON: {body[:200]}"
    if not isinstance(messages, list) or not any(
        isinstance(m, dict) and str(m.get("text", "")).strip() for m in messages
    ):
        return "crash", f"no reply at all: {body[:200]}"
    return "reply", ""


def post_rest(stack: Any, content: bytes, content_type: str) -> tuple[str, str]:
    try:
        response = httpx.post(
            stack.rest_url, content=content, headers={"Content-Type": content_type}, timeout=REPLY_TIMEOUT
        )
    except httpx.HTTPError as exc:
        return "crash", repr(exc)
    return classify_http(response)


def test_rest_survives_hostile_input(stack: Any, tally: Tally) -> None:
    watch = Watch(stack)
    inputs: list[tuple[str, bytes, str]] = [
        # json.dumps escapes lone surrogates, as a JavaScript client would send them
        (f"text:{name}", json.dumps({"sender": f"hostile-{uuid.uuid4().hex}", "message": text}).encode(), "application/json")
        for name, text in TEXTS
    ] + [(f"body:{name}", body, ctype) for name, body, ctype in REST_BODIES]  # fmt: skip
    for done, (name, body, ctype) in enumerate(inputs, 1):
        outcome, detail = post_rest(stack, body, ctype)
        tally.record("REST", name, outcome, detail)
        checkpoint(stack, watch, done)
    assert_normal_question_answered(stack)
    watch.assert_memory_bounded(tally, "REST")
    assert tally.channel_crashes("REST") == []


@pytest.mark.parametrize(
    ("name", "status"),
    [("sender-missing", 400), ("sender-newline-log-forgery", 400), ("sender-huge", 400),
     ("sender-lone-surrogate", 400), ("metadata-huge", 400), ("deep-nesting", 400),
     ("invalid-utf8", 400), ("two-megabytes", 413)],
)  # fmt: skip
def test_rest_refuses_malformed_bodies_with_a_clear_4xx(stack: Any, name: str, status: int) -> None:
    body, ctype = next((b, c) for n, b, c in REST_BODIES if n == name)
    response = httpx.post(stack.rest_url, content=body, headers={"Content-Type": ctype}, timeout=30)
    assert response.status_code == status, response.text[:300]
    assert not has_traceback(response.text)


def test_rasa_commands_are_plain_text_on_public_channels(stack: Any) -> None:
    """'/restart' must not reset the conversation: the follow-up still has its subject."""
    sender = uuid.uuid4().hex
    assert "大学城南路" in rest_reply(stack, "科创中心在哪里？", sender)
    assert rest_reply(stack, "/restart", sender).strip()
    assert NORMAL_FACT in rest_reply(stack, "占地多大？", sender)


# ----------------------------------------------------------------------------- Socket.IO


def socket_client(stack: Any) -> tuple[socketio.SimpleClient, str]:
    client = socketio.SimpleClient()
    client.connect(stack.rasa, transports=["websocket"], wait_timeout=30)
    client.emit("session_request", {"session_id": None})
    event, session_id = client.receive(timeout=30)
    assert event == "session_confirm"
    return client, session_id


def first_event(client: socketio.SimpleClient, timeout: float) -> tuple[str, Any] | None:
    try:
        return tuple(client.receive(timeout=timeout))  # type: ignore[return-value]
    except (TimeoutError, queue.Empty, socketio.exceptions.TimeoutError):
        return None


def socket_exchange(stack: Any, event: str, data: Any, expected: str) -> tuple[str, str]:
    """One hostile event on a fresh connection (so late replies cannot be mixed up)."""
    try:
        client, session_id = socket_client(stack)
    except Exception as exc:  # the server refused or dropped a proper client: a crash
        return "crash", f"cannot connect: {exc!r}"
    try:
        if isinstance(data, dict):
            data = {k: (session_id if v is SESSION else v) for k, v in data.items()}
        client.emit(event, data)
        got = first_event(client, REPLY_TIMEOUT if expected == "reply" else 2.0)
        if expected == "reply":
            if got is None or got[0] != "bot_uttered" or not str(got[1].get("text", "")).strip():
                return "crash", f"no polite reply: {got!r}"
            return "reply", ""
        if expected == "confirm":
            ok = got is not None and got[0] == "session_confirm" and 0 < len(got[1]) <= 200
            return ("reply", "") if ok else ("crash", f"no usable session_confirm: {str(got)[:200]}")
        # "ignored": nothing to answer to; the connection must still work
        client.emit("user_uttered", {"message": "你好", "session_id": session_id})
        after = first_event(client, REPLY_TIMEOUT)
        if after is None or after[0] != "bot_uttered":
            return "crash", f"connection unusable after the event: {after!r}"
        return "ignored", ""
    except Exception as exc:
        return "crash", repr(exc)
    finally:
        client.disconnect()


def test_socketio_survives_hostile_input(stack: Any, tally: Tally) -> None:
    watch = Watch(stack)
    inputs = [(f"text:{n}", "user_uttered", {"message": t, "session_id": SESSION}, "reply") for n, t in TEXTS]
    inputs += [(f"event:{n}", e, d, x) for n, e, d, x in SOCKET_EVENTS]
    for done, (name, event, data, expected) in enumerate(inputs, 1):
        outcome, detail = socket_exchange(stack, event, data, expected)
        tally.record("Socket.IO", name, outcome, detail)
        checkpoint(stack, watch, done)
    client, session_id = socket_client(stack)
    try:
        client.emit("user_uttered", {"message": NORMAL_QUESTION, "session_id": session_id})
        got = first_event(client, REPLY_TIMEOUT)
        assert got is not None and NORMAL_FACT in got[1].get("text", "")
    finally:
        client.disconnect()
    watch.assert_memory_bounded(tally, "Socket.IO")
    assert tally.channel_crashes("Socket.IO") == []


def test_socketio_sender_is_rate_limited(stack: Any) -> None:
    """Default BOT_RATE_LIMIT 20/60: a burst from one session is told to slow down."""
    client, session_id = socket_client(stack)
    try:
        slowed = None
        for i in range(30):
            client.emit("user_uttered", {"message": "你好", "session_id": session_id})
            while (got := first_event(client, REPLY_TIMEOUT)) is not None:
                if "太快" in got[1].get("text", ""):
                    slowed = i
                    break
                if got[1].get("text"):  # the greeting (its buttons come in the same event)
                    break
            if slowed is not None:
                break
        assert slowed is not None and slowed >= 20, f"slowed down at message {slowed}"
    finally:
        client.disconnect()


# ----------------------------------------------------------------------------- WeChat


@pytest.fixture(scope="module")
def wechat(stack: Any) -> Simulator:
    return Simulator(
        f"{stack.rasa}/webhooks/wechat/webhook",
        token=os.environ.get("WECHAT_TOKEN") or DEV_TOKEN,
        appid=os.environ.get("WECHAT_APPID", ""),
        aes_key=os.environ.get("WECHAT_AES_KEY", ""),
        timeout=10.0,
    )


def openid() -> str:
    return "o-hostile-" + uuid.uuid4().hex[:12]


def msg_id() -> str:
    return str(secrets.randbelow(10**17) + 10**17)


def text_xml(sim: Simulator, content: str, user: str | None = None, **fields: Any) -> bytes:
    """A signed-able text message; invalid Unicode is sent as the bytes a client would send."""
    values: dict[str, str | int] = {
        "ToUserName": sim.account,
        "FromUserName": user or openid(),
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": int(msg_id()),
        **fields,
    }
    return build_xml(values).encode("utf-8", errors="surrogatepass")


def classify_wechat(response: httpx.Response, allow_success: bool = False) -> tuple[str, str]:
    body = response.text
    if response.status_code >= 500 or has_traceback(body):
        return "crash", f"HTTP {response.status_code}: {body[:200]}"
    if 400 <= response.status_code < 500:
        return "4xx", ""
    if body.strip() in ("", "success"):
        return ("ignored", "") if allow_success else ("crash", "no reply (success)")
    try:
        reply = parse_message(body)
    except Exception as exc:
        return "crash", f"reply is not WeChat XML ({exc}): {body[:200]}"
    if not reply.content.strip() or len(reply.content.encode("utf-8")) > 2048:
        return "crash", f"empty or oversized reply ({len(reply.content.encode())} bytes)"
    return "reply", ""


def wechat_post(sim: Simulator, body: bytes, query: dict[str, str] | None = None) -> httpx.Response:
    return sim.post_raw(body, query, timeout=30)


def wechat_requests(sim: Simulator) -> list[tuple[str, Callable[[], httpx.Response], bool]]:
    """(name, send it, a bare `success` is fine). Signed with the bot's token unless noted."""
    now = int(time.time())

    def signed(ts: str, nonce: str = "n1") -> dict[str, str]:
        return {"signature": compute_signature(sim.token, ts, nonce), "timestamp": ts, "nonce": nonce}

    message = text_xml(sim, NORMAL_QUESTION)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]><xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
        + b"<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>text</MsgType><Content>&e;</Content><MsgId>2</MsgId></xml>"
    )
    ssrf = (
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd">'
        b"<xml><ToUserName>a</ToUserName></xml>"
    )
    deep = b"<xml>" + b"<a>" * 20_000 + b"</a>" * 20_000 + b"</xml>"
    replay = text_xml(sim, NORMAL_QUESTION)
    wrong_token_sig = signed(str(now))
    wrong_token_sig["signature"] = compute_signature("not-the-token", str(now), "n1")
    aes = {**signed(str(now)), "encrypt_type": "aes", "msg_signature": "0" * 40}
    garbage_envelope = build_xml({"ToUserName": sim.account, "Encrypt": "bm90IGVuY3J5cHRlZA=="}).encode()
    sig_aes = {
        **signed(str(now)),
        "encrypt_type": "aes",
        "msg_signature": compute_signature(sim.token, str(now), "n1", "bm90IGVuY3J5cHRlZA=="),
    }

    def get(params: dict[str, str]) -> httpx.Response:
        return sim.client.get(sim.url, params=params, timeout=30)

    return [
        ("no-query", lambda: wechat_post(sim, message, {}), False),
        ("signature-missing", lambda: wechat_post(sim, message, {"timestamp": str(now), "nonce": "n1"}), False),
        ("signature-zeros", lambda: wechat_post(sim, message, {**signed(str(now)), "signature": "0" * 40}), False),
        ("signature-other-token", lambda: wechat_post(sim, message, wrong_token_sig), False),
        ("signature-non-ascii", lambda: wechat_post(sim, message, {**signed(str(now)), "signature": "签名" * 20}), False),
        ("replay-one-day-old", lambda: wechat_post(sim, message, signed(str(now - 86_400))), False),
        ("replay-ten-years-old", lambda: wechat_post(sim, message, signed(str(now - 315_360_000))), False),
        ("timestamp-future", lambda: wechat_post(sim, message, signed(str(now + 86_400))), False),
        ("timestamp-not-a-number", lambda: wechat_post(sim, message, signed("abc")), False),
        ("timestamp-huge", lambda: wechat_post(sim, message, signed("9" * 40)), False),
        ("timestamp-negative", lambda: wechat_post(sim, message, signed("-5")), False),
        ("nonce-huge", lambda: wechat_post(sim, text_xml(sim, "你好"), signed(str(now), "n" * 5000)), False),
        ("empty-body", lambda: wechat_post(sim, b""), False),
        ("not-xml", lambda: wechat_post(sim, b"hello, not xml"), False),
        ("json-body", lambda: wechat_post(sim, b'{"Content": "hi"}'), False),
        ("billion-laughs", lambda: wechat_post(sim, bomb), False),
        ("external-entity", lambda: wechat_post(sim, xxe), False),
        ("external-dtd", lambda: wechat_post(sim, ssrf), False),
        ("deep-nesting", lambda: wechat_post(sim, deep), False),
        ("wrong-root", lambda: wechat_post(sim, b"<html><body>x</body></html>"), False),
        ("missing-fields", lambda: wechat_post(sim, b"<xml><Content>hi</Content></xml>"), False),
        ("unknown-msgtype", lambda: wechat_post(sim, text_xml(sim, "x", MsgType="hack")), False),
        ("image-message", lambda: wechat_post(sim, sim.message_xml(user=openid(), msg_type="image").encode()), False),
        ("unknown-event", lambda: wechat_post(sim, sim.message_xml(user=openid(), msg_type="event", event="HACK").encode()), True),
        ("body-over-64kb", lambda: wechat_post(sim, text_xml(sim, "问" * 30_000)), False),
        ("invalid-utf8-xml", lambda: wechat_post(sim, b"<xml><ToUserName>a</ToUserName><Content>\xff\xfe</Content></xml>"), False),
        ("char-ref-nul", lambda: wechat_post(sim, text_xml(sim, "x").replace(b"<Content>", b"<Content>&#0;")), False),
        ("openid-huge", lambda: wechat_post(sim, text_xml(sim, "你好", user="o" * 10_000)), False),
        ("openid-newline", lambda: wechat_post(sim, text_xml(sim, "你好", user="o-a\nforged")), False),
        ("aes-garbage", lambda: wechat_post(sim, garbage_envelope, aes), False),
        ("aes-bad-ciphertext-signed", lambda: wechat_post(sim, garbage_envelope, sig_aes), False),
        ("replay-same-msgid", lambda: (wechat_post(sim, replay), wechat_post(sim, replay))[1], False),
        ("verify-bad-signature", lambda: get({"signature": "0" * 40, "timestamp": str(now), "nonce": "n", "echostr": "e"}), False),
        ("verify-no-echostr", lambda: get(signed(str(now))), False),
        ("verify-script-echostr", lambda: get({**signed(str(now)), "echostr": "<script>alert(1)</script>"}), False),
        ("method-put", lambda: sim.client.put(sim.url, params=signed(str(now)), content=message, timeout=30), False),
    ]  # fmt: skip


def test_wechat_survives_hostile_input(stack: Any, wechat: Simulator, tally: Tally) -> None:
    watch = Watch(stack)
    done = 0
    for name, text in TEXTS:
        try:
            outcome, detail = classify_wechat(wechat_post(wechat, text_xml(wechat, text)))
        except httpx.HTTPError as exc:
            outcome, detail = "crash", repr(exc)
        tally.record("WeChat", f"text:{name}", outcome, detail)
        done += 1
        checkpoint(stack, watch, done)
    for name, send, allow_success in wechat_requests(wechat):
        try:
            response = send()
        except httpx.HTTPError as exc:
            tally.record("WeChat", name, "crash", repr(exc))
        else:
            outcome, detail = classify_wechat(response, allow_success)
            if name.startswith("verify-") and response.status_code == 200:
                # the echo goes back verbatim, as plain text that no browser renders as HTML
                ok = response.headers.get("content-type", "").startswith("text/plain")
                outcome, detail = ("reply", "") if ok else ("crash", "echostr not sent as text/plain")
            tally.record("WeChat", name, outcome, detail)
        done += 1
        checkpoint(stack, watch, done)
    result = wechat.send(wechat.message_xml(NORMAL_QUESTION, user=openid(), msg_id=msg_id()))
    assert result.text and NORMAL_FACT in result.text, result.body
    watch.assert_memory_bounded(tally, "WeChat")
    assert tally.channel_crashes("WeChat") == []


@pytest.mark.parametrize(
    ("name", "status"),
    [("signature-zeros", 403), ("replay-one-day-old", 403), ("replay-ten-years-old", 403),
     ("billion-laughs", 400), ("external-entity", 400), ("external-dtd", 400),
     ("body-over-64kb", 413), ("signature-missing", 403)],
)  # fmt: skip
def test_wechat_refuses_forged_replayed_and_dangerous_requests(
    wechat: Simulator, name: str, status: int
) -> None:
    send = next(s for n, s, _ in wechat_requests(wechat) if n == name)
    response = send()
    assert response.status_code == status, response.text[:200]
    assert "root:" not in response.text  # no file content leaks through an entity


def test_wechat_sender_is_rate_limited(wechat: Simulator) -> None:
    """BOT_RATE_LIMIT per OpenID: the WeChat channel wraps the bot with the same guard as REST."""
    user, slowed = openid(), None
    for i in range(30):
        result = wechat.send(wechat.message_xml("你好", user=user, msg_id=msg_id()))
        if result.text and "太快" in result.text:
            slowed = i
            break
    assert slowed is not None and slowed >= 20, f"slowed down at message {slowed}"


# ----------------------------------------------------------------------------- command line


def run_cli(
    args: list[str | bytes], stdin: bytes = b"", timeout: float = 180
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [str(KNOWLEDGE_CLI), *args], input=stdin, capture_output=True, cwd=ROOT, env=env, timeout=timeout
    )


def test_cli_survives_hostile_input(stack: Any, tally: Tally) -> None:
    """`knowledge ask` reading questions from stdin (one process), then bad arguments."""
    lines = [text.replace("\r", " ").replace("\n", " ") for _, text in TEXTS]
    stdin = b"".join(line.encode("utf-8", errors="surrogatepass") + b"\n" for line in lines)
    stdin += b"".join(raw for _, raw in CLI_BAD_STDIN) + NORMAL_QUESTION.encode() + b"\n"
    done = run_cli(["ask", "--json"], stdin)
    stderr = done.stderr.decode("utf-8", "replace")
    answers = []
    # one JSON object a line; not splitlines(): answers may hold U+2028 or U+0085 unescaped
    for raw in done.stdout.decode("utf-8", "replace").split("\n")[:-1]:
        try:
            answers.append(json.loads(raw))
        except ValueError:
            answers.append(None)
    crashed = done.returncode != 0 or has_traceback(stderr) or None in answers
    for name, _ in [*TEXTS, *CLI_BAD_STDIN]:
        tally.record("CLI", f"stdin:{name}", "crash" if crashed else "reply", stderr[-300:])
    assert not crashed, f"exit {done.returncode}: {stderr[-2000:]}"
    assert answers and answers[-1]["grounded"] and NORMAL_FACT in answers[-1]["answer"]

    cases: list[tuple[str, list[str | bytes], set[int]]] = [*CLI_ARGS]
    cases.append(("invalid-utf8-arg", ["ask", "--json", b"\xff\xfe\xe7\xa7"], {0, 2}))
    for name, args, codes in cases:
        run = run_cli(args)
        err = run.stderr.decode("utf-8", "replace")
        ok = run.returncode in codes and not has_traceback(err)
        tally.record(
            "CLI", f"args:{name}", "reply" if ok else "crash", f"exit {run.returncode}: {err[-300:]}"
        )
    assert tally.channel_crashes("CLI") == []


# ----------------------------------------------------------------------------- browser-facing security


def test_cors_allows_the_widget_origin_only(stack: Any) -> None:
    evil, widget = "http://evil.example", stack.web or "http://127.0.0.1:1"
    for origin, allowed in ((evil, False), (widget, True)):
        preflight = httpx.options(
            stack.rest_url, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=10
        )
        post = httpx.post(
            stack.rest_url, json={"sender": "cors", "message": "你好"}, headers={"Origin": origin}, timeout=60
        )
        for response in (preflight, post):
            assert (response.headers.get("access-control-allow-origin") == origin) is allowed
            assert response.headers.get("access-control-allow-origin") in (None, origin)


def test_socketio_refuses_other_sites(stack: Any) -> None:
    client = socketio.SimpleClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        # polling: one Origin header, as a browser sends it
        client.connect(
            stack.rasa, transports=["polling"], headers={"Origin": "http://evil.example"}, wait_timeout=10
        )
    assert not client.connected


def test_rasa_http_api_is_not_exposed_without_a_token(stack: Any) -> None:
    for path in ("/conversations/someone/tracker", "/status", "/model/parse", "/conversations/x/messages"):
        response = httpx.get(stack.rasa + path, timeout=10)
        assert response.status_code in (401, 403, 404, 405), path
    response = httpx.post(stack.rasa + "/model/parse", json={"text": "hi"}, timeout=10)
    assert response.status_code in (401, 403, 404, 405)
