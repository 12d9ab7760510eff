"""Customer-service API client against the fake WeChat API (in-process transport)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from channels.wechat.api import CustomerServiceClient, WeChatApiError
from channels.wechat.cache import MemoryStore
from channels.wechat.fake_api import FakeWeChatApi
from channels.wechat.text import utf8_len


def client_for(api: FakeWeChatApi, secret: str = "test-secret") -> CustomerServiceClient:
    http = httpx.AsyncClient(transport=api.transport())
    return CustomerServiceClient("http://fake", api.appid, secret, MemoryStore(), client=http)


def test_messages_are_sent_with_one_cached_token() -> None:
    api = FakeWeChatApi()

    async def scenario() -> None:
        client = client_for(api)
        await client.send_text("o-user", "第一条回复。")
        await client.send_text("o-user", "second reply")
        await client.aclose()

    asyncio.run(scenario())
    assert api.token_requests == 1
    assert api.sent == [
        {"touser": "o-user", "msgtype": "text", "text": {"content": "第一条回复。"}},
        {"touser": "o-user", "msgtype": "text", "text": {"content": "second reply"}},
    ]


def test_an_invalidated_token_is_renewed_once() -> None:
    api = FakeWeChatApi()

    async def scenario() -> None:
        client = client_for(api)
        await client.send_text("o-user", "一")
        api.revoke_tokens()  # e.g. the token was refreshed elsewhere
        await client.send_text("o-user", "二")
        await client.aclose()

    asyncio.run(scenario())
    assert api.token_requests == 2
    assert [m["text"]["content"] for m in api.sent] == ["一", "二"]


def test_long_text_is_split_into_messages_of_at_most_2048_bytes() -> None:
    api = FakeWeChatApi()
    text = "园区为入驻企业提供租金减免和人才补贴等支持。" * 150

    async def scenario() -> None:
        client = client_for(api)
        await client.send_text("o-user", text)
        await client.aclose()

    asyncio.run(scenario())
    contents = [m["text"]["content"] for m in api.sent]
    assert len(contents) > 1
    assert all(utf8_len(c) <= 2048 for c in contents)
    assert "".join(contents) == text


def test_wrong_secret_raises_a_clear_error() -> None:
    api = FakeWeChatApi()

    async def scenario() -> None:
        client = client_for(api, secret="wrong")
        try:
            with pytest.raises(WeChatApiError) as info:
                await client.send_text("o-user", "x")
            assert info.value.errcode == 40125
        finally:
            await client.aclose()

    asyncio.run(scenario())
    assert api.sent == []


def test_non_json_answers_raise_wechat_api_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    async def scenario() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        client = CustomerServiceClient("http://x", "a", "s", MemoryStore(), client=http)
        with pytest.raises(WeChatApiError):
            await client.send_text("o", "x")
        await client.aclose()

    asyncio.run(scenario())


def test_request_body_is_utf8_json() -> None:
    seen: list[bytes] = []
    api = FakeWeChatApi()
    inner = api.transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/custom/send"):
            seen.append(request.content)
        return inner.handle_request(request)

    async def scenario() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        client = CustomerServiceClient("http://x", api.appid, api.secret, MemoryStore(), client=http)
        await client.send_text("o", "中文")
        await client.aclose()

    asyncio.run(scenario())
    assert "中文".encode() in seen[0]
    assert json.loads(seen[0])["text"]["content"] == "中文"


def test_secrets_in_request_urls_are_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    api = FakeWeChatApi()

    async def scenario() -> None:
        client = client_for(api)
        await client.send_text("o-user", "x")
        await client.aclose()

    with caplog.at_level("INFO", logger="httpx"):
        asyncio.run(scenario())
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "httpx")
    assert "cgi-bin/token" in logged
    assert "test-secret" not in logged
    assert "secret=***" in logged and "access_token=***" in logged
