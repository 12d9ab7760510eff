"""The staff console against the real knowledge service and a real database (SQLite, and the
throwaway PostgreSQL of the scale-out tests): the inbox groups unanswered and disliked questions,
an answer written there is what the answer action gives next, approving the closest passage and
approving a question an entry already covers, CSV import all-or-nothing, hit test, leads."""

from __future__ import annotations

import os
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from scaleout_servers import LOOPBACK, PostgresServer, postgres_bin_dir
from sqlalchemy import func, select
from starlette.testclient import TestClient

from actions.answer import ActionAnswerQuestion
from actions.knowledge_provider import KnowledgeProvider
from actions.question_log import QuestionRecorder
from actions.settings import ActionSettings
from console import accounts
from console.app import create_app
from knowledge.service import KnowledgeService
from knowledge.settings import ConsoleEnv, load
from store.background import BackgroundWriter
from store.db import Database
from store.faq_matcher import LiveFaq
from store.models import FaqEntry, FaqQuestion, Feedback, Lead, QuestionLog
from store.pseudonym import Pseudonyms

pytestmark = pytest.mark.integration

PASSWORD = "integration password"
CANTEEN = "园区食堂的菜单是什么？"  # nothing in the articles about a canteen
JOKE = "讲个笑话吧"
WHERE = "科创中心在哪里？"  # answered from the article
PG_PORT = int(os.environ.get("CONSOLE_TEST_PG_PORT") or 6232)
PG_BIN = postgres_bin_dir()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer | None]:
    if PG_BIN is None:
        yield None
        return
    server = PostgresServer(PG_BIN, PG_PORT).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer | None) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    else:
        if postgres is None:
            pytest.skip("PostgreSQL not installed (apt-get install -y postgresql; .ci/run does)")
        name = f"console_{secrets.token_hex(4)}"  # a fresh database per test
        admin = f"host={LOOPBACK} port={postgres.port} user={postgres.user} password={postgres.password} dbname=rasa"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        database = Database(f"postgresql+psycopg://{postgres.user}:{postgres.password}@{LOOPBACK}:{postgres.port}/{name}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture()
def client(db: Database, service: KnowledgeService) -> Iterator[TestClient]:
    cfg = load(ConsoleEnv, {"CONSOLE_ADMIN_PASSWORD": PASSWORD})
    with db.session() as session:
        accounts.ensure_admin(session, cfg)
    with TestClient(create_app(cfg, db, lambda: service, secret="s"), base_url="http://testserver") as c:
        page = c.get("/signin")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        assert c.post("/signin", data={"csrf": token, "username": "admin", "password": PASSWORD},
                      follow_redirects=False).status_code == 303
        yield c


def csrf(client: TestClient, path: str = "/inbox") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def log_question(db: Database, question: str, outcome: str, *, channel: str = "rest", answer: str = "",
                 sources: list[dict[str, Any]] | None = None, minutes_ago: int = 0, disliked: bool = False) -> str:
    message_id = uuid.uuid4().hex
    with db.session() as s:
        s.add(QuestionLog(message_id=message_id, question=question, outcome=outcome, channel=channel, answer=answer,
                          sources=sources or [], asked_at=datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)))
        if disliked:
            s.add(Feedback(message_id=message_id, rating=-1, reason="wrong"))
    return message_id


def groups(page: str) -> dict[str, tuple[str, str]]:
    """question -> (its count badge, its ids) as the inbox shows them."""
    out = {}
    for section in page.split('<section class="card group"')[1:]:
        question = re.search(r'data-question="([^"]*)"', section).group(1)
        count = re.search(r'<span class="badge">× (\d+)</span>', section).group(1)
        ids = re.search(r'name="ids" value="([^"]*)"', section).group(1)
        out[question] = (count, ids)
    return out


def action_for(service: KnowledgeService, db: Database, tmp_path: Path) -> ActionAnswerQuestion:
    provider = KnowledgeProvider(factory=lambda: service, preflight=lambda: None)
    # The action's own question log goes aside: this test scripts the console's rows itself.
    aside = QuestionRecorder(Pseudonyms(tmp_path / "pseudonym.salt"),
                             BackgroundWriter(lambda: Database(f"sqlite:///{tmp_path / 'log.db'}")))
    return ActionAnswerQuestion(provider, ActionSettings(), curated=LiveFaq(db), recorder=aside)


def ask(action: ActionAnswerQuestion, text: str) -> tuple[str, dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, Tracker.from_dict({
        "sender_id": "u1", "slots": {"lang": None, "last_question": None},
        "latest_message": {"text": text, "intent": {"name": "ask_park", "confidence": 0.9}},
        "events": [], "latest_action_name": "action_listen"}), {})
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    [custom] = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    return texts[0], custom


def test_inbox_to_curated_answer_in_the_bot(client: TestClient, db: Database, service: KnowledgeService,
                                            tmp_path: Path) -> None:
    assert not service.ask(CANTEEN).grounded and service.ask(WHERE).grounded  # the premise, from the service
    action = action_for(service, db, tmp_path)
    _, before = ask(action, CANTEEN)
    assert before.get("curated") is None and not before["grounded"]

    where = service.ask(WHERE)
    log_question(db, CANTEEN, "declined", channel="rest", minutes_ago=30)
    log_question(db, CANTEEN, "declined", channel="wechat", minutes_ago=20)
    log_question(db, "你好，" + CANTEEN, "declined", channel="socketio", minutes_ago=10)
    log_question(db, WHERE, "answered", answer=where.answer, sources=[s.to_dict() for s in where.sources],
                 disliked=True)
    log_question(db, "科创中心占地多少亩？", "answered", answer="…")  # answered, not disliked: not in the inbox
    log_question(db, JOKE, "declined")

    page = client.get("/inbox")
    shown = groups(page.text)
    assert shown[CANTEEN][0] == "3"  # one group for the three wordings, most asked first
    assert next(iter(shown)) == CANTEEN
    assert WHERE in shown and "👎 1" in page.text and "科创中心占地多少亩？" not in shown
    assert "rest, socketio, wechat" in page.text

    # Write an answer: the bot gives it on the next question, cited as the park's, with its date.
    started = time.perf_counter()
    written = "园区食堂供应早中晚三餐，菜单每周在园区服务号公布。"
    response = client.post("/inbox/answer", data={"csrf": csrf(client), "ids": shown[CANTEEN][1], "answer": written},
                           follow_redirects=False)
    assert response.status_code == 303
    text, custom = ask(action, CANTEEN)
    elapsed = time.perf_counter() - started
    today = date.today().isoformat()
    assert text == f"本园区的答复（{today}）：{written}"
    assert custom["grounded"] is True and custom["curated"] is True
    assert custom["sources"][0]["date"] == today and custom["sources"][0]["text"] == written
    print(f"\napprove -> bot uses it: {elapsed * 1000:.0f} ms")
    with db.session() as s:
        rows = s.scalars(select(QuestionLog).where(QuestionLog.question.contains("食堂"))).all()
        assert {r.status for r in rows} == {"answered"} and len({r.faq_id for r in rows}) == 1
        entry_id = rows[0].faq_id
        assert {q.text for q in s.scalars(select(FaqQuestion).where(FaqQuestion.entry_id == entry_id))} == {
            CANTEEN, "你好，" + CANTEEN}

    # Approving a question an entry already answers adds a wording, not a second entry.
    log_question(db, "园区食堂的菜单是什么", "declined")
    again = groups(client.get("/inbox").text)["园区食堂的菜单是什么"]
    client.post("/inbox/approve", data={"csrf": csrf(client), "ids": again[1]})
    with db.session() as s:
        assert s.scalar(select(func.count(FaqEntry.id))) == 1
        assert "园区食堂的菜单是什么" in {q.text for q in s.get(FaqEntry, entry_id).questions}

    # Approve the closest passage of the disliked answer: its cited sentence, with its article.
    client.post("/inbox/approve", data={"csrf": csrf(client), "ids": shown[WHERE][1]})
    with db.session() as s:
        approved = s.scalars(select(FaqEntry).where(FaqEntry.id != entry_id)).one()
        assert approved.answer == where.sources[0].sentence and approved.source_article == where.sources[0].source

    # Out of scope; an article to write needs a note saying which.
    client.post("/inbox/close", data={"csrf": csrf(client), "ids": shown[JOKE][1], "status": "needs_article"})
    assert JOKE in groups(client.get("/inbox").text)
    client.post("/inbox/close", data={"csrf": csrf(client), "ids": shown[JOKE][1], "status": "needs_article",
                                      "note": "文章：园区生活配套"})
    with db.session() as s:
        joke = s.scalars(select(QuestionLog).where(QuestionLog.question == JOKE)).one()
        assert (joke.status, joke.note) == ("needs_article", "文章：园区生活配套")
    assert groups(client.get("/inbox").text) == {}


def test_expired_and_edited_entries_in_the_bot(client: TestClient, db: Database, service: KnowledgeService,
                                               tmp_path: Path) -> None:
    action = action_for(service, db, tmp_path)
    token = csrf(client, "/faq/new")
    client.post("/faq/new", data={"csrf": token, "questions": CANTEEN, "answer": "旧答复。",
                                  "expires_on": (date.today() - timedelta(days=1)).isoformat()})
    assert ask(action, CANTEEN)[1].get("curated") is None  # expired: the articles answer (or not)
    with db.session() as s:
        entry_id = s.scalars(select(FaqEntry.id)).one()
    client.post(f"/faq/{entry_id}", data={"csrf": csrf(client, f"/faq/{entry_id}"), "questions": CANTEEN,
                                          "answer": "新答复。", "expires_on": ""})
    text, custom = ask(action, CANTEEN)
    assert text.endswith("新答复。") and custom["curated"] is True


def test_csv_import_is_all_or_nothing(client: TestClient, db: Database) -> None:
    client.post("/faq/new", data={"csrf": csrf(client, "/faq/new"), "questions": "Q1?\nQ1 again?",
                                  "answer": "=HYPERLINK(\"http://x\")"})
    exported = client.get("/faq/export.csv").content.decode("utf-8-sig")
    assert exported.startswith("id,questions,answer,source_article,expires_on,author,updated_at")
    assert "'=HYPERLINK" in exported  # a spreadsheet shows it, never runs it
    bad = ("id,questions,answer,source_article,expires_on\n"
           ",好问题？,好答复。,,\n"
           ",没有答复？,,,\n"
           ",日期不对？,答复。,,31/12/2026\n"
           "999,不存在？,答复。,,\n")
    response = client.post("/faq/import", data={"csrf": csrf(client, "/faq")},
                           files={"file": ("faq.csv", bad.encode(), "text/csv")})
    assert response.status_code == 400 and "nothing was imported" in response.text
    for line, problem in [(3, "answer is empty"), (4, "YYYY-MM-DD"), (5, "no curated answer #999")]:
        assert re.search(rf"<td>{line}</td><td>[^<]*{re.escape(problem)}", response.text), line
    with db.session() as s:
        assert s.scalar(select(func.count(FaqEntry.id))) == 1  # not even the good row
    for garbage in [b"\xff\xfe\x00b\x00a\x00d", b"questions;answer\nx;y\n", b""]:
        refused = client.post("/faq/import", data={"csrf": csrf(client, "/faq")},
                              files={"file": ("x.csv", garbage, "text/csv")})
        assert refused.status_code in (400, 303), garbage  # an empty file field is "choose a file"
    good = exported + ",新问题？,新答复。,,2030-01-01\n"
    done = client.post("/faq/import", data={"csrf": csrf(client, "/faq")},
                       files={"file": ("faq.csv", good.encode("utf-8-sig"), "text/csv")})
    assert done.status_code == 200 and "imported: 1 new, 1 replaced" in done.text
    with db.session() as s:
        entries = {e.answer: e for e in s.scalars(select(FaqEntry))}
        assert set(entries) == {"=HYPERLINK(\"http://x\")", "新答复。"}  # round trip, quote removed
        assert entries["新答复。"].expires_on == date(2030, 1, 1)


def test_hit_test_shows_what_knowledge_ask_explain_prints(client: TestClient, service: KnowledgeService) -> None:
    answer, trace = service.explain(WHERE)
    page = client.get("/hittest", params={"q": WHERE}).text
    assert f"Decision: {answer.outcome}" in page
    part = trace.to_dict()["parts"][0]
    assert f"judge probability {part['judgement']['probability']}" in page
    for passage in part["passages"]:
        assert passage["id"] in page
    assert client.get("/hittest", params={"q": "？" * 3}).status_code == 200  # nothing searchable: said, no crash
    assert "error" in client.get("/hittest", params={"q": "长" * 5000}).text
    two = WHERE + CANTEEN  # the first part answered, the second not: the page names it as the reply does
    answer = service.ask(two)
    assert answer.grounded and answer.unanswered == [CANTEEN]
    assert f'<q class="unanswered">{CANTEEN}</q>' in client.get("/hittest", params={"q": two}).text


def test_leads_newest_first_and_csv(client: TestClient, db: Database) -> None:
    now = datetime.now(timezone.utc)
    with db.session() as s:
        for i, company in enumerate(["甲公司", "=cmd|' /C calc'!A0", "丙公司"]):
            s.add(Lead(company=company, contact=f"1380000000{i}", contact_kind="mobile", consent_text="同意",
                       questions=["园区有哪些政策？"], created_at=now - timedelta(hours=3 - i)))
    page = client.get("/leads").text
    assert page.index("丙公司") < page.index("甲公司")
    csv_text = client.get("/leads.csv").content.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("created_at,company") and "丙公司" in lines[1] and "甲公司" in lines[3]
    assert "'=cmd" in csv_text
