"""Signed session cookies and the CSRF token they carry.

The cookie holds the user's id, a stamp of their password hash (a changed password ends every session)
and a random CSRF token; it is signed and timed (itsdangerous), HttpOnly, SameSite=Strict and
Secure when the console is served over https. Every form carries the token; a POST without the
session's token is refused. A visitor who is not signed in gets a session too, so that the
sign-in form itself is protected.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "console_session"


@dataclass(frozen=True)
class SessionData:
    csrf: str
    user_id: int | None = None
    stamp: str = ""  # accounts.session_stamp of the user when they signed in
    flash: str = ""  # a message for the next page ("curated answer #3 saved")

    def signed_in(self, user_id: int, stamp: str) -> SessionData:
        # A new CSRF token at sign-in: a token seen before it is worth nothing after.
        return replace(self, user_id=user_id, stamp=stamp, csrf=new_token())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_session() -> SessionData:
    return SessionData(csrf=new_token())


def load_secret(configured: str, key_file: Path) -> str:
    """CONSOLE_SECRET_KEY, else a random key created once in `key_file` (owner-only)."""
    if configured:
        return configured
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


class SessionCodec:
    def __init__(self, secret: str, max_age_seconds: float) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="park-console-session")
        self.max_age = int(max_age_seconds)

    def dumps(self, data: SessionData) -> str:
        return self._serializer.dumps({"c": data.csrf, "u": data.user_id, "s": data.stamp, "f": data.flash})

    def loads(self, cookie: str | None) -> SessionData | None:
        if not cookie or len(cookie) > 4096:
            return None
        try:
            raw = self._serializer.loads(cookie, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("c"), str):
            return None
        user = raw.get("u")
        return SessionData(raw["c"], user if isinstance(user, int) else None, str(raw.get("s") or ""),
                           str(raw.get("f") or ""))


def same_token(given: object, expected: str) -> bool:
    return isinstance(given, str) and bool(expected) and secrets.compare_digest(given, expected)
