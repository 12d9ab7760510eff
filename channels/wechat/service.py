"""The connector's request handling, independent of the web framework (tested without Rasa).

Timing (WeChat gives each try 5 s and makes `max_tries` tries per message):
- every message is answered once: its first request in a process starts one task, keyed by
  MsgId (events: FromUserName + CreateTime); retries await that same task or read the reply
  cache. Across processes (Redis store) the task asks the bot only if it wins the message's
  claim (see claim.py); otherwise it waits for the reply the winning process caches;
- an earlier try that is not ready keeps the request open for `hold_seconds`, past WeChat's 5 s,
  so WeChat retries (answering `success` would tell WeChat to stop retrying);
- the last try answers `success` after `reply_deadline` and the reply goes out through the
  customer-service API when the task finishes (if app id and secret are configured).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from channels.wechat.api import CustomerServiceClient
from channels.wechat.cache import KeyValueStore
from channels.wechat.claim import ClaimTiming, MessageClaims
from channels.wechat.config import WeChatSettings
from channels.wechat.crypto import WeChatCrypto
from channels.wechat.errors import DecryptError, SignatureError, WeChatError
from channels.wechat.formatting import dump_buttons, format_messages, load_buttons, resolve_choice
from channels.wechat.menu import question_for
from channels.wechat.news import article_link, build_news_reply, decode, news_for
from channels.wechat.signature import verify_request
from channels.wechat.xmlmsg import IncomingMessage, build_text_reply, parse_message
from knowledge.phrases import both, detect_lang, phrase

log = logging.getLogger(__name__)

# (sender_id = OpenID, text, metadata) -> the bot's messages, as CollectingOutputChannel has them
BotFn = Callable[[str, str, dict[str, Any]], Awaitable[list[dict[str, Any]]]]

NO_REPLY = "\x00"  # cached marker for "answer with `success`" (events that need no text)
_STATUS_BODY = {
    400: "bad request",
    403: "forbidden",
    413: "payload too large",
    500: "server error",
}


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def error_reply(status: int) -> HttpReply:
    # A fixed body per status: exception text never reaches the caller.
    return HttpReply(status, _STATUS_BODY.get(status, "error"))


SUCCESS = HttpReply(200, "success")


class WeChatService:
    def __init__(
        self,
        settings: WeChatSettings,
        bot: BotFn,
        store: KeyValueStore,
        sender: CustomerServiceClient | None = None,
        clock: Callable[[], float] = time.time,
        claim_timing: ClaimTiming | None = None,
    ) -> None:
        self.settings = settings
        self._bot = bot
        self._store = store
        self._claims = MessageClaims(store, claim_timing)
        self.sender = sender
        self._clock = clock
        self._crypto = (
            WeChatCrypto(settings.token, settings.aes_key, settings.appid) if settings.aes_key else None
        )
        self._inflight: dict[str, asyncio.Task[str]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self.bot_calls = 0  # observable: retries must not ask the bot again

    # -- GET: URL verification ----------------------------------------------------------------
    def verify(self, query: Mapping[str, str]) -> HttpReply:
        """Return `echostr` only when the signature is valid."""
        echostr = query.get("echostr", "")
        try:
            if query.get("msg_signature") and self._crypto and not query.get("signature"):
                # Encrypted echostr (WeCom-style check); official accounts send it plain.
                plain = self._crypto.decrypt_echostr(
                    echostr, query.get("msg_signature"), query.get("timestamp"), query.get("nonce")
                )
                return HttpReply(200, plain)
            self._verify(query, self._clock())
        except WeChatError as exc:
            return error_reply(exc.status)
        if not echostr:
            return error_reply(400)
        return HttpReply(200, echostr)

    def _verify(self, query: Mapping[str, str], now: float) -> None:
        """The plain `signature` check every GET and POST carries (raises WeChatError)."""
        s = self.settings
        verify_request(
            s.token,
            query.get("timestamp"),
            query.get("nonce"),
            query.get("signature"),
            s.timestamp_window,
            now,
        )

    # -- POST: messages -----------------------------------------------------------------------
    def parse(self, query: Mapping[str, str], body: bytes) -> tuple[IncomingMessage, bool]:
        """Check the request and return (message, encrypted); raise WeChatError if bad."""
        s = self.settings
        now = self._clock()
        self._verify(query, now)
        if query.get("encrypt_type", "raw").lower() != "aes":
            return parse_message(body, s.max_body_bytes), False
        if self._crypto is None:
            raise DecryptError("encrypted message but WECHAT_AES_KEY is not configured")
        inner = self._crypto.decrypt_message(
            body,
            query.get("msg_signature"),
            query.get("timestamp"),
            query.get("nonce"),
            s.timestamp_window,
            s.max_body_bytes,
            now,
        )
        return parse_message(inner, s.max_body_bytes), True

    async def handle(self, query: Mapping[str, str], body: bytes) -> HttpReply:
        try:
            message, encrypted = self.parse(query, body)
        except SignatureError:
            return error_reply(403)
        except WeChatError as exc:
            return error_reply(exc.status)
        text = await self.reply_text(message)
        if text is None:
            return SUCCESS
        news = decode(text)  # an answer with its article's link goes as a news card
        xml = build_news_reply(message, news, self._clock()) if news else build_text_reply(message, text, self._clock())
        if encrypted and self._crypto is not None:
            xml = self._crypto.encrypt_message(xml, query.get("nonce", ""), str(int(self._clock())))
        return HttpReply(200, xml, "application/xml; charset=utf-8")

    # -- de-duplication and timing ------------------------------------------------------------
    async def reply_text(self, message: IncomingMessage) -> str | None:
        """The reply for this message (shared by its retries), or None for `success`."""
        s = self.settings
        key = message.dedup_key
        cached = await self._store.get("reply:" + key)
        if cached is not None:
            return None if cached == NO_REPLY else cached
        tries = await self._store.incr("try:" + key, max(s.reply_ttl, 60.0))
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._resolve(message))
            self._inflight[key] = task
            task.add_done_callback(lambda _t, k=key: self._inflight.pop(k, None))
        last_try = tries >= s.max_tries
        try:
            # shield: a dropped connection cancels this handler, never the shared bot task
            result = await asyncio.wait_for(
                asyncio.shield(task), s.reply_deadline if last_try else s.hold_seconds
            )
        except asyncio.TimeoutError:
            if last_try:
                self._send_later(message, task)
            return None
        return None if result == NO_REPLY else result

    def _send_later(self, message: IncomingMessage, task: asyncio.Task[str]) -> None:
        if self.sender is None:
            log.warning(
                "reply for %s not ready in time and no customer-service API configured",
                message.dedup_key,
            )
            return

        async def push() -> None:
            text = await asyncio.shield(task)
            if text != NO_REPLY and self.sender is not None:
                news = decode(text)
                try:
                    await self.sender.send_text(message.from_user, news.as_text() if news else text)
                except Exception:
                    log.exception("customer-service send failed for %s", message.dedup_key)

        self._keep(asyncio.create_task(push()))

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background work (late customer-service sends); for shutdown and tests."""
        while self._background or self._inflight:
            await asyncio.gather(*self._background, *self._inflight.values(), return_exceptions=True)

    # -- producing a reply --------------------------------------------------------------------
    async def _resolve(self, message: IncomingMessage) -> str:
        """The reply: asked of the bot here if this process wins the message's claim, else the
        one another process (sharing the Redis store) produces and caches."""
        key = message.dedup_key
        reply = await self._claims.answer_once(
            key,
            cached=lambda: self._store.get("reply:" + key),
            produce=lambda: self._produce(message),
            # bound for a holder that is alive but never answers: past it, retries are over
            give_up=max(self.settings.reply_ttl, 60.0),
        )
        if reply is None:
            log.warning("no reply for %s from the process that claimed it", key)
            return NO_REPLY
        return reply

    async def _produce(self, message: IncomingMessage) -> str:
        try:
            text = await self._answer(message)
        except Exception:
            log.exception("bot failed for %s", message.dedup_key)
            text = phrase("no_reply", detect_lang(message.content))
        value = NO_REPLY if text is None else text
        await self._store.set("reply:" + message.dedup_key, value, self.settings.reply_ttl)
        return value

    async def _answer(self, message: IncomingMessage) -> str | None:
        kind = message.msg_type
        if kind == "event":
            return await self._answer_event(message)
        if kind == "voice":
            # Accounts with speech recognition enabled get the transcript: treat it as text.
            heard = (message.fields.get("Recognition") or "").strip()
            return await self._answer_text(message, heard) if heard else both("voice_unrecognised")
        if kind == "text":
            return await self._answer_text(message, message.content)
        return both("text_only")

    async def _answer_event(self, message: IncomingMessage) -> str | None:
        if message.event == "subscribe":
            return await self._ask(message, self.settings.welcome_trigger, "zh")
        if message.event == "click" and message.fields.get("EventKey"):
            return await self._ask(message, question_for(message.fields["EventKey"]), "zh")
        return None  # unsubscribe, view, scan, location, …: nothing to say

    async def _answer_text(self, message: IncomingMessage, content: str) -> str:
        text = content.strip()
        lang = detect_lang(text)
        if not text:
            return phrase("empty", lang)
        limit = self.settings.max_message_chars
        if len(text) > limit:
            # Rasa's featurisers cost memory and time with text length: never pass it on.
            return phrase("too_long", lang, limit=limit)
        buttons = load_buttons(await self._store.get("buttons:" + message.from_user))
        payload = resolve_choice(text, buttons)
        return await self._ask(message, payload or text, lang)

    async def _ask(self, message: IncomingMessage, text: str, lang: str) -> str:
        self.bot_calls += 1
        metadata = {"wechat": {"msg_type": message.msg_type, "msg_id": message.msg_id}}
        messages = await self._bot(message.from_user, text, metadata)
        reply = format_messages(messages)
        key = "buttons:" + message.from_user
        if reply.buttons:
            await self._store.set(key, dump_buttons(reply.buttons), self.settings.buttons_ttl)
        else:
            await self._store.delete(key)  # an old number must not pick a stale option
        news = news_for(reply.text, article_link(messages))
        return news.encode() if news else reply.text or phrase("no_answer", lang)
