"""WeChat connector end to end: the simulator talks to the running bot's webhook.

Target: `BOT_URL` (e.g. http://localhost:5005) when set; the test skips if nothing listens
there. Without `BOT_URL` the session's `stack` fixture (tests/e2e/conftest.py) starts the stack.
The bot must have `channels.wechat.WeChatInput:` in bot/credentials.yml.

The signing secrets are read like the server reads them: WECHAT_TOKEN (default dev-token),
WECHAT_APPID and WECHAT_AES_KEY. Test values are set as defaults at import, i.e. before the
stack fixture starts the bot, so that the stack and this test agree (safe mode included).
"""

from __future__ import annotations

import os
import re
import secrets
import time
import uuid
from pathlib import Path

import httpx
import pytest

from channels.wechat.config import DEV_TOKEN
from channels.wechat.simulator import Simulator
from channels.wechat.xmlmsg import build_xml
from knowledge.phrases import both

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
E2E_APPID = "wx-e2e-test"
E2E_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # a test key, never a real account's
E2E_TOKEN = "e2eTestToken"  # with an AppID set, the connector refuses the public dev token
if not os.environ.get("BOT_URL"):
    # Only when this session starts the stack itself; an external bot keeps its own settings.
    os.environ.setdefault("WECHAT_TOKEN", E2E_TOKEN)
    os.environ.setdefault("WECHAT_APPID", E2E_APPID)
    os.environ.setdefault("WECHAT_AES_KEY", E2E_AES_KEY)

QUESTION = "科创中心在哪里？"
FOLLOW_UP = "占地多大？"


def _registered_in_credentials() -> bool:
    path = ROOT / "bot" / "credentials.yml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return re.search(r"^channels\.wechat\.WeChatInput\s*:", text, re.M) is not None


@pytest.fixture(scope="module")
def webhook(request: pytest.FixtureRequest) -> str:
    base = os.environ.get("BOT_URL", "").rstrip("/")
    if base:
        try:
            httpx.get(base + "/", timeout=3)
        except httpx.HTTPError:
            pytest.skip(f"nothing listens at BOT_URL={base}")
    else:
        base = request.getfixturevalue("stack").rasa
    health = httpx.get(base + "/webhooks/wechat/", timeout=5)
    if health.status_code == 404:
        if not _registered_in_credentials():
            pytest.skip("channels.wechat.WeChatInput is not registered in bot/credentials.yml")
        pytest.fail("the WeChat channel is registered but /webhooks/wechat/ answers 404")
    return base + "/webhooks/wechat/webhook"


@pytest.fixture()
def sim(webhook: str) -> Simulator:
    return Simulator(
        webhook,
        token=os.environ.get("WECHAT_TOKEN") or DEV_TOKEN,
        appid=os.environ.get("WECHAT_APPID", ""),
        aes_key=os.environ.get("WECHAT_AES_KEY", ""),
        timeout=5.0,
    )


def openid() -> str:
    return "o-e2e-" + uuid.uuid4().hex[:12]


def msg_id() -> str:
    return str(secrets.randbelow(10**17) + 10**17)


def test_url_verification(sim: Simulator) -> None:
    ok = sim.verify("echo-e2e-123")
    assert (ok.status_code, ok.text) == (200, "echo-e2e-123")
    bad = sim.verify("echo-e2e-123", signature="0" * 40)
    assert bad.status_code == 403
    assert "echo-e2e-123" not in bad.text


def test_grounded_answer_then_follow_up_in_the_same_conversation(sim: Simulator) -> None:
    user = openid()
    first = sim.send(sim.message_xml(QUESTION, user=user, msg_id=msg_id()))
    assert first.status == 200 and first.text, first.body
    assert "来源" in first.text
    assert "大学城南路" in first.text
    assert len(first.text.encode("utf-8")) <= 2048
    second = sim.send(sim.message_xml(FOLLOW_UP, user=user, msg_id=msg_id()))
    assert second.text and "78亩" in second.text, second.text


def test_retry_with_the_same_msgid_gets_the_same_reply(sim: Simulator) -> None:
    user, mid = openid(), msg_id()
    xml = sim.message_xml(QUESTION, user=user, msg_id=mid)
    first = sim.send(xml)
    start = time.monotonic()
    retry = sim.send(xml)
    assert first.text and retry.text == first.text
    assert time.monotonic() - start < 2.0  # served from the reply cache


def test_encrypted_round_trip(sim: Simulator) -> None:
    if sim.crypto is None:
        pytest.skip("WECHAT_AES_KEY / WECHAT_APPID are not set for this bot")
    result = sim.send(sim.message_xml(QUESTION, user=openid(), msg_id=msg_id()), encrypt=True)
    assert result.status == 200, result.body
    assert "<Encrypt>" in result.body and "来源" not in result.body  # nothing in clear
    assert result.text and "来源" in result.text


def test_subscribe_gets_a_welcome_with_numbered_topics(sim: Simulator) -> None:
    user = openid()
    welcome = sim.send(sim.message_xml(user=user, msg_type="event", event="subscribe"))
    assert welcome.text, welcome.body
    assert "回复数字" in welcome.text and "1." in welcome.text
    pick = sim.send(sim.message_xml("1", user=user, msg_id=msg_id()))
    assert pick.text and pick.text != welcome.text
    bye = sim.send(sim.message_xml(user=user, msg_type="event", event="unsubscribe"))
    assert (bye.status, bye.text) == (200, None)


def test_image_gets_a_polite_text_only_reply(sim: Simulator) -> None:
    result = sim.send(sim.message_xml(user=openid(), msg_type="image", msg_id=msg_id()))
    assert result.text == both("text_only")


def test_over_long_question_is_refused_politely(sim: Simulator) -> None:
    result = sim.send(sim.message_xml("请问" * 400, user=openid(), msg_id=msg_id()))
    assert result.text and "精简" in result.text


def test_bad_signature_is_forbidden(sim: Simulator) -> None:
    query = sim.signed_query()
    query["signature"] = "0" * 40
    response = sim.post_raw(sim.message_xml(QUESTION, msg_id=msg_id()), query)
    assert response.status_code == 403
    assert "Traceback" not in response.text


def test_xml_bomb_and_malformed_xml_are_rejected(sim: Simulator) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        "<xml><Content>&c;</Content></xml>"
    )
    assert sim.post_raw(bomb).status_code == 400
    assert sim.post_raw("<xml><ToUserName>").status_code == 400
    huge = build_xml({"Content": "大" * 100_000})
    assert sim.post_raw(huge).status_code == 413
