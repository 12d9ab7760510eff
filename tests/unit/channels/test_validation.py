"""What the public channels accept as sender ids, metadata and message text."""

from __future__ import annotations

import pytest

from channels.validation import (
    MAX_METADATA_BYTES,
    allowed_origins,
    is_valid_sender,
    metadata_problem,
    origin_allowed,
    origin_matches,
    safe_text,
)


@pytest.mark.parametrize("sender", ["u1", "o-6_3Kx9e8Qabc", "用户 42", "a" * 200])
def test_ordinary_sender_ids_are_accepted(sender: str) -> None:
    assert is_valid_sender(sender)


@pytest.mark.parametrize(
    "sender",
    [
        None, 42, "", "   ", "a" * 201,
        "a\nb",  # a newline would forge a log line
        "a\x00b", "\x1b[31mred", "\ud800",  # control characters, a lone surrogate
        "admin\u202etxt.exe",  # a bidi override disguises the id in logs
        "a\u2028b", "\ue000",
    ],
)  # fmt: skip
def test_odd_sender_ids_are_refused(sender: object) -> None:
    assert not is_valid_sender(sender)


def test_metadata_must_be_a_small_plain_json_object() -> None:
    assert metadata_problem({"page": "/invest", "lang": "zh"}) is None
    assert metadata_problem([1, 2]) == "must be a JSON object"
    assert metadata_problem("{}") == "must be a JSON object"
    assert metadata_problem({"x": "\ud800"}) == "must be plain JSON in valid Unicode"
    assert metadata_problem({"x": float("nan")}) is None  # Python's JSON allows it; harmless
    assert metadata_problem({"x": object()}) == "must be plain JSON in valid Unicode"
    assert "bytes" in (metadata_problem({"x": "a" * MAX_METADATA_BYTES}) or "")


def test_deeply_nested_metadata_is_refused_not_a_crash() -> None:
    nested: dict = {}
    for _ in range(100_000):
        nested = {"a": nested}
    assert metadata_problem(nested) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("科创中心在哪里？", "科创中心在哪里？"),
        ("/restart", "restart"),
        ('  //greet{"lang": "en"}', 'greet{"lang": "en"}'),
        ("a\ud800b", "a\ufffdb"),
        ("/", ""),
        ("what is 1/2?", "what is 1/2?"),
    ],
)
def test_safe_text(text: str, expected: str) -> None:
    assert safe_text(text) == expected


def test_allowed_origins_come_from_bot_cors() -> None:
    assert allowed_origins({"BOT_CORS": " https://a.example  https://b.example "}) == (
        "https://a.example",
        "https://b.example",
    )
    assert allowed_origins({}) is None


@pytest.mark.parametrize(
    ("origin", "pattern", "expected"),
    [
        ("https://park.example", "https://park.example", True),
        ("HTTPS://Park.Example", "https://park.example", True),
        ("https://park.example.evil", "https://park.example", False),
        ("https://evil.example", "*", True),
        ("https://www.park.example", r"https://.*\.park\.example$", True),
        ("https://park.example.evil", r"https://.*\.park\.example$", False),
        ("http://127.0.0.1:4242", r"http://127\.0\.0\.1:\d+$", True),
        ("http://127.0.0.1:80.evil.example", r"http://127\.0\.0\.1:\d+$", False),
        ("https://x", "[broken?", False),
    ],
)
def test_origin_patterns_follow_sanic_cors(origin: str, pattern: str, expected: bool) -> None:
    assert origin_matches(origin, pattern) is expected


def test_socket_origin_check() -> None:
    allowed = ("http://localhost:8080",)
    env = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5005"}
    assert origin_allowed(env, allowed)  # no Origin header: not a browser
    assert origin_allowed({**env, "HTTP_ORIGIN": "http://localhost:8080"}, allowed)
    assert origin_allowed({**env, "HTTP_ORIGIN": "http://127.0.0.1:5005"}, allowed)  # same origin
    assert not origin_allowed({**env, "HTTP_ORIGIN": "http://evil.example"}, allowed)
    two = "http://localhost:8080,http://evil.example"  # two Origin headers, joined
    assert not origin_allowed({**env, "HTTP_ORIGIN": two}, allowed)
    assert origin_allowed({**env, "HTTP_ORIGIN": "http://evil.example"}, None)  # BOT_CORS unset
