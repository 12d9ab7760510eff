"""Rasa's Socket.IO channel with the same guard as REST, for the web widget.

Registered in bot/credentials.yml as `channels.socketio.CappedSocketIOInput`; its
name is still `socketio` (Socket.IO path `/socket.io`). Differences from Rasa's own:
- messages go through `MessageGuard` (rate limits, length cap, apology when the bot is
  silent);
- malformed events (not an object, `message` not a string, bad metadata, no valid
  session id) get a polite reply instead of an exception or silence;
- `session_request` really joins the session's room (Rasa 3.6 forgets to await it
  with python-socketio 5, so persistent sessions never received replies); a session id
  that is not a short printable string is replaced by a new one;
- browsers may connect only from the origins in BOT_CORS (space-separated, set by
  scripts/stack.py): Rasa disables python-engineio's Origin check, and WebSocket
  connections are not covered by the CORS headers that protect REST;
- BOT_RATE_LIMIT_IP applies to the client address of the connection (every event counts);
- custom payloads are emitted as `{"custom": {...}}` on the bot event, like the
  REST channel returns them (Rasa's own output passes them as keyword arguments
  to `emit`, which breaks for payloads such as `{"grounded": ..., "sources": ...}`).
Clients must send `session_request` first when `session_persistence` is true.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from sanic.request import Request
from socketio import AsyncServer

from channels.rest import MessageGuard, OnNewMessage
from channels.validation import allowed_origins, is_valid_sender, metadata_problem, origin_allowed
from knowledge.phrases import both

logger = logging.getLogger(__name__)

# The language of a malformed event is unknown: say it in both.
BAD_EVENT_TEXT = both("malformed")


class PayloadSocketIOOutput(SocketIOOutput):
    """Emits custom payloads as `{"custom": payload}` to the conversation's room."""

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class CappedSocketIOInput(SocketIOInput):
    """`socketio` channel guarded like REST."""

    def __init__(self, *args: Any, guard: MessageGuard | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard or MessageGuard()

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> SocketIOOutput | None:
        if self.sio is None:
            return super().get_output_channel()
        return PayloadSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        guard = self.guard
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by SocketIOInput.blueprint
        origins = allowed_origins()
        if origins is None:
            logger.warning("BOT_CORS is not set: Socket.IO accepts connections from any origin")
        rasa_connect = sio.handlers.get(self.namespace or "/", {}).get("connect")

        # Rasa turns python-engineio's Origin check off (and turning it on would send every
        # CORS header twice, with Rasa's own CORS layer): check Origin when a client joins.
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            if not origin_allowed(environ, origins):
                origin = str(environ.get("HTTP_ORIGIN"))[:100]
                logger.info("socket.io connection from origin %r refused (BOT_CORS)", origin)
                return False
            return True if rasa_connect is None else await rasa_connect(sid, environ, auth)

        # Registering the same event again replaces Rasa's handler with this one.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            await self._session_request(sio, sid, data)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:  # a bare event has no data
            await self._handle_message(sio, sid, data, guard.wrap(on_new_message))

        return webhook

    async def _session_request(self, sio: AsyncServer, sid: str, data: Any) -> None:
        """Confirm (or create) the session and join its room.

        Rasa 3.6 calls `sio.enter_room` without `await`, which python-socketio 5
        made a coroutine: the socket never joined the session's room and every bot
        reply to a persistent session was lost.
        """
        session_id = data.get("session_id") if isinstance(data, dict) else None
        if not is_valid_sender(session_id):
            session_id = uuid.uuid4().hex
        if self.session_persistence:
            await sio.enter_room(sid, session_id, namespace=self.namespace)
        await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

    async def _handle_message(
        self, sio: AsyncServer, sid: str, data: Any, on_new_message: OnNewMessage
    ) -> None:
        output = PayloadSocketIOOutput(sio, self.bot_message_evt)
        # Every event counts against the client's address, malformed ones too.
        request = _connection_request(sio, sid, self.namespace)
        wait = self.guard.request_wait(request) if request is not None else 0
        if wait:
            hint = data.get("message") if isinstance(data, dict) else None
            await self.guard.slow_down(output, sid, hint if isinstance(hint, str) else "", wait)
            return
        if not isinstance(data, dict):
            logger.info("socket.io event from %s refused: not an object", sid)
            await output.send_text_message(sid, BAD_EVENT_TEXT)
            return
        if self.session_persistence:
            session_id = data.get("session_id")
            if not is_valid_sender(session_id):
                # Rasa drops these silently; the socket's own room still reaches the client.
                logger.warning(
                    "socket.io message from %s without a valid session_id refused: clients "
                    "must send `session_request` first",
                    sid,
                )
                await output.send_text_message(sid, BAD_EVENT_TEXT)
                return
            sender_id = session_id
        else:
            sender_id = sid
        text = data.get("message")
        metadata = _metadata(data.get(self.metadata_key))
        if not isinstance(text, str) or metadata is None:
            logger.info("malformed socket.io message from %s refused", sender_id)
            await output.send_text_message(sender_id, BAD_EVENT_TEXT)
            return
        await on_new_message(
            UserMessage(text, output, sender_id, input_channel=self.name(), metadata=metadata)
        )


def _metadata(raw: Any) -> dict[str, Any] | None:
    """The event's metadata as a dict ({} when absent; a JSON string is parsed, as some
    widgets send it), or None when it is malformed or too big to store."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return None
    return None if metadata_problem(raw) else raw


def _connection_request(sio: AsyncServer, sid: str, namespace: str | None) -> Request | None:
    """The HTTP request that opened the connection (python-engineio keeps Sanic's request)."""
    try:
        return sio.get_environ(sid, namespace=namespace).get("sanic.request")
    except (KeyError, AttributeError):
        return None
