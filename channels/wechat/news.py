"""An answer as a news card (图文消息) linking to its article, when the article has a URL.

Sources may carry the article's `url` (and `published`) once the articles do; a grounded answer
whose first source has an http(s) URL is then sent as one news item: the article's title, the
reply text as the description (the answer, its source line and numbered options, cut to fit),
and the link. Without a URL the reply stays plain text. A news reply is cached like a text one
(an encoded string), so WeChat's retries and the 5-second rule work unchanged; when it has to go
out late through the customer-service API, it goes as text with the link.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from channels.wechat.text import MAX_REPLY_BYTES, shorten
from channels.wechat.xmlmsg import IncomingMessage, cdata

PREFIX = "\x01news\x01"  # marks a cached reply as a news card (text replies never start with \x01)
MAX_TITLE_BYTES = 192
MAX_URL_CHARS = 1024


@dataclass(frozen=True)
class News:
    title: str
    description: str
    url: str

    def encode(self) -> str:
        return PREFIX + json.dumps([self.title, self.description, self.url], ensure_ascii=False)

    def as_text(self) -> str:
        return shorten(f"{self.description}\n{self.url}", MAX_REPLY_BYTES)


def decode(cached: str) -> News | None:
    if not cached.startswith(PREFIX):
        return None
    try:
        title, description, url = json.loads(cached[len(PREFIX):])
        return News(str(title), str(description), str(url))
    except (ValueError, TypeError):
        return None


def article_link(messages: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    """(title, url) of a grounded answer's first source, when it has a usable URL."""
    for message in messages:
        custom = message.get("custom") if isinstance(message, Mapping) else None
        if not isinstance(custom, Mapping) or custom.get("grounded") is not True:
            continue
        sources = custom.get("sources")
        first = sources[0] if isinstance(sources, list) and sources else None
        url = str(first.get("url") or "") if isinstance(first, Mapping) else ""
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname and len(url) <= MAX_URL_CHARS:
            return str(first.get("title") or "").strip(), url  # type: ignore[union-attr]
    return None


def news_for(text: str, link: tuple[str, str] | None) -> News | None:
    if link is None or not text:
        return None
    title, url = link
    # Title and description together stay within the text reply's 2048 bytes.
    title = shorten(title or text.splitlines()[0], MAX_TITLE_BYTES)
    return News(title, shorten(text, MAX_REPLY_BYTES - len(title.encode("utf-8"))), url)


def build_news_reply(incoming: IncomingMessage, news: News, now: float | None = None) -> str:
    """Passive news reply with one article."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(incoming.from_user)}</ToUserName>"
        f"<FromUserName>{cdata(incoming.to_user)}</FromUserName>"
        f"<CreateTime>{int(time.time() if now is None else now)}</CreateTime>"
        f"<MsgType>{cdata('news')}</MsgType><ArticleCount>1</ArticleCount><Articles><item>"
        f"<Title>{cdata(news.title)}</Title><Description>{cdata(news.description)}</Description>"
        f"<PicUrl>{cdata('')}</PicUrl><Url>{cdata(news.url)}</Url>"
        "</item></Articles></xml>"
    )
