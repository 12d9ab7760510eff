"""POST /api/feedback on the web demo's server: strict validation, one vote per answer and sender,
only the asker's votes, CORS for embedding sites and rate limits, over real HTTP and a real database."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from knowledge.settings import WebEnv
from store.db import Database
from store.models import Feedback, QuestionLog
from store.pseudonym import Pseudonyms
from web.feedback import FeedbackEndpoint
from web.serve import ServeConfig, WidgetServer

SENDER = "session-1234"


@pytest.fixture()
def names(tmp_path: Path) -> Pseudonyms:
    return Pseudonyms(tmp_path / "pseudonym.salt")


@pytest.fixture()
def answered(bot_db: Database, names: Pseudonyms) -> str:
    """A logged answer to SENDER's question, as the action server writes it."""
    with bot_db.session() as session:
        session.add(QuestionLog(message_id="m-1", channel="socketio", sender_hash=names(SENDER), lang="zh",
                                question="科创中心在哪里？", outcome="answered", answer="…", sources=[]))
    return "m-1"


def serve(bot_db: Database, names: Pseudonyms, **env: str) -> Iterator[tuple[str, int]]:
    endpoint = FeedbackEndpoint(bot_db, names, WebEnv.from_env({"BOT_RATE_LIMIT_EXEMPT": "none", **env}))
    server = WidgetServer(ServeConfig("127.0.0.1", 0, "http://bot.example:5005"), endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


@pytest.fixture()
def site(bot_db: Database, names: Pseudonyms) -> Iterator[tuple[str, int]]:
    yield from serve(bot_db, names)


def post(addr: tuple[str, int], body: Any, method: str = "POST", headers: dict[str, str] | None = None,
         raw: bytes | None = None) -> tuple[int, dict[str, str], dict[str, Any]]:
    conn = http.client.HTTPConnection(*addr, timeout=5)
    data = raw if raw is not None else json.dumps(body).encode()  # \uXXXX escapes: lone surrogates too
    conn.request(method, "/api/feedback", body=data if method == "POST" else None,
                 headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    text = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), json.loads(text) if text else {}


def votes(db: Database) -> list[Feedback]:
    with db.session() as session:
        return list(session.scalars(select(Feedback)))


def test_a_thumbs_down_with_a_reason_is_stored_against_the_logged_answer(
    site, answered: str, bot_db: Database, names: Pseudonyms
) -> None:
    status, headers, body = post(site, {"message_id": answered, "sender": SENDER, "rating": -1,
                                        "reason": "地址不对\x07，\ud800应该是西区"})
    assert (status, body) == (200, {"ok": True, "replaced": False})
    assert "Content-Security-Policy" in headers  # the site's security headers on every response
    [vote] = votes(bot_db)
    assert (vote.message_id, vote.rating, vote.channel) == (answered, -1, "socketio")
    assert vote.sender_hash == names(SENDER) and vote.reason == "地址不对，\ufffd应该是西区"


def test_a_second_vote_replaces_the_first(site, answered: str, bot_db: Database) -> None:
    post(site, {"message_id": answered, "sender": SENDER, "rating": -1, "reason": "wrong"})
    status, _, body = post(site, {"message_id": answered, "sender": SENDER, "rating": 1})
    assert (status, body) == (200, {"ok": True, "replaced": True})
    [vote] = votes(bot_db)
    assert (vote.rating, vote.reason) == (1, "")


def test_a_reason_of_exactly_500_characters_is_accepted(site, answered: str, bot_db: Database) -> None:
    assert post(site, {"message_id": answered, "sender": SENDER, "rating": -1, "reason": "长" * 500})[0] == 200
    assert len(votes(bot_db)[0].reason) == 500


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": 2}, "rating"),
        ({"rating": True}, "rating"),
        ({"rating": "1"}, "rating"),
        ({"rating": None}, "rating"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": 5}, "reason"),
        ({"message_id": ""}, "message_id"),
        ({"message_id": "x" * 65}, "message_id"),
        ({"message_id": "a/../b"}, "message_id"),
        ({"sender": ""}, "sender"),
        ({"sender": "a\nforged log line"}, "sender"),
        ({"sender": 42}, "sender"),
        ({"admin": True}, "unknown fields: admin"),
    ],
)
def test_bad_votes_get_400_naming_the_field_and_store_nothing(
    site, answered: str, bot_db: Database, change: dict[str, Any], field: str
) -> None:
    status, _, body = post(site, {"message_id": answered, "sender": SENDER, "rating": -1, **change})
    assert status == 400 and field in body["error"]
    assert votes(bot_db) == []


@pytest.mark.parametrize(
    ("raw", "headers", "status"),
    [
        (b"not json", {}, 400),
        (b"[1, -1]", {}, 400),
        (b"\xff\xfe", {}, 400),
        (b"[" * 5000, {}, 413),
        (b'{"rating": -1}', {"Content-Type": "text/plain"}, 415),  # a plain form post cannot vote
    ],
)
def test_malformed_bodies_get_a_clear_error(site, answered: str, raw: bytes, headers: dict, status: int) -> None:
    code, _, body = post(site, None, raw=raw, headers=headers)
    assert code == status and body["error"]


def test_an_unknown_answer_or_someone_elses_is_404(site, answered: str, bot_db: Database) -> None:
    assert post(site, {"message_id": "no-such-id", "sender": SENDER, "rating": 1})[0] == 404
    # The id alone is not enough: only the conversation that got the answer may rate it.
    assert post(site, {"message_id": answered, "sender": "someone-else", "rating": -1})[0] == 404
    assert votes(bot_db) == []


def test_a_body_without_a_length_is_refused(site) -> None:
    conn = http.client.HTTPConnection(*site, timeout=5)
    conn.putrequest("POST", "/api/feedback")
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 411
    conn.close()


def test_votes_are_rate_limited_per_address(bot_db: Database, names: Pseudonyms, answered: str) -> None:
    for addr in serve(bot_db, names, BOT_RATE_LIMIT_IP="2/60"):
        assert [post(addr, {"message_id": answered, "sender": SENDER, "rating": 1})[0] for _ in range(2)] == [200, 200]
        status, headers, body = post(addr, {"message_id": answered, "sender": SENDER, "rating": -1})
        assert status == 429 and int(headers["Retry-After"]) >= 1 and "too many" in body["error"]
        assert votes(bot_db)[0].rating == 1  # the refused vote changed nothing


def test_embedding_sites_in_bot_cors_may_post_others_may_not(bot_db: Database, names: Pseudonyms, answered: str) -> None:
    for addr in serve(bot_db, names, BOT_CORS="https://park.example"):
        status, headers, _ = post(addr, None, method="OPTIONS", headers={"Origin": "https://park.example"})
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "https://park.example"
        assert "Content-Type" in headers["Access-Control-Allow-Headers"]
        vote = {"message_id": answered, "sender": SENDER, "rating": -1}
        status, headers, _ = post(addr, vote, headers={"Origin": "https://park.example"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://park.example"
        assert post(addr, None, method="OPTIONS", headers={"Origin": "https://evil.example"})[0] == 403
        status, headers, _ = post(addr, {**vote, "rating": 1}, headers={"Origin": "https://evil.example"})
        assert status == 403 and "Access-Control-Allow-Origin" not in headers
        assert votes(bot_db)[0].rating == -1


def test_without_a_database_votes_get_503_and_the_site_still_serves(tmp_path: Path) -> None:
    server = WidgetServer(ServeConfig("127.0.0.1", 0, "http://bot.example:5005"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert post(server.server_address[:2], {"message_id": "m", "sender": "s", "rating": 1})[0] == 503
    finally:
        server.shutdown()
        server.server_close()
