"""The officers' notification: a WeCom group-robot markdown message, posted with retries.

WeCom's robot answers HTTP 200 with `{"errcode": 0}` on success and HTTP 200 with another
errcode on failure (bad key, rate limit), so the body is read too. Investor-typed text is
escaped: it must not turn into links, mentions or formatting in the officers' group.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from store.models import Lead

MAX_CONTENT_BYTES = 4096  # WeCom's limit for markdown content
_MARKDOWN = re.compile(r"([\\`*_\[\]()<>#~>|!@])")
_KIND = {"mobile": "手机", "email": "邮箱", "wechat": "微信"}


@dataclass(frozen=True)
class Delivery:
    ok: bool
    attempts: int
    error: str = ""


def escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def lead_message(lead: Lead, max_bytes: int = MAX_CONTENT_BYTES) -> dict[str, Any]:
    """The WeCom markdown body for `lead`; the questions are cut first when it is too long."""
    head = [
        f"**新招商线索 #{lead.id}**",
        f"> 公司：{escape(lead.company) or '—'}",
        f"> 行业：{escape(lead.industry) or '—'}",
        f"> 需求：{escape(lead.needs) or '—'}",
        f"> 联系方式（{_KIND.get(lead.contact_kind, lead.contact_kind)}）：{escape(lead.contact)}",
        f"> 方便联系的时间：{escape(lead.preferred_time) or '—'}",
        f"> 渠道：{escape(lead.channel) or '—'}　语言：{lead.lang or '—'}",
    ]
    questions = [f"{i}. {escape(q)}" for i, q in enumerate(lead.questions or [], start=1)]
    lines = head + (["对话中的问题："] if questions else [])
    content = "\n".join(lines + questions)
    while len(content.encode("utf-8")) > max_bytes and questions:
        questions.pop()
        content = "\n".join([*lines, *questions, "…"])
    content = content.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return {"msgtype": "markdown", "markdown": {"content": content}}


def post_with_retries(url: str, body: dict[str, Any], attempts: int, backoff: float, timeout: float,
                      sleep: Callable[[float], None] = time.sleep,
                      transport: httpx.BaseTransport | None = None) -> Delivery:
    """POST `body` until it is accepted, at most `attempts` times, waiting backoff, 2·backoff, … between."""
    error = ""
    with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                sleep(backoff * 2 ** (attempt - 2))
            error = _try_once(client, url, body)
            if not error:
                return Delivery(True, attempt)
    return Delivery(False, attempts, error)


def _try_once(client: httpx.Client, url: str, body: dict[str, Any]) -> str:
    """'' when the receiver accepted the message, else what went wrong."""
    try:
        response = client.post(url, json=body)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if not response.is_success:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        reply = response.json()
    except ValueError:
        return ""  # a receiver that is not WeCom may answer with plain text: 2xx is acceptance
    if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
        return f"errcode {reply.get('errcode')}: {str(reply.get('errmsg', ''))[:200]}"
    return ""
