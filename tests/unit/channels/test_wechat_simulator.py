"""The simulator speaks the protocol the connector expects (bridged in-process, no socket)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from channels.wechat import simulator as sim_module
from channels.wechat.cache import MemoryStore
from channels.wechat.config import WeChatSettings
from channels.wechat.service import WeChatService
from channels.wechat.simulator import Simulator
from channels.wechat.xmlmsg import parse_message

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APPID = "wx-sim"


async def echo_bot(sender: str, text: str, metadata: dict[str, Any]) -> list[dict]:
    return [{"text": f"{sender} 问：{text}"}]


def bridge(service: WeChatService, fail_first: int = 0) -> httpx.MockTransport:
    """Routes the simulator's HTTP calls into the service, optionally timing out first tries."""
    state = {"calls": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        state["calls"] += 1
        if state["calls"] <= fail_first:
            raise httpx.ReadTimeout("simulated", request=request)
        query = dict(request.url.params)
        if request.method == "GET":
            reply = service.verify(query)
        else:
            reply = asyncio.run(service.handle(query, request.content))
        return httpx.Response(reply.status, text=reply.body)

    return httpx.MockTransport(handle)


def setup(fail_first: int = 0, token: str = "tok") -> tuple[Simulator, WeChatService]:
    settings = WeChatSettings(token="tok", appid=APPID, aes_key=AES_KEY)
    service = WeChatService(settings, echo_bot, MemoryStore())
    client = httpx.Client(transport=bridge(service, fail_first))
    return Simulator("http://sim/webhook", token, APPID, AES_KEY, client=client), service


def test_plain_message() -> None:
    sim, _ = setup()
    result = sim.send(sim.message_xml("科创中心在哪里？", user="o-1"))
    assert (result.status, result.text, result.tries) == (200, "o-1 问：科创中心在哪里？", 1)


def test_encrypted_message_and_reply() -> None:
    sim, _ = setup()
    result = sim.send(sim.message_xml("占地多大？", user="o-2"), encrypt=True)
    assert result.text == "o-2 问：占地多大？"
    assert "<Encrypt>" in result.body and "占地" not in result.body


def test_verification() -> None:
    sim, _ = setup()
    response = sim.verify("hello-echo")
    assert (response.status_code, response.text) == (200, "hello-echo")
    assert sim.verify("x", signature="0" * 40).status_code == 403


def test_wrong_token_is_refused() -> None:
    sim, _ = setup(token="not-the-token")
    assert sim.send(sim.message_xml("hi")).status == 403


def test_retries_after_a_timeout_with_the_same_message() -> None:
    sim, _ = setup(fail_first=2)
    result = sim.send(sim.message_xml("hi", msg_id="99"), tries=3)
    assert (result.tries, result.text) == (3, "o-simulated-user 问：hi")
    sim, _ = setup(fail_first=3)
    with pytest.raises(TimeoutError):
        sim.send(sim.message_xml("hi"), tries=3)


@pytest.mark.parametrize(
    ("msg_type", "event", "field"),
    [("event", "subscribe", "Event"), ("image", "", "PicUrl"), ("location", "", "Label")],
)
def test_builds_other_message_types(msg_type: str, event: str, field: str) -> None:
    sim, _ = setup()
    msg = parse_message(sim.message_xml(msg_type=msg_type, event=event, msg_id="5"))
    assert msg.msg_type == msg_type and field in msg.fields
    assert (msg.msg_id == "") == (msg_type == "event")


def test_cli_prints_the_reply(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for name in ("WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_APPID", "WECHAT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = WeChatSettings(token="tok", appid=APPID, aes_key=AES_KEY)
    service = WeChatService(settings, echo_bot, MemoryStore())
    real_client = httpx.Client
    monkeypatch.setattr(sim_module.httpx, "Client", lambda: real_client(transport=bridge(service)))
    args = ["你好", "--token", "tok", "--aes-key", AES_KEY, "--appid", APPID, "--user", "o-9"]
    assert sim_module.main([*args, "--encrypt"]) == 0
    assert capsys.readouterr().out.strip() == "o-9 问：你好"
    assert sim_module.main(["--verify", "--token", "tok"]) == 0
    assert sim_module.main(["--event", "unsubscribe", "--token", "tok"]) == 0
    assert capsys.readouterr().out.strip().endswith("(no reply)")
    assert sim_module.main(["hi", "--token", "wrong"]) == 1
    assert sim_module.main(["hi", "--encrypt", "--token", "tok"]) == 1  # no key: clear error
