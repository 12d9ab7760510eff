"""`POST /api/feedback`: the widget's (and REST clients') 👍/👎 on an answer, served by web/serve.py.

    POST /api/feedback
    Content-Type: application/json
    {"message_id": "<from the answer's custom payload>", "sender": "<the sender id that asked>",
     "rating": 1 | -1, "reason": "optional, at most 500 characters"}

200 `{"ok": true, "replaced": false}` (true when it replaced the sender's earlier vote); 400 a body
that is not exactly that (the error names the field); 404 no such answer for this sender; 411/413/415
no length, too large, not JSON; 429 over the rate limit (Retry-After); 403 a browser origin not in
BOT_CORS. Checked like the channels' messages: the sender id as the channels check it, limits per
sender and per client address (BOT_RATE_LIMIT, BOT_RATE_LIMIT_IP, counted apart from messages).
Pages of other sites that embed the widget post here cross-origin: the preflight (OPTIONS) and the
answer carry CORS headers for the origins of BOT_CORS (unset: any origin, as under a bare `rasa run`).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from channels.ratelimit import MEMORY, AddressSet, RateLimiter, client_address, open_storage, redis_uri
from channels.validation import is_valid_sender, origin_matches
from knowledge.settings import StoreEnv, WebEnv
from store.db import Database
from store.feedback import MAX_REASON_CHARS, UnknownAnswer, Vote, record_vote
from store.pseudonym import Pseudonyms

log = logging.getLogger(__name__)

PATH = "/api/feedback"
MAX_BODY_BYTES = 4096  # a 500-character reason is at most 2,000 bytes of UTF-8 (6 escaped: 3,000)
FIELDS = {"message_id", "sender", "rating", "reason"}
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadVote(ValueError):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Reply:
    status: HTTPStatus
    body: dict[str, Any]
    headers: dict[str, str]

    def encoded(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def parse_vote(content_type: str, body: bytes) -> Vote:
    """A vote from a request body, validated strictly; BadVote says what is wrong."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise BadVote(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadVote(HTTPStatus.BAD_REQUEST, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadVote(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise BadVote(HTTPStatus.BAD_REQUEST, f"unknown fields: {', '.join(unknown)[:200]}")
    message_id, sender, rating, reason = (data.get(k) for k in ("message_id", "sender", "rating", "reason"))
    if not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id):
        raise BadVote(HTTPStatus.BAD_REQUEST, "message_id must be the id sent with the answer")
    if not is_valid_sender(sender):
        raise BadVote(HTTPStatus.BAD_REQUEST, "sender must be the sender id that asked (printable, at most 200 characters)")
    if isinstance(rating, bool) or rating not in (1, -1):  # JSON true would pass as 1
        raise BadVote(HTTPStatus.BAD_REQUEST, "rating must be 1 or -1")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise BadVote(HTTPStatus.BAD_REQUEST, "reason must be text")
    reason = clean_reason(reason)
    if len(reason) > MAX_REASON_CHARS:
        raise BadVote(HTTPStatus.BAD_REQUEST, f"reason must be at most {MAX_REASON_CHARS} characters")
    return Vote(message_id, str(sender), int(rating), reason)


def clean_reason(text: str) -> str:
    """Storable text: lone surrogates replaced, control characters other than line breaks dropped."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


class FeedbackEndpoint:
    """Validation, CORS, rate limits and storage of votes; HTTP-framework-free (web/serve.py calls it)."""

    def __init__(self, db: Database, pseudonyms: Pseudonyms, web: WebEnv) -> None:
        self.db = db
        self.pseudonyms = pseudonyms
        self.origins = web.cors or None
        self.exempt = AddressSet(web.rate_limit_exempt)
        self.trusted = AddressSet(web.trusted_proxies)
        storage_uri = web.rate_limit_storage or (
            redis_uri(web.redis_host, web.redis_port, web.redis_password) if web.redis_host else MEMORY)
        storage = open_storage(storage_uri) if web.rate_limit or web.rate_limit_ip else None
        self.senders = RateLimiter(web.rate_limit, storage, "feedback-sender") if storage and web.rate_limit else None
        self.addresses = (RateLimiter(web.rate_limit_ip, storage, "feedback-address")
                          if storage and web.rate_limit_ip else None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FeedbackEndpoint:
        store = StoreEnv.from_env(environ)
        db = Database.from_env(store)
        db.upgrade()  # idempotent: the web demo may start before anything else migrated
        return cls(db, Pseudonyms.from_env(store), WebEnv.from_env(environ))

    def cors_headers(self, origin: str | None, host: str | None) -> dict[str, str] | None:
        """Headers for a request from `origin`; None when that browser origin may not post here."""
        if not origin or origin.lower() in (f"http://{host}".lower(), f"https://{host}".lower()):
            return {}  # not a browser, or this site's own pages
        if self.origins is not None and not any(origin_matches(origin, p) for p in self.origins):
            return None
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def preflight(self, headers: Mapping[str, str]) -> Reply:
        cors = self.cors_headers(headers.get("Origin"), headers.get("Host"))
        if cors is None:
            return _error(HTTPStatus.FORBIDDEN, "this site may not send feedback here (BOT_CORS)")
        return Reply(HTTPStatus.NO_CONTENT, {}, {**cors, "Access-Control-Allow-Methods": "POST",
                                                 "Access-Control-Allow-Headers": "Content-Type",
                                                 "Access-Control-Max-Age": "600"})

    def post(self, headers: Mapping[str, str], forwarded_for: list[str], peer: str | None,
             read: Callable[[int], bytes]) -> Reply:
        """Handle one POST; `read(n)` reads n bytes of the body (only once its length is accepted)."""
        cors = self.cors_headers(headers.get("Origin"), headers.get("Host"))
        if cors is None:
            return _error(HTTPStatus.FORBIDDEN, "this site may not send feedback here (BOT_CORS)")
        reply = self._post(headers, forwarded_for, peer, read)
        return Reply(reply.status, reply.body, {**reply.headers, **cors})

    def _post(self, headers: Mapping[str, str], forwarded_for: list[str], peer: str | None,
              read: Callable[[int], bytes]) -> Reply:
        address = client_address(peer, forwarded_for, self.trusted)
        if self.addresses and address not in self.exempt and (wait := self.addresses.acquire(address or "?")):
            return _error(HTTPStatus.TOO_MANY_REQUESTS, "too many votes: try again later", {"Retry-After": str(wait)})
        length = headers.get("Content-Length", "")
        if not length.isdigit():
            return _error(HTTPStatus.LENGTH_REQUIRED, f"send a Content-Length of at most {MAX_BODY_BYTES} bytes")
        if int(length) > MAX_BODY_BYTES:  # refused unread
            return _error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body must be at most {MAX_BODY_BYTES} bytes")
        body = read(int(length))
        try:
            vote = parse_vote(headers.get("Content-Type", ""), body)
        except BadVote as exc:
            return _error(exc.status, str(exc))
        if self.senders and (wait := self.senders.acquire(self.pseudonyms(vote.sender))):
            return _error(HTTPStatus.TOO_MANY_REQUESTS, "too many votes: try again later", {"Retry-After": str(wait)})
        try:
            replaced = record_vote(self.db, self.pseudonyms, vote)
        except UnknownAnswer:
            return _error(HTTPStatus.NOT_FOUND, "no answer with this message_id for this sender")
        except Exception:
            log.exception("could not store feedback on %s", vote.message_id)
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "feedback cannot be stored right now")
        return Reply(HTTPStatus.OK, {"ok": True, "replaced": replaced}, {})


def _error(status: HTTPStatus, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": message}, headers or {})
