"""Pure checks of what users send, shared by the REST and Socket.IO channels (no Rasa import).

- sender ids become conversation keys and appear in logs: short, printable text only
  (a newline in a sender forges log lines; a lone surrogate cannot be stored as UTF-8
  and made Rasa's tracker store fall back to memory);
- metadata is stored with every message: plain JSON of at most MAX_METADATA_BYTES;
- message text: lone surrogates replaced, and a leading "/" dropped so that nobody can
  use Rasa's "/intent{entities}" syntax (e.g. "/restart") from a public channel;
- browser origins (BOT_CORS) for Socket.IO, matched like Rasa's `--cors` (sanic-cors)
  matches them for HTTP, so that both transports accept the same sites.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from knowledge.settings import ChannelEnv

MAX_SENDER_CHARS = 200
MAX_METADATA_BYTES = 8 * 1024

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_REGEX_CHARS = ("*", "\\", "]", "?")  # sanic-cors's test for "this origin is a pattern"


def safe_text(text: str) -> str:
    """Text as Rasa should see it: storable as UTF-8, without the "/intent" command syntax."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return text.lstrip().lstrip("/")


def is_valid_sender(sender: object) -> bool:
    """A sender id that is safe as a conversation key and in logs: short, printable text."""
    return (
        isinstance(sender, str)
        and bool(sender.strip())
        and len(sender) <= MAX_SENDER_CHARS
        # control (newlines), format (bidi overrides), surrogates, private use, unassigned
        and not any(unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" for ch in sender)
    )


def metadata_problem(metadata: object) -> str | None:
    """Why `metadata` cannot be stored with a message, or None when it can."""
    if not isinstance(metadata, dict):
        return "must be a JSON object"
    try:
        size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        return "must be plain JSON in valid Unicode"
    if size > MAX_METADATA_BYTES:
        return f"must be at most {MAX_METADATA_BYTES} bytes of JSON"
    return None


def allowed_origins(environ: Mapping[str, str] | None = None) -> tuple[str, ...] | None:
    """Browser origins allowed to connect (BOT_CORS, space-separated), None when unset."""
    return ChannelEnv.from_env(environ).cors or None


def origin_matches(origin: str, pattern: str) -> bool:
    """sanic-cors's rule: "*" is any origin; a pattern with * \\ ] or ? is a regular
    expression matched at the start (anchor it with $), anything else equal ignoring case."""
    if pattern == "*":
        return True
    if any(c in pattern for c in _REGEX_CHARS):
        try:
            return re.match(pattern, origin, flags=re.IGNORECASE) is not None
        except re.error:
            return False
    return origin.lower() == pattern.lower()


def origin_allowed(environ: Mapping[str, Any], origins: tuple[str, ...] | None) -> bool:
    """Whether a connection's Origin header (absent for non-browser clients) may connect:
    the server's own origin or one of `origins` (None: no restriction). Several Origin
    headers (joined with ",") must all be allowed."""
    raw = environ.get("HTTP_ORIGIN")
    if not raw or origins is None:
        return True
    own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
    return all(
        origin.strip().lower() == own.lower()
        or any(origin_matches(origin.strip(), pattern) for pattern in origins)
        for origin in str(raw).split(",")
    )
