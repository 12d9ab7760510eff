"""Rate limits on real servers: per address, behind proxies, and shared through a real Redis.

The servers are tests/integration/guard_server.py run with the Rasa venv (this project's REST
channel, limits' storages as the Rasa venv has them, a stand-in bot); Redis is a throwaway
`redis-server` (scaleout_servers.RedisServer). Clients pick their source address on the
loopback network (127.0.0.2, 127.0.0.3, ...), so one machine plays several clients and proxies.

Ports (127.0.0.1): RATE_LIMIT_PORT_BASE (default 27000) + 1..3 for the servers, + 379 for Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper module beside this file
from scaleout_servers import ROOT, RedisServer, ensure_free, redis_server_bin, wait_for

pytestmark = pytest.mark.integration

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
SERVER = Path(__file__).resolve().parent / "guard_server.py"
BASE = int(os.environ.get("RATE_LIMIT_PORT_BASE") or 27000)
REDIS_BIN = redis_server_bin()

needs_rasa_venv = pytest.mark.skipif(not RASA_PYTHON.exists(), reason=".venv-rasa missing (make install)")
needs_redis = pytest.mark.skipif(REDIS_BIN is None, reason="redis-server not installed")


def _rasa_env(**settings: str) -> dict[str, str]:
    # Only this test's settings: none of the caller's BOT_* or REDIS_* variables leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "REDIS_"))}
    return {**env, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", **settings}


class GuardServer:
    def __init__(self, port: int, work: Path, **settings: str) -> None:
        ensure_free(port)
        self.url = f"http://127.0.0.1:{port}/webhooks/rest"
        self.log = work / f"guard-{port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(RASA_PYTHON), str(SERVER), "--port", str(port)],
                cwd=ROOT, env=_rasa_env(**settings), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_for(self._healthy, 180, f"guard server :{port}", lambda: self.process.poll() is None)
        except RuntimeError:
            self.stop()
            raise RuntimeError(self.log.read_text(errors="replace")[-3000:]) from None

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    servers: list[GuardServer] = []

    def start_server(offset: int, **settings: str) -> GuardServer:
        servers.append(GuardServer(BASE + offset, tmp_path, **settings))
        return servers[-1]

    try:
        yield start_server
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    if REDIS_BIN is None:
        pytest.skip("redis-server not installed")
    server = RedisServer(REDIS_BIN, BASE + 379).start()
    try:
        yield server
    finally:
        server.stop()


def client(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)


def post(http: httpx.Client, url: str, sender: str | None = None, **headers: str) -> httpx.Response:
    body = {"sender": sender or uuid.uuid4().hex, "message": "你好"}
    return http.post(url + "/webhook", json=body, headers=headers)


@needs_rasa_venv
def test_two_hundred_fresh_senders_from_one_address_are_limited(start) -> None:
    """Default settings (BOT_RATE_LIMIT_IP 60/60): inventing sender ids does not help."""
    server = start(1)
    with client("127.0.0.2") as http:
        responses = [post(http, server.url) for _ in range(200)]
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 60 and statuses[:60] == [200] * 60
    assert responses[0].json()[0]["text"] == "ok"  # the bot answered the accepted ones
    assert set(statuses[60:]) == {429}
    refused = responses[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "太快" in refused.json()[0]["text"]  # said in the language of the message
    with client("127.0.0.1") as http:  # the host itself is exempt by default
        assert post(http, server.url).status_code == 200


@needs_rasa_venv
def test_forwarded_for_counts_only_from_a_trusted_proxy(start) -> None:
    server = start(1, BOT_RATE_LIMIT_IP="5/60", BOT_TRUSTED_PROXIES="127.0.0.3")
    # An untrusted peer naming a new address each time is still one client.
    with client("127.0.0.4") as http:
        statuses = [post(http, server.url, **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
                    for n in range(8)]  # fmt: skip
    assert statuses == [200] * 5 + [429] * 3
    with client("127.0.0.3") as proxy:
        # Through the trusted proxy, each forwarded address is its own client ...
        for n in range(10):
            assert post(proxy, server.url, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code == 200
        # ... and is limited as one: an address the client put first is not believed.
        statuses = [post(proxy, server.url, **{"X-Forwarded-For": f"10.9.9.{n}, 203.0.113.50"}).status_code
                    for n in range(7)]  # fmt: skip
    assert statuses == [200] * 5 + [429] * 2


@needs_rasa_venv
@needs_redis
def test_two_servers_sharing_redis_share_the_limits(start, redis_server: RedisServer) -> None:
    """With the scale-out variables set, both servers count in one Redis."""
    scaleout = {k: v for k, v in redis_server.env().items() if k.startswith("REDIS_")}
    servers = [start(n, BOT_RATE_LIMIT_IP="10/60", **scaleout) for n in (2, 3)]
    with client("127.0.0.5") as http:
        statuses = [post(http, servers[n % 2].url).status_code for n in range(16)]
    assert statuses == [200] * 10 + [429] * 6  # 5 + 5 accepted, not 10 + 10
    # Per sender too (BOT_RATE_LIMIT 20/60), from the exempt host: one conversation, both servers.
    sender = "burst-" + uuid.uuid4().hex[:8]
    with client("127.0.0.1") as http:
        texts = [post(http, servers[n % 2].url, sender).json()[0]["text"] for n in range(24)]
    assert texts[:20] == ["ok"] * 20
    assert all("太快" in text for text in texts[20:])
    # The counts are Redis keys of the lock store's database, under the project's prefix.
    keys = _redis_keys(redis_server)
    assert any("parkqa:rate:address" in key for key in keys)
    assert any("parkqa:rate:sender" in key and sender in key for key in keys)


def _redis_keys(redis_server: RedisServer) -> list[str]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(redis_server.url(1), decode_responses=True)
    try:
        return list(client.scan_iter("*parkqa:rate:*"))
    finally:
        client.close()


@needs_redis
def test_limiters_of_two_processes_share_one_redis(redis_server: RedisServer) -> None:
    """The same with this venv's `limits` (the tools venv's version) against the same Redis."""
    pytest.importorskip("redis")
    from channels.ratelimit import RateLimiter, open_storage
    from knowledge.settings import Rate

    one, two = (RateLimiter(Rate(7, 60), open_storage(redis_server.url(1)), "sender") for _ in range(2))
    key = "shared-" + uuid.uuid4().hex
    results = [(one if n % 2 else two).acquire(key) for n in range(12)]
    assert results[:7] == [0] * 7
    assert all(wait >= 1 for wait in results[7:])


@needs_rasa_venv
def test_rasa_start_up_installs_the_compiled_action_validator_once() -> None:
    """`CappedRestInput.from_credentials` (Rasa's start-up) installs it; invalid responses
    still fail as in Rasa."""
    script = """
import json
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from channels.rest import CappedRestInput
before = getattr(RemoteAction._validate_action_result, "cached_validator", False)
CappedRestInput.from_credentials(None)
patched = RemoteAction._validate_action_result
CappedRestInput.from_credentials(None)
action = RemoteAction("action_x", None)
try:
    action._validate_action_result({"events": "not a list"})
    refused = False
except ValidationError:
    refused = True
print(json.dumps({"before": before, "once": RemoteAction._validate_action_result is patched,
                  "valid": action._validate_action_result({"events": [], "responses": []}),
                  "refused": refused}))
"""
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script], cwd=ROOT, env=_rasa_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"before": False, "once": True, "valid": True, "refused": True}

