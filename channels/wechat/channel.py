"""Rasa `InputChannel` for WeChat official accounts: a thin Sanic layer over `WeChatService`.

Registered in credentials.yml as `channels.wechat.WeChatInput:`; the webhook URL is
`/webhooks/wechat/webhook` (GET: URL verification, POST: messages).
Imported only by Rasa (the Rasa venv); everything it delegates to is pure and tested apart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rest import MessageGuard
from channels.wechat.api import CustomerServiceClient
from channels.wechat.cache import make_store
from channels.wechat.config import WeChatSettings
from channels.wechat.service import HttpReply, WeChatService, error_reply

log = logging.getLogger(__name__)


def _to_response(reply: HttpReply) -> HTTPResponse:
    return response.text(reply.body, status=reply.status, content_type=reply.content_type)


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The streamed body, or None as soon as it grows past `limit` (never buffered whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class WeChatInput(InputChannel):
    """WeChat official-account webhook; configuration from WECHAT_* environment variables."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeChatInput:
        return cls(WeChatSettings.from_env(credentials=credentials))

    def __init__(self, settings: WeChatSettings | None = None) -> None:
        self.settings = settings or WeChatSettings.from_env()
        self.service: WeChatService | None = None

    def _build_service(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> WeChatService:
        s = self.settings
        # The same guard as REST and Socket.IO: per-sender rate limit, apology when the bot is silent.
        on_new_message = MessageGuard().wrap(on_new_message)
        store = make_store(s.redis_url, s.cache_size)
        sender = CustomerServiceClient(s.api_base, s.appid, s.appsecret, store) if s.can_push else None

        async def ask_bot(sender_id: str, text: str, metadata: dict[str, Any]) -> list[dict]:
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
            return collector.messages

        return WeChatService(s, ask_bot, store, sender)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        service = self.service = self._build_service(on_new_message)
        wechat_webhook = Blueprint("wechat_webhook", __name__)

        @wechat_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @wechat_webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            query = {k: v[0] for k, v in request.args.items() if v}
            return _to_response(service.verify(query))

        @wechat_webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await _read_capped(request, self.settings.max_body_bytes)
            if body is None:
                return _to_response(error_reply(413))
            query = {k: v[0] for k, v in request.args.items() if v}
            try:
                return _to_response(await service.handle(query, body))
            except Exception:
                # Never leak exception text; WeChat shows its own error to the user.
                log.exception("WeChat webhook failed")
                return _to_response(error_reply(500))

        @wechat_webhook.listener("after_server_stop")
        async def close(app: Any, loop: Any) -> None:
            await service.drain()
            if service.sender is not None:
                await service.sender.aclose()

        return wechat_webhook
