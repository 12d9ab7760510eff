"""An answer whose article has a URL goes out as a news card (图文) within WeChat's limits."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.wechat.cache import MemoryStore
from channels.wechat.config import WeChatSettings
from channels.wechat.news import article_link, decode, news_for
from channels.wechat.service import WeChatService
from channels.wechat.signature import compute_signature
from channels.wechat.xmlmsg import build_xml, parse_xml_fields

URL = "https://park.example/news/2026/innovation-center.html"


def answer(url: Any = URL, text: str = "根据《园区介绍》：科创中心位于城南。") -> list[dict[str, Any]]:
    source = {"title": "园区介绍", "section": "概况", "text": "…", **({"url": url} if url is not None else {})}
    return [{"text": text, "buttons": [{"title": "科创中心在哪里？", "payload": "科创中心在哪里？"}]},
            {"custom": {"grounded": True, "sources": [source]}}]


def handle(messages: list[dict[str, Any]]) -> str:
    async def bot(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        return messages

    service = WeChatService(WeChatSettings(token="tok"), bot, MemoryStore(), clock=lambda: 1700000000.0)
    query = {"timestamp": "1700000000", "nonce": "1", "signature": compute_signature("tok", "1700000000", "1")}
    body = build_xml({"ToUserName": "gh", "FromUserName": "o-user", "CreateTime": 1700000000, "MsgType": "text",
                      "Content": "科创中心", "MsgId": 1}).encode()
    return asyncio.run(service.handle(query, body)).body


def test_an_answer_with_an_article_url_is_a_news_card_linking_to_it() -> None:
    xml = handle(answer())
    assert "<MsgType><![CDATA[news]]></MsgType>" in xml and "<ArticleCount>1</ArticleCount>" in xml
    assert f"<Url><![CDATA[{URL}]]></Url>" in xml and "<Title><![CDATA[园区介绍]]></Title>" in xml
    assert "科创中心位于城南" in xml and "回复数字" in xml  # the answer and its numbered options


def test_without_a_usable_url_the_answer_stays_text() -> None:
    for url in (None, "", "javascript:alert(1)", "ftp://park.example/x", "https://" + "x" * 2000):
        fields = parse_xml_fields(handle(answer(url)).encode())
        assert fields["MsgType"] == "text", url


def test_a_declined_answer_never_links_and_a_card_fits_the_reply_limit() -> None:
    declined = [{"text": "没有找到"}, {"custom": {"grounded": False, "sources": [], "related": [{"url": URL}]}}]
    assert article_link(declined) is None
    news = news_for("长" * 3000, ("标题" * 200, URL))
    assert news is not None
    assert len(news.title.encode()) + len(news.description.encode()) <= 2048
    assert decode(news.encode()) == news and URL in news.as_text()
    assert decode("ordinary text") is None and decode("\x01news\x01{broken") is None
