"""Votes in the database: one per answer and sender, even when posted at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.feedback import UnknownAnswer, Vote, record_vote
from store.models import Feedback, QuestionLog
from store.pseudonym import Pseudonyms


@pytest.fixture()
def names(tmp_path: Path) -> Pseudonyms:
    return Pseudonyms(tmp_path / "key", "k")


@pytest.fixture()
def answer(bot_db: Database, names: Pseudonyms) -> str:
    with bot_db.session() as session:
        session.add(QuestionLog(message_id="m", channel="rest", sender_hash=names("u"), question="Q", outcome="answered"))
    return "m"


def test_the_schema_refuses_a_second_row_for_the_same_answer_and_sender(bot_db: Database, answer: str) -> None:
    with pytest.raises(IntegrityError), bot_db.session() as session:
        session.add_all([Feedback(message_id=answer, rating=1, sender_hash="h"),
                         Feedback(message_id=answer, rating=-1, sender_hash="h")])


def test_votes_posted_at_once_leave_one_row(bot_db: Database, names: Pseudonyms, answer: str) -> None:
    votes = [Vote(answer, "u", 1 if i % 2 else -1, f"r{i}") for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        replaced = list(pool.map(lambda v: record_vote(bot_db, names, v), votes))
    assert replaced.count(False) == 1  # exactly one vote was the first
    with bot_db.session() as session:
        [row] = session.scalars(select(Feedback)).all()
    assert (row.channel, row.sender_hash) == ("rest", names("u"))


def test_an_unknown_answer_or_another_senders_vote_is_refused(bot_db: Database, names: Pseudonyms, answer: str) -> None:
    with pytest.raises(UnknownAnswer):
        record_vote(bot_db, names, Vote("other", "u", 1))
    with pytest.raises(UnknownAnswer):
        record_vote(bot_db, names, Vote(answer, "intruder", -1))
