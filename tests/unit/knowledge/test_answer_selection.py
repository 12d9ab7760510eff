"""Which sentence answers a list or count question: the one that lists or counts the
asked-about thing, not the one that restates the question. Synthetic sentences only."""

import time
from pathlib import Path

import numpy as np
import pytest

from knowledge.answer import compose, decide, rank_sentences
from knowledge.answer_types import asked_noun, counts, echoes, enumerates, expected_types, type_hits
from knowledge.index import KnowledgeIndex
from knowledge.retrieve import Hit
from knowledge.settings import Settings
from knowledge.terms import Term
from knowledge.types import Passage


def terms_of(*words: str, alternatives: dict[str, tuple[str, ...]] | None = None) -> list[Term]:
    alternatives = alternatives or {}
    return [Term(w, 1.0, True, alternatives.get(w, ())) for w in words]


def noun(question: str, *words: str, **kw) -> str | None:
    term = asked_noun(question, terms_of(*words, **kw), expected_types(question))
    return term.text if term else None


# --- which noun a question asks about


@pytest.mark.parametrize(("question", "words", "head"), [
    ("新区有哪些孵化平台？", ("新区", "孵化", "平台"), "平台"),  # the last word of the run
    ("新区由哪几大片区组成？", ("新区", "片区"), "片区"),
    ("新区有哪些扶持企业的政策？", ("新区", "扶持", "企业", "政策"), "政策"),  # across 的
    ("新区有多少所学校？", ("新区", "学校"), "学校"),
    ("新区有几位专家？", ("新区", "专家"), "专家"),
    ("新区的实验室有多少个？", ("新区", "实验室"), "实验室"),  # the noun before 多少
    ("新区在哪里？", ("新区",), None),  # neither a list nor a count
])
def test_chinese_asked_noun(question, words, head):
    assert noun(question, *words) == head


def test_an_attribute_word_after_the_noun_is_not_the_head():
    terms = [Term("新区", 1.0, True), Term("片区", 1.0, True), Term("组成", 0.3, False)]
    head = asked_noun("新区由哪几大片区组成？", terms, {"list"})
    assert head is not None and head.text == "片区"


@pytest.mark.parametrize(("question", "words", "head"), [
    ("What grants does the zone offer?", ("grants", "zone", "offer"), "grants"),
    ("What policies support firms in the zone?", ("policies", "support", "firms", "zone"), "policies"),
    ("What are the zone's three main districts?", ("zone's", "districts"), "districts"),
    ("Which investors' projects are running?", ("projects", "running"), "projects"),
    ("How many research institutes are in the zone?", ("research", "institutes", "zone"), "institutes"),
    ("How many staff work there?", ("staff", "work"), "staff"),
    ("What tax policy does the zone offer?", ("tax", "policy", "zone", "offer"), None),  # singular
])
def test_english_asked_noun(question, words, head):
    assert noun(question, *words) == head


def test_english_asked_noun_carries_its_translations():
    term = asked_noun("How many schools are there?", terms_of("schools", alternatives={"schools": ("学校",)}),
                      {"count"})
    assert term is not None and term.forms() == ("schools", "学校")


# --- the shapes that answer


@pytest.mark.parametrize(("sentence", "items"), [
    ("新区已建成甲园、乙园、丙园等孵化平台。", 3),
    ("新区引进了甲公司和乙公司等科技类孵化平台。", 2),
    ("新区已落地丙中心等5个孵化平台。", 1),  # one example
    ("新区重点建设三类平台——孵化、中试、检测。", 3),
    ("新区由东区、西区、南区三大片区构成。", 3),
    ("好平台、好项目是发展的动力。", 0),  # a list that only contains the word
    ("新区搭建了优秀的孵化平台。", 0),
])
def test_enumeration_of_the_head(sentence, items):
    head = "片区" if "片区" in sentence else "平台"
    assert enumerates(sentence, head) == items


def test_english_enumeration():
    assert enumerates("The zone's platforms include an incubator, a test lab and a fund.", "platforms") == 3
    assert enumerates("Incubators, labs and funds are platforms the zone runs.", "platforms") >= 2
    assert enumerates("The zone has good platforms.", "platforms") == 0


@pytest.mark.parametrize(("sentence", "counted"), [
    ("区内有甲大学、乙学院等学校12所。", True),
    ("区内有12所学校。", True),
    ("区内已落地甲中心等9个新型实验室。", True),
    ("区内专家都有30人。", True),
    ("学校、医院、企业等30家单位参与联盟。", False),  # 30 counts 单位, not 学校
    ("学校是区内的重点。", False),
])
def test_number_attached_to_the_head(sentence, counted):
    head = "实验室" if "实验室" in sentence else "专家" if "专家" in sentence else "学校"
    assert counts(sentence, head) is counted


def test_english_count():
    assert counts("The district has 12 universities.", ("universities", "高校"))
    assert counts("区内有高校12所。", ("universities", "高校"))
    assert not counts("The district has many universities and 40 companies.", "universities")


def test_echo_is_the_question_restated():
    words = ["新区", "搭建", "孵化", "平台"]
    assert echoes("新区多方引进,搭建优秀的孵化平台。", "平台", words)
    assert not echoes("新区已将甲园、乙园等孵化平台建成投用。", "平台", words)
    assert not echoes("新区搭建优秀的孵化平台。", "联盟", words)  # not about the asked-about thing


def test_a_list_of_other_things_is_not_the_expected_type():
    sentence = "好平台、好企业、好项目是发展的动力。"
    assert type_hits(sentence, {"list"}) == 1  # without a known head any list counts
    assert type_hits(sentence, {"list"}, "平台") == 0
    assert type_hits("学校、医院等30家单位。", {"count"}, "学校") == 0


@pytest.mark.parametrize("bad", [
    "", "？？？", "哪些" * 500, "how many " * 300, "、" * 5000, "等" * 5000 + "平台", "平台" + "1" * 5000,
    "1" * 5000 + "个平台", "平台——" + "、" * 5000, "a, " * 3000 + "platforms", "1." * 3000,
])
def test_odd_or_huge_input_is_handled_quickly(bad):
    """No regex here may backtrack without bound: sentences come from any article."""
    started = time.perf_counter()
    assert asked_noun(bad, terms_of("新区"), expected_types(bad)) is None
    assert enumerates(bad, ("平台", "platforms")) >= 0
    assert counts(bad, ("平台", "platforms")) in (True, False)
    assert echoes(bad, "平台", ["平台"]) in (True, False)
    assert type_hits(bad, {"list", "count", "date", "area", "money", "percent", "place"}) >= 0
    assert time.perf_counter() - started < 1.0


# --- ranking over a small index: the shape wins, from any retrieved passage


SENTENCES = [
    ["新区多方引进,搭建优秀的孵化平台。", "新区的发展前景广阔。"],  # 0: the question restated
    ["新区交通便利。"],
    ["新区环境优美。"],
    ["新区气候宜人。"],
    ["新区人口众多。"],
    ["此外,已将甲园、乙园、丙园等孵化平台建成投用。"],  # 5: the answer, ranked low by retrieval
]


def small_index(vectors: list[list[float]]) -> KnowledgeIndex:
    passages, start = [], 0
    for i, sents in enumerate(SENTENCES):
        text = "".join(sents)
        spans, pos = [], 0
        for s in sents:
            spans.append((pos, pos + len(s)))
            pos += len(s)
        passages.append(Passage(f"p{i}", "a.txt", "新区简介", "", text, start, start + len(text), tuple(spans)))
        start += len(text)
    offsets = np.cumsum([0] + [len(s) for s in SENTENCES])
    matrix = np.asarray(vectors, dtype=np.float32)
    return KnowledgeIndex(Path("."), {}, passages, None, None, matrix, offsets, {}, {})


def hits_in_order(n: int) -> list[Hit]:
    return [Hit(i, fused=1.0 / (60 + i), dense_rank=i + 1, lexical_rank=i + 1) for i in range(n)]


def test_the_enumerating_sentence_beats_the_restated_question_even_deep_in_the_ranking():
    question = "新区搭建了哪些孵化平台？"
    terms = terms_of("新区", "搭建", "孵化", "平台")
    n_rows = sum(len(s) for s in SENTENCES)
    # The restated question is even a little closer to the query, and names every term.
    vectors = [[0.90, 0.1]] + [[0.89, 0.2]] * (n_rows - 1)
    index = small_index(vectors)
    query = np.asarray([1.0, 0.0], dtype=np.float32)
    ranked = rank_sentences(index, hits_in_order(len(SENTENCES)), query, terms, question)
    assert ranked[0].text.startswith("此外") and ranked[0].enumerates == 3
    restated = next(c for c in ranked if "优秀" in c.text)
    assert restated.echoes and restated.score < ranked[0].score
    # Deep passages are drawn on only for a sentence of the asked-for shape.
    assert {c.passage for c in ranked} == {0, 1, 2, 3, 5}
    assert compose(ranked, index, 2).startswith("此外")


def test_grounding_is_decided_on_the_top_passages_only():
    """A sentence drawn from deep in the ranking changes the answer's wording, not
    whether the question is answered."""
    question = "新区搭建了哪些孵化平台？"
    terms = terms_of("新区", "搭建", "孵化", "平台")
    n_rows = sum(len(s) for s in SENTENCES)
    vectors = [[0.1, 0.99]] * (n_rows - 1) + [[1.0, 0.0]]  # only the deep sentence is close
    index = small_index(vectors)
    query = np.asarray([1.0, 0.0], dtype=np.float32)
    hits = hits_in_order(len(SENTENCES))
    ranked = rank_sentences(index, hits, query, terms, question)
    assert ranked[0].passage == 5
    decision = decide(Settings(), "zh", terms, hits, ranked, index)
    assert decision.best_dense == pytest.approx(0.1)


def test_without_an_asked_noun_only_the_top_passages_are_read():
    terms = terms_of("新区", "交通")
    index = small_index([[1.0, 0.0]] * sum(len(s) for s in SENTENCES))
    ranked = rank_sentences(index, hits_in_order(len(SENTENCES)), np.asarray([1.0, 0.0]), terms, "新区交通怎么样？")
    assert 5 not in {c.passage for c in ranked}
