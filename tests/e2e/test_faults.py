"""Faults with real processes: a dead or hung action server, unusable indexes, a bad rebuild,
a rebuild under load, restarts mid-conversation; and the deployment's secrets and limits.

Runs its own private stack (the pieces of scripts/stack.py, so that each server can be
stopped on its own) on a COPY of the articles with its own index, tracker and secrets;
knowledge/articles/ and var/index/ of the repository are never touched. Ports:
E2E_FAULTS_PORT_BASE (35100): Rasa +5, actions +55, refused action servers +56,
Redis +79, an unreachable WeChat API +99.

The figures (requests and errors of the rebuild under load, restart timings) are printed
at the end of the module.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from reporting import report

from channels.wechat.simulator import Simulator
from scripts.stack import Service, StackConfig, action_server, rasa_server, train

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BASE = int(os.environ.get("E2E_FAULTS_PORT_BASE") or 35100)
RASA_PORT, ACTIONS_PORT, SPARE_ACTIONS_PORT = BASE + 5, BASE + 55, BASE + 56
REDIS_PORT, DEAD_API_PORT = BASE + 79, BASE + 99
REPLY_TIMEOUT = 5  # BOT_REPLY_TIMEOUT of the private stack: a hung action server costs this
CLIENTS = 8

QUESTION, FOLLOW_UP, FACT = "科创中心在哪里？", "占地多大？", "78亩"
NEW_QUESTION, NEW_FACT = "星河量子实验室的面积是多少？", "4321"
NEW_ARTICLE = """星河量子实验室

星河量子实验室是大学城科技产业园新设立的研究平台，位于科创中心十二楼。星河量子实验室的面积为4321平方米，于2031年3月启用，主要开展量子计算和量子通信研究。
"""
APOLOGY_ZH, APOLOGY_EN = "抱歉，我暂时无法回答", "Sorry, I can't answer right now"
UNAVAILABLE = ("抱歉，我暂时无法回答", "知识库暂时无法使用", "Sorry, I can't", "unavailable")


def _secret(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


# Secrets of the private stack: random per run, so finding one in a log is never a coincidence.
SECRETS = {
    "BOT_API_TOKEN": _secret("api"),
    "WECHAT_TOKEN": _secret("wxtoken"),
    "WECHAT_APPSECRET": _secret("wxsecret"),
    "WECHAT_AES_KEY": base64.b64encode(secrets.token_bytes(32)).decode()[:43],
    "REDIS_PASSWORD": _secret("redispw"),
}


# ----------------------------------------------------------------------------- the private stack


class Logs:
    """Every line the private servers print, kept in memory and in a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)
            with self.path.open("a", encoding="utf-8", errors="replace") as fh:
                fh.write(line + "\n")

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for(self, needle: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return True
            time.sleep(0.2)
        return False


@dataclass
class Figures:
    rows: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.rows.append(line)


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    result = Figures()
    yield result
    report(request, ["", "faults (tests/e2e/test_faults.py):", *(f"  {r}" for r in result.rows)])



@dataclass
class Knowledge:
    """A copy of the articles and its own index, embedding cache and environment."""

    work: Path
    articles: Path
    index: Path
    env: dict[str, str]

    def build(self, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / ".venv" / "bin" / "knowledge"), "build", "--quiet"],
            cwd=ROOT, env={**os.environ, **self.env, **extra}, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    def current(self) -> Path:
        return (self.index / "current").resolve()

    def publish(self, build: Path) -> None:
        """Point `current` at `build` the way `knowledge build` publishes (atomic rename)."""
        tmp = self.index / f".current.test.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(os.path.relpath(build, self.index), tmp)
        os.replace(tmp, self.index / "current")


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    work = tmp_path_factory.mktemp("faults")
    articles = work / "articles"
    shutil.copytree(ROOT / "knowledge" / "articles", articles)
    cache = work / "cache"
    cache.mkdir()
    for name in ("embeddings.sqlite", "jieba.cache"):  # a warm start; the repo's cache is not written
        if (ROOT / "var" / "cache" / name).is_file():
            shutil.copy2(ROOT / "var" / "cache" / name, cache / name)
    env = {
        "KB_ARTICLES_DIR": str(articles),
        "KB_INDEX_DIR": str(work / "index"),
        "KB_CACHE_DIR": str(cache),
        "HF_HUB_OFFLINE": "1",
    }
    knowledge = Knowledge(work, articles, work / "index", env)
    done = knowledge.build()
    assert done.returncode == 0, done.stderr
    return knowledge


def start_redis(work: Path) -> subprocess.Popen[bytes] | None:
    """A password-protected Redis for the WeChat cache, when redis-server is installed."""
    server = shutil.which("redis-server")
    if server is None:
        return None
    config = (
        f'port {REDIS_PORT}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir {work}\n'
        f"requirepass {SECRETS['REDIS_PASSWORD']}\n"  # from stdin: not on its command line
    )
    process = subprocess.Popen(
        [server, "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None
    process.stdin.write(config.encode())
    process.stdin.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=1):
            return process
        time.sleep(0.1)
    process.kill()
    return None


def redis_keys() -> int:
    """Keys in the private Redis (the WeChat connector's reply cache), over plain RESP."""
    with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=5) as conn:
        password = SECRETS["REDIS_PASSWORD"].encode()
        conn.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n*1\r\n$6\r\nDBSIZE\r\n" % (len(password), password))
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = conn.recv(1024)
            if not chunk:
                break
            reply += chunk
    auth, size = reply.split(b"\r\n")[:2]
    assert auth == b"+OK", auth
    return int(size.lstrip(b":"))


@dataclass
class Private:
    cfg: StackConfig
    env: dict[str, str]
    logs: Logs
    kb: Knowledge
    redis: bool
    actions: Service = field(init=False)
    rasa: Service = field(init=False)

    def __post_init__(self) -> None:
        self.actions = action_server(self.cfg)
        self.rasa = rasa_server(self.cfg)
        self.actions.sink = self.rasa.sink = self.logs

    @property
    def rest_url(self) -> str:
        return f"{self.cfg.rasa_url}/webhooks/rest/webhook"

    def start(self, service: Service) -> float:
        service.start(self.env)
        return service.wait_healthy(self.cfg.start_timeout)

    def ask(self, text: str, sender: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        response = httpx.post(
            self.rest_url, json={"sender": sender or uuid.uuid4().hex, "message": text}, timeout=60, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.cfg.rasa_url}/conversations/{sender}/tracker",
            params={"token": SECRETS["BOT_API_TOKEN"]},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def pids(self) -> list[int]:
        out = []
        for service in (self.actions, self.rasa):
            if service.process is not None and service.alive():
                parent = psutil.Process(service.process.pid)
                out += [parent.pid, *(c.pid for c in parent.children(recursive=True))]
        return out


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


@pytest.fixture(scope="module")
def private(kb: Knowledge) -> Iterator[Private]:
    work = kb.work
    redis = start_redis(work)
    cfg = StackConfig.from_env(
        {
            "BOT_RASA_PORT": str(RASA_PORT),
            "BOT_ACTIONS_PORT": str(ACTIONS_PORT),
            "BOT_WEB_PORT": str(BASE + 80),
            "BOT_TRACKER_DB": str(work / "tracker.db"),
            "BOT_API_TOKEN": SECRETS["BOT_API_TOKEN"],
            "BOT_START_TIMEOUT": "300",
        }
    )
    env = {
        **kb.env,
        "BOT_API_TOKEN": SECRETS["BOT_API_TOKEN"],
        "BOT_REPLY_TIMEOUT": str(REPLY_TIMEOUT),
        "BOT_DATABASE_FILE": str(work / "bot.db"),
        "BOT_RATE_LIMIT": "20/60",
        "BOT_RATE_LIMIT_IP": "10/60",
        "BOT_RATE_LIMIT_EXEMPT": "127.0.0.1",  # this test's own clients; 127.0.0.2 is limited
        "WECHAT_TOKEN": SECRETS["WECHAT_TOKEN"],
        "WECHAT_APPID": "wx-faults-test",
        "WECHAT_APPSECRET": SECRETS["WECHAT_APPSECRET"],
        "WECHAT_AES_KEY": SECRETS["WECHAT_AES_KEY"],
        "WECHAT_API_BASE": f"http://127.0.0.1:{DEAD_API_PORT}",  # nothing there: no real API call
        "WECHAT_REDIS_URL": f"redis://:{SECRETS['REDIS_PASSWORD']}@127.0.0.1:{REDIS_PORT}/0" if redis else "",
    }
    train(cfg)  # a no-op when var/models/bot.tar.gz matches the bot's data
    stack = Private(cfg, env, Logs(work / "stack.log"), kb, redis is not None)
    try:
        stack.start(stack.actions)
        stack.start(stack.rasa)
        # The first replies warm Rasa's models up and may outlast the short reply timeout on a busy
        # machine (an apology, which is what that timeout is for): the stack is up once one answers.
        deadline = time.monotonic() + 120
        while FACT not in (reply := texts(stack.ask("科创中心占地多少亩？"))) and time.monotonic() < deadline:
            time.sleep(2)
        assert FACT in reply
        yield stack
    finally:
        for service in (stack.rasa, stack.actions):
            if service.process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGCONT)  # a test may have paused it
            service.stop()
        if redis is not None:
            redis.terminate()
            redis.wait(10)


# ----------------------------------------------------------------------------- unusable indexes


def _copy_index(kb: Knowledge, dest: Path) -> Path:
    """A new index folder with a copy of the good build published in it; returns the build."""
    build = dest / "builds" / kb.current().name
    shutil.copytree(kb.current(), build)
    os.symlink(os.path.relpath(build, dest), dest / "current")
    return build


def _corrupt(kind: str, kb: Knowledge, dest: Path) -> None:
    if kind == "missing":
        dest.mkdir()
        return
    build = _copy_index(kb, dest)
    if kind == "corrupt-faiss":
        (build / "dense.faiss").write_bytes(b"\x00garbage" * 100)
    elif kind == "corrupt-manifest":
        (build / "manifest.json").write_text("{not json")
    elif kind == "truncated-passages":
        raw = (build / "passages.jsonl").read_bytes()
        (build / "passages.jsonl").write_bytes(raw[: len(raw) // 2])
    elif kind == "other-model":
        manifest = json.loads((build / "manifest.json").read_text())
        manifest["embedder"]["model_id"] = "st:some-other-model"
        (build / "manifest.json").write_text(json.dumps(manifest))
    elif kind == "dangling-link":
        shutil.rmtree(build)


@pytest.mark.parametrize(
    "kind",
    ["missing", "corrupt-faiss", "corrupt-manifest", "truncated-passages", "other-model", "dangling-link"],
)
def test_action_server_refuses_to_start_without_a_usable_index(
    kb: Knowledge, tmp_path: Path, kind: str
) -> None:
    index = tmp_path / "index"
    _corrupt(kind, kb, index)
    env = {**os.environ, **kb.env, "KB_INDEX_DIR": str(index), "BOT_ACTIONS_PORT": str(SPARE_ACTIONS_PORT)}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "stack.py"), "start-actions"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the action server started on a {kind} index instead of refusing")
    text = output.decode("utf-8", "replace")
    assert process.returncode != 0
    assert "the action server cannot start" in text
    assert "run `knowledge build`" in text
    assert "Traceback" not in text  # a message, not a crash
    assert not httpx_reachable(f"http://127.0.0.1:{SPARE_ACTIONS_PORT}/health")


def httpx_reachable(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return False
    return True


# ----------------------------------------------------------------------------- the action server fails


def test_action_server_down_gets_an_apology_and_answers_resume_without_restarting_rasa(
    private: Private, figures: Figures
) -> None:
    rasa_pid = private.rasa.process.pid if private.rasa.process else None
    private.actions.stop()
    assert APOLOGY_ZH in texts(private.ask(QUESTION))
    assert APOLOGY_EN in texts(private.ask("Where is the science and technology innovation center?"))
    started = time.monotonic()
    private.start(private.actions)
    sender = uuid.uuid4().hex
    deadline = time.monotonic() + 60
    while FACT not in (reply := texts(private.ask("科创中心占地多少亩？", sender=uuid.uuid4().hex))):
        assert time.monotonic() < deadline, reply  # the index loads in the background after start
        time.sleep(0.5)
    figures.add(
        f"action server down: apology in zh and en; answering again {time.monotonic() - started:.1f} s after restart"
    )
    assert private.rasa.process is not None and private.rasa.process.pid == rasa_pid and private.rasa.alive()
    assert "大学城南路" in texts(private.ask(QUESTION, sender))


def test_hung_action_server_gets_an_apology_after_the_reply_timeout(
    private: Private, figures: Figures
) -> None:
    assert private.actions.process is not None
    group = private.actions.process.pid
    sender = uuid.uuid4().hex
    assert "大学城南路" in texts(private.ask(QUESTION, sender))
    os.killpg(group, signal.SIGSTOP)  # alive, listening, never answering
    try:
        started = time.monotonic()
        reply = texts(private.ask(FOLLOW_UP, sender))
        waited = time.monotonic() - started
    finally:
        os.killpg(group, signal.SIGCONT)
    assert APOLOGY_ZH in reply
    assert waited >= REPLY_TIMEOUT - 0.5
    assert private.logs.wait_for("BOT_REPLY_TIMEOUT")
    figures.add(f"hung action server: apology after {waited:.1f} s (BOT_REPLY_TIMEOUT={REPLY_TIMEOUT})")
    # The same conversation goes on once the action server answers again.
    assert FACT in texts(private.ask(FOLLOW_UP, sender))


# ----------------------------------------------------------------------------- bad rebuilds


def test_failed_build_publishes_nothing_and_the_bot_keeps_answering(private: Private, tmp_path: Path) -> None:
    before = private.kb.current()
    empty = tmp_path / "no-articles"
    empty.mkdir()
    done = private.kb.build(KB_ARTICLES_DIR=str(empty))
    assert done.returncode != 0
    assert private.kb.current() == before
    assert FACT in texts(private.ask("科创中心占地多少亩？"))


def test_corrupt_published_build_is_not_loaded_and_the_old_one_keeps_serving(private: Private) -> None:
    good = private.kb.current()
    bad = good.parent / (good.name + "-corrupt")
    shutil.copytree(good, bad)
    (bad / "dense.faiss").write_bytes(b"\x00garbage" * 100)
    private.kb.publish(bad)  # what a broken build that got published would look like
    try:
        for _ in range(3):  # every question checks for a new build: still the old one
            assert FACT in texts(private.ask("科创中心占地多少亩？"))
        assert private.logs.wait_for("not loaded, still serving")
    finally:
        private.kb.publish(good)
        shutil.rmtree(bad, ignore_errors=True)


# ----------------------------------------------------------------------------- rebuild under load


@dataclass
class LoadResult:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    new_fact_seen_at: float | None = None


def _client(
    private: Private, stop: threading.Event, result: LoadResult, lock: threading.Lock, n: int
) -> None:
    with httpx.Client(timeout=60) as client:
        i = 0
        # Until told to stop, not a fixed count: on a busy machine the build takes longer, and
        # clients that had run out of requests never saw the new index (CI, 6 December).
        while not stop.is_set():
            question = NEW_QUESTION if (i + n) % 2 else "科创中心占地多少亩？"
            i += 1
            status = 0
            try:
                response = client.post(
                    private.rest_url, json={"sender": uuid.uuid4().hex, "message": question}
                )
                status = response.status_code
                body = texts(response.json()) if status == 200 else response.text
            except (httpx.HTTPError, ValueError) as exc:
                body = repr(exc)
            # a failure: an error, no reply, an apology, or the known answer missing
            ok = status == 200 and bool(body.strip()) and not any(a in body for a in UNAVAILABLE)
            if question != NEW_QUESTION and FACT not in body:
                ok = False
            with lock:
                result.requests += 1
                if not ok:
                    result.failures.append(f"{question} -> HTTP {status}: {body[:200]}")
                if question == NEW_QUESTION and NEW_FACT in body and result.new_fact_seen_at is None:
                    result.new_fact_seen_at = time.monotonic()


def test_rebuild_while_eight_clients_ask_loses_no_request_and_switches_answers(
    private: Private, figures: Figures
) -> None:
    assert NEW_FACT not in texts(private.ask(NEW_QUESTION))  # not in the articles yet
    result, lock, stop = LoadResult(), threading.Lock(), threading.Event()
    clients = [
        threading.Thread(target=_client, args=(private, stop, result, lock, n)) for n in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()
    try:
        while result.requests < 3 * CLIENTS:
            time.sleep(0.1)
        (private.kb.articles / "xinghe-quantum-lab.md").write_text(NEW_ARTICLE, encoding="utf-8")
        started = time.monotonic()
        done = private.kb.build()
        build_seconds = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 60
        while result.new_fact_seen_at is None and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2.0)  # a little more load on the new build
    finally:
        stop.set()
        for thread in clients:
            thread.join(120)
    switched = None if result.new_fact_seen_at is None else result.new_fact_seen_at - started
    figures.add(
        f"rebuild under load: {CLIENTS} clients, {result.requests} requests, {len(result.failures)} failed; "
        f"build {build_seconds:.1f} s, new fact answered {switched if switched is None else round(switched, 1)} s "
        "after the build started"
    )
    assert result.failures == []
    assert switched is not None, "answers never switched to the new index"
    answer = texts(private.ask(NEW_QUESTION))
    assert NEW_FACT in answer and "星河量子实验室" in answer


# ----------------------------------------------------------------------------- restarts


def test_conversation_survives_a_restart_of_both_servers(private: Private, figures: Figures) -> None:
    sender = "restart-" + uuid.uuid4().hex[:8]
    assert "大学城南路" in texts(private.ask(QUESTION, sender))
    started = time.monotonic()
    private.rasa.stop()
    private.actions.stop()
    private.start(private.actions)
    private.start(private.rasa)
    restart = time.monotonic() - started
    deadline = time.monotonic() + 60
    while any(a in (reply := texts(private.ask(FOLLOW_UP, sender))) for a in UNAVAILABLE):
        assert time.monotonic() < deadline, reply  # the index may still be loading
        time.sleep(0.5)
    assert FACT in reply
    figures.add(
        f"restart of Rasa and the action server mid-conversation: {restart:.0f} s, follow-up answered"
    )
    users = [e["text"] for e in private.tracker(sender)["events"] if e.get("event") == "user"]
    assert users[:1] == [QUESTION] and users[-1] == FOLLOW_UP


# ----------------------------------------------------------------------------- security


def test_rasa_http_api_requires_the_token(private: Private) -> None:
    url = f"{private.cfg.rasa_url}/conversations/someone/tracker"
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, params={"token": "wrong"}, timeout=10).status_code == 401
    assert httpx.get(url, params={"token": SECRETS["BOT_API_TOKEN"]}, timeout=10).status_code == 200


def test_rest_rate_limit_per_sender_and_refused_messages_never_reach_rasa(private: Private) -> None:
    sender = "burst-" + uuid.uuid4().hex[:8]
    accepted = 0
    for _ in range(30):
        reply = texts(private.ask("你好", sender))
        if "太快" in reply:
            break
        accepted += 1
    assert 20 <= accepted < 30
    messages = private.ask(QUESTION, sender)
    assert "太快" in texts(messages) and not any("custom" in m for m in messages)
    assert "sending messages too quickly" in texts(private.ask("Where is the innovation center?", sender))
    users = [e["text"] for e in private.tracker(sender)["events"] if e.get("event") == "user"]
    assert len(users) == accepted and QUESTION not in users


def test_rest_rate_limit_per_client_address(private: Private) -> None:
    """BOT_RATE_LIMIT_IP=10/60: the 11th request from 127.0.0.2 (new senders each time) gets 429."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    statuses = []
    with httpx.Client(transport=transport, timeout=60) as client:
        for _ in range(11):
            response = client.post(private.rest_url, json={"sender": uuid.uuid4().hex, "message": "你好"})
            statuses.append(response.status_code)
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert int(response.headers["retry-after"]) >= 1
    assert "太快" in texts(response.json())
    assert "您好" in texts(private.ask("你好"))  # 127.0.0.1 is exempt (BOT_RATE_LIMIT_EXEMPT)


def test_secrets_never_reach_logs_or_command_lines(private: Private) -> None:
    webhook = f"{private.cfg.rasa_url}/webhooks/wechat/webhook"
    sim = Simulator(webhook, SECRETS["WECHAT_TOKEN"], "wx-faults-test", SECRETS["WECHAT_AES_KEY"], timeout=10)
    user = "o-secret-" + uuid.uuid4().hex[:8]
    plain = sim.send(sim.message_xml(QUESTION, user=user))
    assert plain.text and "大学城南路" in plain.text, plain.body
    encrypted = sim.send(sim.message_xml(FOLLOW_UP, user=user), encrypt=True)
    assert encrypted.text and FACT in encrypted.text, encrypted.body
    assert sim.verify("echo-1").text == "echo-1"
    forged = Simulator(webhook, "not-the-token", timeout=10)
    assert forged.post_raw(forged.message_xml("你好")).status_code == 403
    httpx.get(f"{private.cfg.rasa_url}/status", params={"token": SECRETS["BOT_API_TOKEN"]}, timeout=10)
    httpx.get(f"{private.cfg.rasa_url}/status", params={"token": SECRETS["BOT_API_TOKEN"][:-1]}, timeout=10)
    if private.redis:
        assert redis_keys() > 0  # the WeChat cache ran on the password-protected Redis

    time.sleep(1.0)  # let the servers flush their last lines
    log = private.logs.text()
    for name, value in SECRETS.items():
        if name == "REDIS_PASSWORD" and not private.redis:
            continue
        assert value not in log, f"{name} appears in the log"
        for pid in private.pids():
            with contextlib.suppress(psutil.Error):
                assert value not in " ".join(psutil.Process(pid).cmdline()), f"{name} on a command line"
