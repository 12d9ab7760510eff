"""The question log: every outcome recorded with its message id, pseudonym, sources and probability;
a database that fails costs the log entry, never the reply."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from actions.question_log import QuestionRecorder, channel_of
from knowledge.types import Answer, Source
from store.background import BackgroundWriter
from store.db import Database
from store.models import QuestionLog
from store.pseudonym import Pseudonyms

QUOTED = Source("p1", "a.md", "Title", "Section", "passage text", 0.93, "the sentence")
CLOSEST = Source("p2", "b.md", "Other", "", "other text", 0.41, "closest sentence")


def answer(outcome: str) -> Answer:
    if outcome == "answer":
        return Answer("Q?", "the sentence", True, [QUOTED], "en", outcome="answer")
    return Answer("Q?", "", False, [], "zh", outcome=outcome, related=[CLOSEST] if outcome == "related" else [])


@pytest.mark.parametrize(
    ("outcome", "override", "logged_as", "sources"),
    [
        ("answer", None, "answered", ["p1"]),
        ("related", None, "related", ["p2"]),
        ("decline", None, "declined", []),
        ("related", "declined", "declined", []),  # a closest passage the user was not shown is no quotation
    ],
)
def test_every_outcome_is_logged_with_what_the_user_was_shown(
    recorder: QuestionRecorder, logged, outcome: str, override: str | None, logged_as: str, sources: list[str]
) -> None:
    message_id = recorder.record("user-1", "socketio", "Q?", answer(outcome), 0.7, "what the bot said", override)
    [row] = logged()
    assert (row.message_id, row.outcome, row.channel, row.question) == (message_id, logged_as, "socketio", "Q?")
    assert [s["id"] for s in row.sources] == sources and row.probability == 0.7
    assert row.answer == "what the bot said" and row.lang == answer(outcome).lang  # as the console shows it
    assert row.status == "open" and row.asked_at is not None


def test_senders_are_pseudonyms_that_group_a_conversation(recorder: QuestionRecorder, logged) -> None:
    for sender in ("oOpenID-1", "oOpenID-1", "oOpenID-2"):
        recorder.record(sender, "wechat", "Q?", answer("decline"), 0.1, "said")
    rows = logged()
    assert rows[0].sender_hash == rows[1].sender_hash != rows[2].sender_hash
    assert rows[0].sender_hash == recorder.pseudonyms("oOpenID-1") and "oOpenID" not in rows[0].sender_hash


def test_message_ids_are_unique_and_unguessable(recorder: QuestionRecorder, logged) -> None:
    ids = {recorder.record("u", "rest", f"Q{i}", answer("decline"), None, "said") for i in range(50)}
    assert len(ids) == 50 and all(len(i) >= 20 for i in ids)
    assert {r.message_id for r in logged()} == ids


def test_lone_surrogates_from_the_network_are_stored_not_lost(recorder: QuestionRecorder, logged) -> None:
    recorder.record("u", "rest", "bad \ud800 text", answer("decline"), None, "said")
    [row] = logged()
    assert row.question == "bad \ufffd text"


def test_the_channel_comes_from_the_latest_message_or_the_latest_user_event() -> None:
    assert channel_of({"input_channel": "rest"}, "socketio") == "rest"
    assert channel_of({}, "socketio") == "socketio"
    assert channel_of({}, None) == ""


def test_a_database_that_fails_is_logged_and_the_record_call_still_returns(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")  # the database cannot be created under a file
    writer = BackgroundWriter(lambda: Database(f"sqlite:///{blocker / 'sub' / 'bot.db'}"))
    recorder = QuestionRecorder(Pseudonyms(tmp_path / "key", "k"), writer)
    with caplog.at_level(logging.ERROR):
        message_id = recorder.record("u", "rest", "Q?", answer("decline"), None, "said")
        assert writer.flush()
    assert message_id and "could not record QuestionLog " + message_id in caplog.text


def test_one_bad_row_does_not_lose_the_others_in_its_batch(recorder: QuestionRecorder, logged, caplog) -> None:
    first = recorder.record("u", "rest", "Q1", answer("decline"), None, "said")
    recorder.writer.submit(type(logged()[0])(message_id=first, question="dup", outcome="declined"))  # unique clash
    second = recorder.record("u", "rest", "Q2", answer("decline"), None, "said")
    with caplog.at_level(logging.ERROR):
        rows = logged()
    assert [r.message_id for r in rows] == [first, second]
    assert f"could not record QuestionLog {first}" in caplog.text


def test_recording_does_not_wait_for_the_database(recorder: QuestionRecorder, logged) -> None:
    recorder.record("u", "rest", "warm", answer("answer"), 0.9, "said")
    logged()  # key file, engine and schema ready
    started = time.perf_counter()
    for i in range(200):
        recorder.record("u", "rest", f"Q{i}", answer("answer"), 0.9, "said")
    per_question = (time.perf_counter() - started) / 200
    assert len(logged()) == 201
    assert per_question < 0.002, f"{per_question * 1000:.2f} ms per question on the answering thread"


def test_the_recorder_survives_being_pickled_into_a_serving_process(bot_db: Database, tmp_path: Path) -> None:
    import functools
    import pickle

    # As in production (Database.from_env): a factory that pickles, unlike the fixtures' lambda.
    recorder = QuestionRecorder(Pseudonyms(tmp_path / "key"), BackgroundWriter(functools.partial(Database, str(bot_db.url))))
    recorder.record("u", "rest", "before", answer("decline"), None, "said")
    assert recorder.writer.flush()
    copy = pickle.loads(pickle.dumps(recorder))  # rasa-sdk's own launcher does this with the actions
    assert copy.pseudonyms("u") == recorder.pseudonyms("u")
    copy.record("u", "rest", "after", answer("decline"), None, "said")
    assert copy.writer.flush()
    with bot_db.session() as session:
        assert sorted(session.scalars(select(QuestionLog.question))) == ["after", "before"]


def test_a_curated_answer_is_logged_with_its_entry(recorder: QuestionRecorder, logged, bot_db: Database) -> None:
    from datetime import datetime, timezone

    from knowledge.curated import CuratedEntry, CuratedMatch
    from store.models import FaqEntry

    with bot_db.session() as session:
        entry = FaqEntry(answer="食堂供应三餐。")
        session.add(entry)
    match = CuratedMatch(CuratedEntry(entry.id, ("食堂在哪？",), "食堂供应三餐。", datetime.now(timezone.utc)),
                         "食堂在哪？", 0.97, 0.95, 1.0)
    source = {"id": f"faq-{entry.id}", "source": f"faq/{entry.id}", "title": "本园区的答复", "text": "…"}
    message_id = recorder.record_curated("u", "rest", "食堂在哪？", "zh", match, [source])
    [row] = logged()
    assert (row.message_id, row.outcome, row.faq_id, row.answer) == (message_id, "curated", entry.id, "食堂供应三餐。")
    assert row.probability == 0.97 and row.sources[0]["id"] == f"faq-{entry.id}"


def test_the_questions_an_answer_leaves_open_reach_the_inbox(recorder: QuestionRecorder, logged) -> None:
    partial = Answer("Q1? Q2?", "the sentence", True, [QUOTED], "en", outcome="answer", unanswered=["Q2?"])
    message_id = recorder.record("user-1", "rest", "Q1? Q2?", partial, 0.9, "said")
    rows = {row.question: row for row in logged()}
    assert rows["Q1? Q2?"].message_id == message_id and rows["Q1? Q2?"].outcome == "answered"
    assert rows["Q2?"].outcome == "declined" and rows["Q2?"].sources == [] and rows["Q2?"].message_id != message_id
    assert rows["Q2?"].sender_hash == rows["Q1? Q2?"].sender_hash  # the same conversation
