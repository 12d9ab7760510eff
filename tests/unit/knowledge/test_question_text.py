"""Question hygiene, language detection, key terms and follow-up detection."""

import pytest

from knowledge.analysis import Analyzer, Term
from knowledge.errors import InvalidQuestionError
from knowledge.lexical import Tokenizer
from knowledge.ranking import coverage
from knowledge.text import detect_lang, sanitize


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return Tokenizer(tmp_path_factory.mktemp("jieba"))


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "？？？", "\u200b\u202e", "🙂"])
def test_empty_questions_are_rejected(bad):
    with pytest.raises(InvalidQuestionError, match="empty"):
        sanitize(bad, 500)


def test_long_questions_are_rejected_with_the_limit():
    with pytest.raises(InvalidQuestionError, match="under 500"):
        sanitize("园" * 20000, 500)


def test_sanitize_strips_controls_and_keeps_emoji_and_mixed_text():
    assert sanitize("  科创中心\x00在哪里？\u202e 🙂 where\n", 500) == "科创中心 在哪里？ 🙂 where"


@pytest.mark.parametrize(("text", "lang"), [
    ("科创中心在哪里？", "zh"), ("Where is the innovation park?", "en"),
    ("What is 沙磁英才计划 about in the park's policy?", "en"), ("沙磁英才 plan 是什么", "zh"),
])
def test_language(text, lang):
    assert detect_lang(text) == lang


def analyzer(tokenizer, df=None, glossary=None) -> Analyzer:
    return Analyzer(tokenizer, df or {}, 20, glossary or {})


def test_key_terms_drop_question_words_and_weigh_rare_words_more(tokenizer):
    df = {"园区": 15, "人才": 3}
    terms = {t.text: t for t in analyzer(tokenizer, df).terms("园区有没有人才公寓？")}
    assert set(terms) == {"园区", "人才", "公寓"}
    assert terms["公寓"].weight > terms["人才"].weight > terms["园区"].weight
    assert not terms["公寓"].known and terms["人才"].known
    assert [t.text for t in analyzer(tokenizer).terms("哪些项目已经建成投产了？")] == ["项目", "建成投产"]


def test_english_terms_carry_glossary_translations(tokenizer):
    glossary = {"agreement": ["协议"], "university": []}
    terms = {t.text: t for t in analyzer(tokenizer, {"协议": 1}, glossary).terms("Which university signed the agreement?")}
    assert terms["agreement"].forms == ("agreement", "协议") and terms["agreement"].known
    assert coverage((terms["agreement"],), "与清华大学签订校地合作协议") == 1.0


def test_a_not_a_questions_are_question_words(tokenizer):
    assert [t.text for t in analyzer(tokenizer).terms("这边的院士多不多？")] == ["院士"]
    assert [t.text for t in analyzer(tokenizer).terms("园区大不大？")] == ["园区"]


def test_coverage_is_weighted():
    terms = (Term("公寓", 3.0, False, True, False, ("公寓",)), Term("园区", 1.0, True, True, False, ("园区",)))
    assert coverage(terms, "园区介绍") == pytest.approx(0.25)
    assert coverage((), "anything") == 1.0  # nothing to check


@pytest.mark.parametrize(("question", "followup"), [
    ("它总投资多少？", True), ("占地多大？", True), ("How big is it?", True),
    ("沙磁英才计划是什么？", False), ("科创中心在哪里？", False), ("What are the key industries?", False),
    # Time words and purpose words are no subject: these lean on the turn before.
    ("当时签了多少金额？", True), ("建成以后主要用来做什么？", True), ("那时候有多少人？", True),
])
def test_followup_detection(tokenizer, question, followup):
    df = {"沙磁": 2, "英才": 2, "计划": 3, "科创": 2, "中心": 4, "industries": 0, "key": 0, "金额": 2, "总投资": 2}
    glossary = {"industry": ["产业"], "key": ["重点"]}
    a = Analyzer(tokenizer, {**df, "产业": 3, "重点": 2}, 20, glossary)
    assert a.leans_on_previous(question, a.terms(question)) is followup
