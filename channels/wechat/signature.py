"""Request signatures: sha1 of the sorted parameters, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import time

from channels.wechat.errors import SignatureError


def compute_signature(*parts: str) -> str:
    """sha1 hex digest of the parts sorted as strings and joined (WeChat's scheme).

    With (token, timestamp, nonce) it is `signature`; with the `Encrypt` text added it is
    `msg_signature` of safe mode.
    """
    joined = "".join(sorted(str(p) for p in parts))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def signature_matches(expected_parts: tuple[str, ...], given: str | None) -> bool:
    """True when `given` is the signature of `expected_parts`; constant-time comparison."""
    if not given:
        return False
    expected = compute_signature(*expected_parts)
    # compare_digest wants same-type str of ASCII; a non-ASCII "signature" is simply wrong.
    try:
        return hmac.compare_digest(expected, given.strip().lower())
    except TypeError:
        return False


def check_timestamp(timestamp: str | None, max_skew: float, now: float | None = None) -> int:
    """Parse `timestamp` and reject it when further than `max_skew` seconds from now.

    `max_skew <= 0` disables the window (the value must still be an integer). Rejecting old
    timestamps stops a captured, validly signed request from being replayed later.
    """
    if not timestamp or not timestamp.strip().isdigit() or len(timestamp.strip()) > 12:
        raise SignatureError("timestamp missing or not an integer")
    value = int(timestamp.strip())
    if max_skew > 0:
        current = time.time() if now is None else now
        if abs(current - value) > max_skew:
            raise SignatureError("timestamp outside the allowed window")
    return value


def verify_request(
    token: str,
    timestamp: str | None,
    nonce: str | None,
    signature: str | None,
    max_skew: float,
    now: float | None = None,
) -> None:
    """Check a plain-mode `signature` and the timestamp window; raise SignatureError if bad."""
    check_timestamp(timestamp, max_skew, now)
    if nonce is None or not signature_matches((token, timestamp or "", nonce), signature):
        raise SignatureError("bad signature")
