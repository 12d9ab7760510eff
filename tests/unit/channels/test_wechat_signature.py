"""Request signatures and the timestamp replay window."""

from __future__ import annotations

import hashlib

import pytest

from channels.wechat.errors import SignatureError
from channels.wechat.signature import (
    check_timestamp,
    compute_signature,
    signature_matches,
    verify_request,
)

# Tencent's published sample (WeCom callback docs): token, timestamp, nonce, Encrypt → signature.
VECTOR_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj9"
    "11L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DO"
    "dnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH0"
    "3v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6B"
    "pNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


def test_published_msg_signature_vector() -> None:
    sig = compute_signature("QDG6eK", "1409659813", "1372623149", VECTOR_ENCRYPT)
    assert sig == "477715d11cdb4164915debcba66cb864d751f3e6"


def test_signature_is_sha1_of_sorted_parts_in_any_order() -> None:
    expected = hashlib.sha1(b"123" + b"1700000000" + b"dev-token").hexdigest()
    assert compute_signature("dev-token", "1700000000", "123") == expected
    assert compute_signature("123", "dev-token", "1700000000") == expected


def test_signature_matches_is_strict() -> None:
    parts = ("tok", "1700000000", "42")
    good = compute_signature(*parts)
    assert signature_matches(parts, good)
    assert signature_matches(parts, good.upper())  # hex case does not matter
    assert not signature_matches(parts, good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert not signature_matches(parts, "")
    assert not signature_matches(parts, None)
    assert not signature_matches(parts, "签名" * 20)  # non-ASCII must not raise


NOW = 1_700_000_000.0


def test_verify_request_accepts_a_fresh_valid_signature() -> None:
    ts = str(int(NOW))
    verify_request("tok", ts, "9", compute_signature("tok", ts, "9"), 300, now=NOW)


@pytest.mark.parametrize(
    ("token", "nonce", "signature"),
    [("other", "9", None), ("tok", "8", None), ("tok", None, None), ("tok", "9", "")],
)
def test_verify_request_rejects_wrong_signatures(token, nonce, signature) -> None:
    ts = str(int(NOW))
    sig = compute_signature(token, ts, "9") if signature is None else signature
    with pytest.raises(SignatureError):
        verify_request("tok", ts, nonce, sig, 300, now=NOW)


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_timestamps_outside_the_window_are_rejected(offset: int) -> None:
    ts = str(int(NOW + offset))
    with pytest.raises(SignatureError):
        verify_request("tok", ts, "9", compute_signature("tok", ts, "9"), 300, now=NOW)


def test_window_edges_and_disabling() -> None:
    assert check_timestamp(str(int(NOW - 300)), 300, now=NOW) == int(NOW - 300)
    assert check_timestamp(str(int(NOW + 300)), 300, now=NOW) == int(NOW + 300)
    assert check_timestamp("1", 0, now=NOW) == 1  # window disabled


@pytest.mark.parametrize("bad", [None, "", "abc", "-5", "1.5", "9" * 40])
def test_malformed_timestamps_are_rejected(bad) -> None:
    with pytest.raises(SignatureError):
        check_timestamp(bad, 0, now=NOW)
