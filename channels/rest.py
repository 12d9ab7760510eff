"""Rasa's REST channel with a guard: validated bodies, capped length, always a reply.

Registered in bot/credentials.yml as `channels.rest.CappedRestInput`; its name is
still `rest`, so the URL stays `POST /webhooks/rest/webhook`.

`MessageGuard` is shared by every channel of this project (see channels/socketio.py):
- a sender over BOT_RATE_LIMIT (default 20 messages per 60 s) is asked to slow down
  and Rasa never sees the message; a client address over BOT_RATE_LIMIT_IP (default 60
  per 60 s) too (REST answers HTTP 429 with Retry-After); counts are shared through Redis
  when scale-out is configured; see channels/ratelimit.py;
- a message longer than BOT_MAX_MESSAGE_CHARS (default 500) gets a polite "too long"
  naming the limit and never reaches Rasa (a 30,000-character message once
  drove Rasa's n-gram featuriser to 23 GB);
- text is made safe to store and a leading "/" (Rasa's "/intent" syntax) is dropped
  (channels/validation.py);
- when Rasa produces no reply at all (action server down or too slow, a crash),
  the user gets an apology in their language and the log names the cause.
REST bodies are validated: a missing or odd sender (control characters, over 200
characters), a non-string message or oversized metadata get HTTP 400, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import action_validator
from channels.menu import MenuMemory, buttons_of
from channels.ratelimit import (
    MEMORY,
    AddressSet,
    RateLimiter,
    client_address,
    open_storage,
    redis_uri,
)
from channels.validation import MAX_SENDER_CHARS, is_valid_sender, metadata_problem, safe_text
from knowledge.phrases import Button, detect_lang, phrase
from knowledge.settings import ChannelEnv, Rate

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class GuardSettings:
    """The guard's settings, from the settings table's `ChannelEnv` (knowledge/settings.py)."""

    max_chars: int = ChannelEnv.max_message_chars  # BOT_MAX_MESSAGE_CHARS
    reply_timeout: float = ChannelEnv.reply_timeout  # BOT_REPLY_TIMEOUT, seconds Rasa may take to answer
    # BOT_RATE_LIMIT: messages per sender ("20/60"; "0"/"off" = no limit)
    sender_rate: Rate | None = ChannelEnv.rate_limit
    # BOT_RATE_LIMIT_IP: messages per client address: a client can invent sender ids, not addresses
    address_rate: Rate | None = ChannelEnv.rate_limit_ip
    # BOT_RATE_LIMIT_EXEMPT: addresses/networks never limited per address (default: loopback)
    exempt: AddressSet = field(default_factory=lambda: AddressSet(ChannelEnv.rate_limit_exempt))
    # BOT_TRUSTED_PROXIES: reverse proxies whose X-Forwarded-For names the client (default none)
    trusted_proxies: AddressSet = field(default_factory=AddressSet)
    # BOT_RATE_LIMIT_STORAGE: where the counts live, a `limits` storage URI (default: Redis
    # when REDIS_HOST, the scale-out variable, is set, so that all servers share them; else memory)
    storage_uri: str = field(default=MEMORY, repr=False)  # may hold a password
    menu_ttl: float = ChannelEnv.menu_ttl  # BOT_MENU_TTL: seconds a numbered menu can be answered with its number

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GuardSettings:
        env = ChannelEnv.from_env(environ)
        return cls(
            max_chars=env.max_message_chars,
            reply_timeout=env.reply_timeout,
            sender_rate=env.rate_limit,
            address_rate=env.rate_limit_ip,
            exempt=AddressSet(env.rate_limit_exempt),
            trusted_proxies=AddressSet(env.trusted_proxies),
            storage_uri=env.rate_limit_storage
            or (redis_uri(env.redis_host, env.redis_port, env.redis_password) if env.redis_host else MEMORY),
            menu_ttl=env.menu_ttl,
        )


def channel_text(key: str, text: str, **values: Any) -> str:
    """A text of knowledge.phrases in the language of the user's message."""
    return phrase(key, detect_lang(text), **values)


class _CountingOutput(OutputChannel):
    """Passes every bot message on to the real output channel, counts them and keeps their buttons."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self.buttons: list[Button] = []

    def name(self) -> str:  # type: ignore[override]  # the channel's name, for Rasa's NLG
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        self.buttons.extend(buttons_of(message))
        await self.inner.send_response(recipient_id, message)


class MessageGuard:
    """Wraps Rasa's `on_new_message` callback with rate limits, the length cap and the
    no-reply apology."""

    def __init__(self, settings: GuardSettings | None = None) -> None:
        self.settings = settings or GuardSettings.from_env()
        s = self.settings
        self.menus = MenuMemory(s.menu_ttl)
        self._senders: RateLimiter | None = None
        self._addresses: RateLimiter | None = None
        if s.sender_rate or s.address_rate:
            storage = open_storage(s.storage_uri)
            if s.storage_uri != MEMORY:
                where = urlsplit(s.storage_uri)  # never log the URI: it may hold a password
                logger.info("rate limits counted in %s://%s:%s", where.scheme, where.hostname, where.port)
            if s.sender_rate:
                self._senders = RateLimiter(s.sender_rate, storage, "sender")
            if s.address_rate:
                self._addresses = RateLimiter(s.address_rate, storage, "address")

    def wrap(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def guarded(message: UserMessage) -> None:
            await self.handle(message, on_new_message)

        return guarded

    def client_of(self, request: Request) -> str | None:
        """The request's client address: its peer, or the address a trusted proxy forwarded."""
        forwarded = request.headers.getall("x-forwarded-for", [])
        return client_address(request.ip, forwarded, self.settings.trusted_proxies)

    def request_wait(self, request: Request) -> int:
        """Seconds the request's client must wait (0: go ahead); counts the request."""
        address = self.client_of(request)
        if self._addresses is None or not address or address in self.settings.exempt:
            return 0
        wait = self._addresses.acquire(address)
        if wait:
            logger.info("client %s over BOT_RATE_LIMIT_IP=%s", address, self.settings.address_rate)
        return wait

    async def slow_down(self, output: OutputChannel, recipient: str, text: str, wait: int) -> None:
        await output.send_text_message(recipient, channel_text("slow_down", text, seconds=wait))

    async def handle(self, message: UserMessage, on_new_message: OnNewMessage) -> None:
        text = message.text or ""
        output = message.output_channel
        sender = message.sender_id
        if self._senders is not None:
            wait = self._senders.acquire(sender)
            if wait:
                logger.info("sender %s over BOT_RATE_LIMIT=%s", sender, self.settings.sender_rate)
                await self.slow_down(output, sender, text, wait)
                return
        if len(text) > self.settings.max_chars:
            logger.info(
                "message from %s refused: %d characters > BOT_MAX_MESSAGE_CHARS=%d",
                sender,
                len(text),
                self.settings.max_chars,
            )
            await output.send_text_message(
                sender, channel_text("too_long", text, limit=self.settings.max_chars)
            )
            return
        message.text = safe_text(text)
        if not message.text.strip():
            await output.send_text_message(sender, channel_text("empty", text))
            return

        # "2" after a numbered menu is the second option (WeChat resolves its own before this).
        message.text = self.menus.resolve(sender, message.text) or message.text
        counting = _CountingOutput(output)
        message.output_channel = counting
        try:
            await asyncio.wait_for(on_new_message(message), self.settings.reply_timeout)
        except asyncio.TimeoutError:
            logger.error(
                "no reply to %s within BOT_REPLY_TIMEOUT=%.0f s (is the action server slow?)",
                sender,
                self.settings.reply_timeout,
            )
        except Exception:
            logger.exception("handling a message from %s failed", sender)
        self.menus.remember(sender, counting.buttons)
        if counting.sent == 0:
            logger.error(
                "the bot produced no reply to %s: the action server is probably down or "
                "failing (see the errors above); sending an apology",
                sender,
            )
            await output.send_text_message(sender, channel_text("no_reply", text))


def _json_object(request: Request) -> dict[str, Any]:
    body = request.json  # raises InvalidUsage (400) on malformed JSON
    if not isinstance(body, dict):
        raise InvalidUsage('the body must be a JSON object like {"sender": ..., "message": ...}')
    return body


class CappedRestInput(RestInput):
    """`rest` channel: 400 on malformed bodies, rate limits, length cap and apology via
    MessageGuard."""

    def __init__(self, guard: MessageGuard | None = None) -> None:
        self.guard = guard or MessageGuard()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> CappedRestInput:
        # Rasa's start-up builds the channels from credentials.yml: patch Rasa once, here.
        action_validator.install()
        return cls()

    async def _extract_sender(self, req: Request) -> str:
        sender = _json_object(req).get("sender")
        if sender is None:
            # Rasa would file every anonymous message under one shared conversation,
            # "default", mixing strangers' follow-ups: each client must name itself.
            raise InvalidUsage('"sender" is missing: send {"sender": "<conversation id>", ...}')
        if isinstance(sender, int) and not isinstance(sender, bool):
            sender = str(sender)
        if not is_valid_sender(sender):
            raise InvalidUsage(f'"sender" must be a printable string of 1 to {MAX_SENDER_CHARS} characters')
        return sender

    def _extract_message(self, req: Request) -> str:
        text = _json_object(req).get("message")
        if not isinstance(text, str):
            raise InvalidUsage('"message" must be a string')
        return text

    def _extract_input_channel(self, req: Request) -> str:
        # Rasa lets the body name any channel; a public client must not pose as WeChat.
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = _json_object(request).get("metadata")
        if metadata is None:
            return None
        problem = metadata_problem(metadata)
        if problem:
            raise InvalidUsage(f'"metadata" {problem}')
        return metadata

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = super().blueprint(self.guard.wrap(on_new_message))
        guard = self.guard

        @webhook.middleware("request")  # a blueprint's middleware runs for its routes only
        async def limit_addresses(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            wait = guard.request_wait(request)
            if not wait:
                return None
            return _too_many_requests(request, wait)

        return webhook


def _too_many_requests(request: Request, wait: int) -> HTTPResponse:
    """HTTP 429 with Retry-After; the body has the REST reply's shape, so chat clients show it."""
    try:
        body = request.json
    except InvalidUsage:
        body = None
    body = body if isinstance(body, dict) else {}
    sender = body.get("sender") if is_valid_sender(body.get("sender")) else None
    text = body.get("message") if isinstance(body.get("message"), str) else ""
    return response.json(
        [{"recipient_id": sender, "text": channel_text("slow_down", text, seconds=wait)}],
        status=429,
        headers={"Retry-After": str(wait)},
    )
