"""Channels against a real Rasa server: failures get an apology, Socket.IO works end to end.

Starts its own Rasa server and action server (ports E2E_CHANNELS_RASA_PORT=16005,
E2E_CHANNELS_ACTIONS_PORT=16055) with the pieces of scripts/stack.py, in three acts:
no action server, an action server refusing to start without an index, a healthy one; then
Rasa is restarted to check that a conversation survives it.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import socketio

from scripts.stack import Service, StackConfig, action_server, rasa_server, train

pytestmark = pytest.mark.integration


class Logs:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.2)
        return False


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> StackConfig:
    work = tmp_path_factory.mktemp("channels")
    return StackConfig(
        rasa_port=int(os.environ.get("E2E_CHANNELS_RASA_PORT") or 16005),
        actions_port=int(os.environ.get("E2E_CHANNELS_ACTIONS_PORT") or 16055),
        tracker_db=work / "tracker.db",
    )


class Rasa(Logs):
    """The Rasa server under test and everything it logged."""

    def __init__(self, cfg: StackConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.service = rasa_server(cfg)
        self.service.sink = self

    def start(self) -> None:
        self.service.start()
        self.service.wait_healthy(self.cfg.start_timeout)


@pytest.fixture(scope="module")
def rasa(cfg: StackConfig) -> Iterator[Rasa]:
    train(cfg)
    server = Rasa(cfg)
    try:
        server.start()
        yield server
    finally:
        server.service.stop()


def start_actions(cfg: StackConfig, **env: str) -> tuple[Service, Logs]:
    logs = Logs()
    service = action_server(cfg)
    service.sink = logs
    # Questions asked here are not logged in the project's question log.
    service.start({"BOT_DATABASE_FILE": str(cfg.tracker_db.parent / "bot.db"), **env})
    service.wait_healthy(60)
    return service, logs


def send(cfg: StackConfig, text: str, sender: str = "s") -> list[dict]:
    response = httpx.post(
        f"{cfg.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    assert response.status_code == 200
    return response.json()


def test_action_server_down_gets_an_apology_and_a_logged_cause(cfg, rasa: Rasa) -> None:
    assert [m["text"] for m in send(cfg, "科创中心在哪里？")] == ["抱歉，我暂时无法回答，请稍后再试。"]
    assert send(cfg, "Where is the innovation center?")[0]["text"].startswith("Sorry, I can't")
    assert rasa.wait_for("Couldn't connect")  # Rasa names the unreachable action server
    assert rasa.wait_for("action server is probably down")


def test_missing_index_stops_the_action_server_with_the_fix(cfg, rasa: Logs, tmp_path: Path) -> None:
    """A bot that could only apologise must not look healthy: no index, no action server."""
    logs = Logs()
    service = action_server(cfg)
    service.sink = logs
    service.start({"KB_INDEX_DIR": str(tmp_path / "no-index")})
    try:
        assert service.process is not None
        assert service.process.wait(120) != 0
        assert logs.wait_for("the action server cannot start")
        assert logs.wait_for("run `knowledge build`")
        # Rasa keeps running and apologises for the missing action server.
        assert send(cfg, "科创中心在哪里？")[0]["text"].startswith("抱歉，我暂时无法回答")
    finally:
        service.stop()


@pytest.fixture(scope="module")
def healthy_actions(cfg: StackConfig, rasa: Rasa) -> Iterator[None]:
    service, _ = start_actions(cfg)
    try:
        yield
    finally:
        service.stop()


@pytest.fixture
def chat(cfg: StackConfig, healthy_actions) -> Iterator[tuple[socketio.SimpleClient, str]]:
    with socketio.SimpleClient() as client:
        client.connect(cfg.rasa_url, transports=["websocket"])
        client.emit("session_request", {"session_id": None})
        event, session_id = client.receive(timeout=10)
        assert event == "session_confirm"
        yield client, session_id


def replies(client: socketio.SimpleClient, until_custom: bool = True) -> list[dict]:
    received: list[dict] = []
    while True:
        try:
            event, data = client.receive(timeout=30 if not received else 2)
        except (TimeoutError, queue.Empty, socketio.exceptions.TimeoutError):
            return received
        assert event == "bot_uttered"
        received.append(data)
        if until_custom and "custom" in data:
            return received


def test_socketio_answers_with_text_and_the_custom_payload(chat) -> None:
    client, session_id = chat
    client.emit("user_uttered", {"message": "科创中心在哪里？", "session_id": session_id})
    received = replies(client)
    assert received[0]["text"].startswith("根据《")
    assert received[-1]["custom"]["grounded"] is True
    assert received[-1]["custom"]["sources"]


def test_socketio_caps_long_messages(chat) -> None:
    client, session_id = chat
    client.emit("user_uttered", {"message": "x" * 10_000, "session_id": session_id})
    [reply] = replies(client, until_custom=False)
    assert "too long" in reply["text"]


@pytest.mark.parametrize("data", ["not an object", {"message": 42}, {"message": "hi", "metadata": "{bad"}])
def test_socketio_malformed_events_get_a_polite_reply(chat, data) -> None:
    client, session_id = chat
    client.emit("user_uttered", {**data, "session_id": session_id} if isinstance(data, dict) else data)
    [reply] = replies(client, until_custom=False)
    assert "malformed" in reply["text"]
    client.emit("user_uttered", {"message": "你好", "session_id": session_id})
    assert replies(client, until_custom=False)[0]["text"].startswith("您好")


def test_conversation_survives_a_restart_of_rasa(cfg, rasa: Rasa, healthy_actions) -> None:
    """The follow-up slot is in the SQLite tracker store, not in Rasa's memory."""
    assert "大学城南路" in send(cfg, "科创中心在哪里？", sender="restart")[0]["text"]
    rasa.service.stop()
    rasa.start()
    assert "78亩" in send(cfg, "占地多大？", sender="restart")[0]["text"]
