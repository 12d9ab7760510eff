"""Related questions: which generated questions are readable enough, how a few are kept per
passage at build time, and how up to three are picked for an answer or a decline."""

from __future__ import annotations

from pathlib import Path

from knowledge.suggest import Suggestion, load, pick, readable, save, select


def s(question: str, passage: str, sentence: str = "", lang: str = "zh") -> Suggestion:
    return Suggestion(question, lang, passage, sentence or question)


def test_readable_questions_are_plain_short_and_chinese() -> None:
    assert readable("示范园区在哪里？", "zh", "plain-fact")
    assert readable("介绍一下示范园区？", "zh", "plain-about")
    assert not readable("示范园区占地约78亩有哪些？", "zh", "plain-fact")  # digits garble or leak the fact
    assert not readable("A、B、C在哪里？", "zh", "plain-fact")
    assert not readable("介绍？", "zh", "plain-about")  # too short to say anything
    assert not readable("介绍一下" + "很长的名字" * 6 + "？", "zh", "plain-about")
    assert not readable("园区有无发展？", "zh", "yesno")  # only the plain templates read well
    assert not readable("What does Kejiaowenwei centr do?", "en", "about-en")  # glossary word salad


def test_select_keeps_a_few_per_passage_varied_and_unique() -> None:
    many = [s(f"问题{i}？", "p1", sentence=f"句子{i % 2}") for i in range(8)] + [s("问题0？", "p2")]
    kept = select(many, per_passage=3)
    assert [k.question for k in kept if k.passage == "p1"] == ["问题0？", "问题1？", "问题2？"]
    assert {k.sentence for k in kept if k.passage == "p1"} == {"句子0", "句子1"}  # both sentences before repeats
    assert [k for k in kept if k.passage == "p2"] == []  # a duplicate question is kept once


def test_pick_takes_passages_in_order_one_each_first_and_skips_the_asked_and_the_quoted() -> None:
    pool = [s("A1？", "a", "sa1"), s("A2？", "a", "sa2"), s("B1？", "b", "sb1"), s("C1？", "c", "sc1"),
            s("A in English?", "a", "sa1", lang="en")]
    assert pick(pool, ["a", "b", "c"], "zh", "随便问问") == ["A1？", "B1？", "C1？"]
    assert pick(pool, ["a", "b"], "zh", "A1", exclude_sentences=["sa2"]) == ["B1？"]  # asked, quoted
    assert pick(pool, ["c", "a"], "zh", "x", k=2) == ["C1？", "A1？"]
    assert pick(pool, ["a"], "en", "x") == ["A in English?"]
    assert pick(pool, ["zzz"], "zh", "x") == []


def test_suggestions_round_trip_with_the_build(tmp_path: Path) -> None:
    kept = [s("示范园区在哪里？", "p1", "示范园区位于城南。")]
    save(kept, tmp_path)
    assert load(tmp_path) == kept
    assert load(tmp_path / "older-build") == []  # a build made before suggestions existed
