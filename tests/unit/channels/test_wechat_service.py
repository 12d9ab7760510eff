"""The connector's request handling with a fake bot (no Rasa, no network)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from channels.wechat.api import CustomerServiceClient
from channels.wechat.cache import MemoryStore
from channels.wechat.claim import ClaimTiming
from channels.wechat.config import DEV_TOKEN, WeChatSettings
from channels.wechat.crypto import WeChatCrypto
from channels.wechat.fake_api import FakeWeChatApi
from channels.wechat.service import WeChatService
from channels.wechat.signature import compute_signature
from channels.wechat.xmlmsg import build_xml, parse_message, parse_xml_fields
from knowledge.phrases import TOPIC_BUTTONS, both, phrase

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APPID = "wx-test"


class FakeBot:
    """Answers like a Rasa bot would through CollectingOutputChannel; records what it was sent."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.delay = delay
        self.fail = fail

    async def __call__(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict]:
        self.calls.append((sender, text))
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("secret internal detail")
        if text == "你好":
            return [
                {"text": "欢迎关注！请选择话题："},
                {
                    "text": "",
                    "buttons": [
                        {"title": "政策", "payload": "/ask_policy"},
                        {"title": "平台", "payload": "/ask_platform"},
                    ],
                },
            ]
        if text == "silent":
            return []
        turn = sum(1 for s, _ in self.calls if s == sender)
        return [
            {"text": f"答复{turn}：{text}"},
            {"custom": {"grounded": True, "sources": [{"title": "园区介绍", "section": "概况"}]}},
        ]


def settings(**overrides: Any) -> WeChatSettings:
    base: dict[str, Any] = {
        "token": "tok",
        "appid": APPID,
        "aes_key": AES_KEY,
        "reply_deadline": 0.2,
        "hold_seconds": 0.3,
        "timestamp_window": 300,
    }
    base.update(overrides)
    return WeChatSettings(**base)


def make(bot: FakeBot | None = None, sender: CustomerServiceClient | None = None, **kw: Any):
    bot = bot or FakeBot()
    return WeChatService(settings(**kw), bot, MemoryStore(), sender), bot


def query(token: str = "tok", ts: int | None = None, nonce: str = "42") -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    return {"signature": compute_signature(token, stamp, nonce), "timestamp": stamp, "nonce": nonce}


def text_xml(
    content: str, user: str = "o-user", msg_id: int = 1001, msg_type: str = "text", **extra: Any
) -> bytes:
    fields: dict[str, Any] = {
        "ToUserName": "gh_account",
        "FromUserName": user,
        "CreateTime": 1700000000,
        "MsgType": msg_type,
    }
    if msg_type == "text":
        fields["Content"] = content
    fields.update(extra)
    if msg_type != "event":
        fields["MsgId"] = msg_id
    return build_xml(fields).encode("utf-8")


def event_xml(event: str, user: str = "o-user", create_time: int = 1700000000) -> bytes:
    return text_xml("", user, msg_type="event", Event=event, CreateTime=create_time)


def reply_content(body: str) -> str:
    return parse_message(body).content


# -- URL verification ----------------------------------------------------------------------
def test_get_returns_echostr_only_for_a_valid_signature() -> None:
    service, _ = make()
    ok = service.verify({**query(), "echostr": "e-123"})
    assert (ok.status, ok.body) == (200, "e-123")
    bad = service.verify({**query(token="wrong"), "echostr": "e-123"})
    assert bad.status == 403 and "e-123" not in bad.body
    old = service.verify({**query(ts=int(time.time()) - 3600), "echostr": "e"})
    assert old.status == 403
    assert service.verify({"echostr": "e"}).status == 403
    assert service.verify(query()).status == 400  # signed but no echostr


# -- messages ------------------------------------------------------------------------------
def test_text_message_is_answered_with_swapped_ids_and_sources() -> None:
    service, bot = make()
    reply = asyncio.run(service.handle(query(), text_xml("科创中心在哪里？")))
    assert reply.status == 200
    msg = parse_message(reply.body)
    assert (msg.to_user, msg.from_user) == ("o-user", "gh_account")
    assert msg.content == "答复1：科创中心在哪里？\n\n来源：《园区介绍》概况"
    assert bot.calls == [("o-user", "科创中心在哪里？")]  # the OpenID is the sender


def test_conversation_continues_for_the_same_openid() -> None:
    async def scenario() -> list[str]:
        service, _ = make()
        first = await service.handle(query(), text_xml("科创中心在哪里？", msg_id=1))
        second = await service.handle(query(), text_xml("占地多大？", msg_id=2))
        other = await service.handle(query(), text_xml("园区有哪些政策？", user="o-other", msg_id=3))
        return [reply_content(r.body) for r in (first, second, other)]

    first, second, other = asyncio.run(scenario())
    assert first.startswith("答复1") and second.startswith("答复2") and other.startswith("答复1")


def test_a_retry_gets_the_same_reply_without_asking_the_bot_again() -> None:
    async def scenario():
        service, bot = make()
        a = await service.handle(query(nonce="1"), text_xml("问题", msg_id=77))
        b = await service.handle(query(nonce="2"), text_xml("问题", msg_id=77))
        return a, b, bot

    a, b, bot = asyncio.run(scenario())
    assert reply_content(a.body) == reply_content(b.body)
    assert len(bot.calls) == 1


def test_concurrent_retries_share_one_bot_call() -> None:
    async def scenario():
        service, bot = make(FakeBot(delay=0.05), hold_seconds=2.0, reply_deadline=2.0)
        replies = await asyncio.gather(
            *(service.handle(query(nonce=str(i)), text_xml("问题", msg_id=5)) for i in range(3))
        )
        return replies, bot

    replies, bot = asyncio.run(scenario())
    assert len({reply_content(r.body) for r in replies}) == 1
    assert len(bot.calls) == 1


def test_slow_answer_is_held_so_wechat_retries_then_served_from_cache() -> None:
    async def scenario():
        service, bot = make(FakeBot(delay=0.4), hold_seconds=0.15, reply_deadline=0.1)
        first = await service.handle(query(), text_xml("慢问题", msg_id=9))
        await asyncio.sleep(0.4)  # WeChat waits 5 s before retrying
        second = await service.handle(query(), text_xml("慢问题", msg_id=9))
        return first, second, bot

    first, second, bot = asyncio.run(scenario())
    assert first.body == "success"  # the held try: WeChat has hung up by now
    assert reply_content(second.body).startswith("答复1：慢问题")
    assert len(bot.calls) == 1


def test_last_try_answers_success_and_pushes_via_customer_service_api() -> None:
    api = FakeWeChatApi(appid=APPID)

    async def scenario():
        http = httpx.AsyncClient(transport=api.transport())
        sender = CustomerServiceClient("http://fake", APPID, api.secret, MemoryStore(), client=http)
        service, bot = make(FakeBot(delay=0.5), sender, hold_seconds=0.05, reply_deadline=0.05)
        replies = [
            await service.handle(query(nonce=str(i)), text_xml("很慢的问题", msg_id=11)) for i in range(3)
        ]
        assert api.sent == []  # nothing pushed before the answer exists
        await service.drain()
        await sender.aclose()
        return replies, bot

    replies, bot = asyncio.run(scenario())
    assert [r.body for r in replies] == ["success"] * 3
    assert len(bot.calls) == 1
    assert len(api.sent) == 1
    assert api.sent[0]["touser"] == "o-user"
    assert api.sent[0]["text"]["content"].startswith("答复1：很慢的问题")


def test_without_customer_service_api_the_late_answer_waits_in_the_cache() -> None:
    async def scenario():
        service, bot = make(FakeBot(delay=0.2), hold_seconds=0.05, reply_deadline=0.05)
        for i in range(3):
            assert (await service.handle(query(nonce=str(i)), text_xml("q", msg_id=12))).body == ("success")
        await service.drain()
        late = await service.handle(query(), text_xml("q", msg_id=12))
        return late, bot

    late, bot = asyncio.run(scenario())
    assert reply_content(late.body).startswith("答复1")
    assert len(bot.calls) == 1


# -- buttons -------------------------------------------------------------------------------
def test_numbered_options_map_to_payloads_per_user() -> None:
    async def scenario():
        service, bot = make()
        welcome = await service.handle(query(), event_xml("subscribe"))
        pick = await service.handle(query(), text_xml("2", msg_id=21))
        again = await service.handle(query(), text_xml("2", msg_id=22))  # no options pending now
        stranger = await service.handle(query(), text_xml("1", user="o-b", msg_id=23))
        return welcome, pick, again, stranger, bot

    welcome, pick, again, stranger, bot = asyncio.run(scenario())
    assert reply_content(pick.body).startswith("答复")
    assert reply_content(again.body).startswith("答复")
    assert reply_content(stranger.body).startswith("答复")
    assert reply_content(welcome.body) == "欢迎关注！请选择话题：\n\n回复数字：\n1. 政策\n2. 平台"
    assert bot.calls == [
        ("o-user", "你好"),
        ("o-user", "/ask_platform"),
        ("o-user", "2"),
        ("o-b", "1"),
    ]


# -- events and other message types --------------------------------------------------------
def test_unsubscribe_and_unknown_events_get_success() -> None:
    service, bot = make()
    for event in ("unsubscribe", "VIEW", "LOCATION"):
        assert asyncio.run(service.handle(query(), event_xml(event))).body == "success"
    assert bot.calls == []


def test_events_in_the_same_second_are_not_taken_for_retries() -> None:
    async def scenario():
        service, bot = make()
        hello = await service.handle(query(), event_xml("subscribe", create_time=1700000100))
        retry = await service.handle(query(), event_xml("subscribe", create_time=1700000100))
        bye = await service.handle(query(), event_xml("unsubscribe", create_time=1700000100))
        return hello, retry, bye, bot

    hello, retry, bye, bot = asyncio.run(scenario())
    assert reply_content(hello.body) == reply_content(retry.body)
    assert bye.body == "success"
    assert bot.calls == [("o-user", "你好")]


def test_menu_click_sends_its_key_to_the_bot() -> None:
    service, bot = make()
    body = text_xml("", msg_type="event", Event="CLICK", EventKey="/ask_policy")
    asyncio.run(service.handle(query(), body))
    assert bot.calls == [("o-user", "/ask_policy")]


def test_menu_clicks_on_topic_keys_ask_the_topic_questions() -> None:
    service, bot = make()
    for n, key in enumerate(("TOPIC_POLICIES", "CONTACT_OFFICER")):
        body = text_xml("", msg_type="event", Event="CLICK", EventKey=key, CreateTime=1700000000 + n)
        asyncio.run(service.handle(query(), body))
    assert bot.calls == [("o-user", TOPIC_BUTTONS["zh"][0].payload), ("o-user", phrase("lead_offer_button", "zh"))]


@pytest.mark.parametrize("recognition", [None, "", "   "])
def test_voice_without_a_transcript_asks_for_text(recognition: str | None) -> None:
    service, bot = make()
    fields = {} if recognition is None else {"Recognition": recognition}
    reply = asyncio.run(service.handle(query(), text_xml("", msg_type="voice", MediaId="m", **fields)))
    assert reply_content(reply.body) == both("voice_unrecognised")
    assert bot.calls == []


@pytest.mark.parametrize("msg_type", ["image", "video", "location", "link", "file"])
def test_non_text_messages_get_a_polite_text_only_reply(msg_type: str) -> None:
    service, bot = make()
    reply = asyncio.run(service.handle(query(), text_xml("", msg_type=msg_type, MediaId="m")))
    assert reply_content(reply.body) == both("text_only")
    assert bot.calls == []


def test_voice_with_recognition_is_treated_as_text() -> None:
    service, bot = make()
    body = text_xml("", msg_type="voice", MediaId="m", Recognition="园区在哪里")
    asyncio.run(service.handle(query(), body))
    assert bot.calls == [("o-user", "园区在哪里")]


# -- limits and failures -------------------------------------------------------------------
def test_over_long_messages_never_reach_the_bot() -> None:
    service, bot = make(max_message_chars=500)
    zh = asyncio.run(service.handle(query(), text_xml("问" * 501, msg_id=31)))
    en = asyncio.run(service.handle(query(), text_xml("word " * 120, msg_id=32)))
    ok = asyncio.run(service.handle(query(), text_xml("问" * 500, msg_id=33)))
    assert "请精简" in reply_content(zh.body) and "500" in reply_content(zh.body)
    assert "shorten" in reply_content(en.body)
    assert bot.calls == [("o-user", "问" * 500)]
    assert ok.status == 200


def test_empty_text_gets_a_prompt() -> None:
    service, bot = make()
    reply = asyncio.run(service.handle(query(), text_xml("   ")))
    assert reply_content(reply.body) == phrase("empty", "zh")
    assert bot.calls == []


def test_bot_failure_gives_a_polite_reply_without_details() -> None:
    service, _ = make(FakeBot(fail=True))
    reply = asyncio.run(service.handle(query(), text_xml("科创中心在哪里？")))
    assert reply.status == 200
    assert "secret internal detail" not in reply.body
    assert reply_content(reply.body) == phrase("no_reply", "zh")


def test_empty_bot_output_gets_a_fallback() -> None:
    service, _ = make()
    reply = asyncio.run(service.handle(query(), text_xml("silent")))
    assert reply_content(reply.body)  # never an empty reply


@pytest.mark.parametrize(
    ("q", "body", "status"),
    [
        (query(token="wrong"), text_xml("hi"), 403),
        ({}, text_xml("hi"), 403),
        (query(ts=1), text_xml("hi"), 403),
        (query(), b"<xml><oops>", 400),
        (query(), b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>', 400),
        (query(), b"<xml>" + b"a" * 70_000 + b"</xml>", 413),
        (query(), b"", 400),
    ],
)
def test_bad_requests_get_fixed_error_bodies(q, body, status) -> None:
    service, bot = make()
    reply = asyncio.run(service.handle(q, body))
    assert reply.status == status
    assert reply.body in {"forbidden", "bad request", "payload too large"}
    assert bot.calls == []


# -- safe mode -----------------------------------------------------------------------------
def encrypted_request(crypto: WeChatCrypto, xml: bytes) -> tuple[dict[str, str], bytes]:
    q = query()
    encrypt = crypto.encrypt(xml.decode("utf-8"))
    q["encrypt_type"] = "aes"
    q["msg_signature"] = compute_signature("tok", q["timestamp"], q["nonce"], encrypt)
    return q, build_xml({"ToUserName": "gh_account", "Encrypt": encrypt}).encode()


def test_encrypted_round_trip() -> None:
    crypto = WeChatCrypto("tok", AES_KEY, APPID)
    service, bot = make()
    q, body = encrypted_request(crypto, text_xml("科创中心在哪里？"))
    reply = asyncio.run(service.handle(q, body))
    assert reply.status == 200
    envelope = parse_xml_fields(reply.body)
    assert envelope["Nonce"] == q["nonce"]
    inner = crypto.decrypt_message(
        reply.body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    assert parse_message(inner).content.startswith("答复1：科创中心在哪里？")
    assert bot.calls == [("o-user", "科创中心在哪里？")]


def test_encrypted_message_with_wrong_msg_signature_is_forbidden() -> None:
    crypto = WeChatCrypto("tok", AES_KEY, APPID)
    service, bot = make()
    q, body = encrypted_request(crypto, text_xml("hi"))
    q["msg_signature"] = "0" * 40
    assert asyncio.run(service.handle(q, body)).status == 403
    assert bot.calls == []


def test_encrypted_message_for_another_app_is_rejected() -> None:
    other = WeChatCrypto("tok", AES_KEY, "wx-other")
    service, bot = make()
    q, body = encrypted_request(other, text_xml("hi"))
    assert asyncio.run(service.handle(q, body)).status == 400
    assert bot.calls == []


def test_encrypted_message_without_configured_key_is_rejected() -> None:
    crypto = WeChatCrypto("tok", AES_KEY, APPID)
    service, _ = make(aes_key="")
    q, body = encrypted_request(crypto, text_xml("hi"))
    assert asyncio.run(service.handle(q, body)).status == 400


# -- configuration -------------------------------------------------------------------------
def test_settings_defaults_and_overrides() -> None:
    s = WeChatSettings.from_env({})
    assert s.token == DEV_TOKEN and s.max_message_chars == 500 and not s.can_push
    s = WeChatSettings.from_env(
        {
            "WECHAT_TOKEN": "t",
            "WECHAT_APPID": "a",
            "WECHAT_APPSECRET": "s",
            "BOT_MAX_MESSAGE_CHARS": "100",
            "WECHAT_API_BASE": "http://127.0.0.1:1/",
        },
        credentials={"token": "from-credentials", "appid": None},
    )
    assert s.token == "from-credentials" and s.appid == "a" and s.can_push
    assert s.max_message_chars == 100 and s.api_base == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    "env",
    [
        {"WECHAT_AES_KEY": "short", "WECHAT_APPID": "a"},
        {"WECHAT_AES_KEY": AES_KEY},  # safe mode needs the app id
        {"WECHAT_APPSECRET": "s"},
        {"WECHAT_REPLY_DEADLINE": "soon"},
        {"WECHAT_HOLD_SECONDS": "-1"},
    ],
)
def test_bad_settings_fail_at_start(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        WeChatSettings.from_env(env)


# -- several workers sharing one store (as Rasa servers share Redis) -----------------------
FAST_CLAIMS = ClaimTiming(ttl=0.15, poll=0.01)


def worker(store: MemoryStore, bot: FakeBot, sender: CustomerServiceClient | None = None, **kw: Any):
    return WeChatService(settings(**kw), bot, store, sender, claim_timing=FAST_CLAIMS)


def test_a_retry_on_another_worker_gets_the_first_workers_reply() -> None:
    async def scenario():
        store = MemoryStore()
        bot_a, bot_b = FakeBot(delay=0.2), FakeBot()
        a = worker(store, bot_a, hold_seconds=1.0)
        b = worker(store, bot_b, hold_seconds=1.0)
        first = asyncio.create_task(a.handle(query(nonce="1"), text_xml("占地多大？", msg_id=41)))
        await asyncio.sleep(0.05)  # a is asking the bot when WeChat's retry reaches b
        retry = await b.handle(query(nonce="2"), text_xml("占地多大？", msg_id=41))
        return await first, retry, bot_a, bot_b

    first, retry, bot_a, bot_b = asyncio.run(scenario())
    assert reply_content(retry.body) == reply_content(first.body)
    assert reply_content(retry.body).startswith("答复1：占地多大？")
    assert len(bot_a.calls) == 1 and bot_b.calls == []


def test_a_worker_that_lost_the_claim_holds_the_try_like_a_slow_answer() -> None:
    async def scenario():
        store = MemoryStore()
        bot_a, bot_b = FakeBot(delay=0.4), FakeBot()
        a = worker(store, bot_a, hold_seconds=0.1)
        b = worker(store, bot_b, hold_seconds=0.1)
        first = asyncio.create_task(a.handle(query(nonce="1"), text_xml("慢问题", msg_id=42)))
        await asyncio.sleep(0.05)
        held = await b.handle(query(nonce="2"), text_xml("慢问题", msg_id=42))
        await first
        await asyncio.gather(a.drain(), b.drain())
        late = await b.handle(query(nonce="3"), text_xml("慢问题", msg_id=42))
        return held, late, bot_a, bot_b

    held, late, bot_a, bot_b = asyncio.run(scenario())
    assert held.body == "success"  # held open past WeChat's 5 s, so WeChat retries
    assert reply_content(late.body).startswith("答复1：慢问题")
    assert len(bot_a.calls) == 1 and bot_b.calls == []


def test_a_last_try_on_the_losing_worker_pushes_the_winners_reply_once() -> None:
    api = FakeWeChatApi(appid=APPID)

    async def scenario():
        http = httpx.AsyncClient(transport=api.transport())
        sender = CustomerServiceClient("http://fake", APPID, api.secret, MemoryStore(), client=http)
        store = MemoryStore()
        bot_a, bot_b = FakeBot(delay=0.4), FakeBot()
        timing = {"hold_seconds": 0.05, "reply_deadline": 0.05}
        a, b = worker(store, bot_a, sender, **timing), worker(store, bot_b, sender, **timing)
        msg = text_xml("很慢的问题", msg_id=43)
        replies = [await a.handle(query(nonce="1"), msg)]
        replies += [await b.handle(query(nonce=str(i)), msg) for i in (2, 3)]  # retries on b
        await asyncio.gather(a.drain(), b.drain())
        await sender.aclose()
        return replies, bot_a, bot_b

    replies, bot_a, bot_b = asyncio.run(scenario())
    assert [r.body for r in replies] == ["success"] * 3
    assert len(bot_a.calls) == 1 and bot_b.calls == []
    assert len(api.sent) == 1  # pushed by b, which answered the last try; a held its try
    assert api.sent[0]["text"]["content"].startswith("答复1：很慢的问题")


def test_a_message_claimed_by_a_crashed_worker_is_answered_by_a_retry() -> None:
    async def scenario():
        store = MemoryStore()
        # What a worker that died mid-answer leaves behind: its claim, no reply, no renewals.
        await store.claim("claim:msg:44", "crashed-worker", FAST_CLAIMS.ttl)
        bot = FakeBot()
        b = worker(store, bot, hold_seconds=1.0)
        started = time.monotonic()
        reply = await b.handle(query(), text_xml("科创中心在哪里？", msg_id=44))
        return reply, bot, time.monotonic() - started

    reply, bot, seconds = asyncio.run(scenario())
    assert reply_content(reply.body).startswith("答复1：科创中心在哪里？")
    assert bot.calls == [("o-user", "科创中心在哪里？")]
    assert FAST_CLAIMS.ttl * 0.8 <= seconds < 1.0  # waited for the claim to lapse, no longer


def test_a_retry_after_the_crashed_workers_claim_lapsed_is_answered_at_once() -> None:
    async def scenario():
        store = MemoryStore()
        await store.claim("claim:msg:45", "crashed-worker", 0.05)
        await asyncio.sleep(0.1)  # WeChat's next try comes seconds later
        bot = FakeBot()
        reply = await worker(store, bot).handle(query(), text_xml("问题", msg_id=45))
        return reply, bot

    reply, bot = asyncio.run(scenario())
    assert reply_content(reply.body).startswith("答复1：问题")
    assert len(bot.calls) == 1
