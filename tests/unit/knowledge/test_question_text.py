"""Question hygiene, language detection, key terms, follow-up detection and answer types."""

import pytest

from knowledge.answer_types import enumerates, expected_types, list_head, type_hits
from knowledge.errors import InvalidQuestionError
from knowledge.lexical import Tokenizer
from knowledge.lexicon import ZH_STOPWORDS
from knowledge.terms import Term, coverage, key_terms, leans_on_previous
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


def test_key_terms_drop_question_words_and_weigh_rare_words_more(tokenizer):
    df = {"园区": 10, "人才": 3}
    terms = {t.text: t for t in key_terms("园区有没有人才公寓？", tokenizer, df, 20)}
    assert set(terms) == {"园区", "人才", "公寓"}
    assert terms["公寓"].weight > terms["人才"].weight > terms["园区"].weight
    assert [t.text for t in key_terms("哪些项目已经建成投产了？", tokenizer, {}, 20)] == ["项目", "建成投产"]


def test_english_terms_carry_glossary_translations(tokenizer):
    glossary = {"agreement": ["协议"], "university": ["大学", "清华大学"]}
    terms = {t.text: t for t in key_terms("Which university signed the agreement?", tokenizer, {"协议": 1}, 20, glossary)}
    assert terms["agreement"].alternatives == ("协议",)
    assert coverage([terms["agreement"]], "与清华大学签订校地合作协议") == 1.0


def test_a_not_a_questions_are_question_words_not_subjects(tokenizer):
    # "多不多" asks "are there many": it must not count as a word the articles lack.
    assert [t.text for t in key_terms("这边的院士多不多？", tokenizer, {}, 20)] == ["院士"]
    assert [t.text for t in key_terms("园区大不大？", tokenizer, {}, 20)] == ["园区"]


def test_english_words_the_articles_never_write_are_marked_absent(tokenizer):
    # The vocabulary knows rent (租金 …) and none of its wordings is in the corpus: absent.
    glossary = {"rent": [], "park": ["园区"], "three": [], "10000": []}
    terms = {t.text: t for t in key_terms("What is the rent in the park's three zones?", tokenizer,
                                          {"园区": 5}, 20, glossary)}  # fmt: skip
    assert terms["rent"].absent and not terms["park"].absent
    assert not terms["three"].absent  # numbers are matched, never a subject of their own
    assert not terms["zones"].absent  # a word the vocabulary does not know is merely unseen


def test_coverage_is_weighted():
    terms = [Term("公寓", 3.0, True), Term("园区", 1.0, True)]
    assert coverage(terms, "园区介绍") == pytest.approx(0.25)
    assert coverage([], "anything") == 0.0


@pytest.mark.parametrize(("question", "followup"), [
    ("它总投资多少？", True), ("占地多大？", True), ("How big is it?", True),
    ("沙磁英才计划是什么？", False), ("科创中心在哪里？", False), ("What are the key industries?", False),
    # Time words and purpose words are no subject: these lean on the turn before.
    ("当时签了多少金额？", True), ("建成以后主要用来做什么？", True), ("那时候有多少人？", True),
])
def test_followup_detection(tokenizer, question, followup):
    terms = key_terms(question, tokenizer, {}, 20)
    assert leans_on_previous(question, tokenizer, terms) is followup


def test_answer_types(tokenizer):
    assert expected_types("科创中心什么时候建成，占地多大？") >= {"date", "area"}
    assert expected_types("How much investment does it need?") >= {"money"}
    assert type_hits("2017年3月16日正式成立。", {"date"}) == 1
    assert type_hits("占地约300亩。", {"date"}) == 0
    head = list_head(tokenizer.segment("有哪些高校在沙坪坝？"), ZH_STOPWORDS)
    assert head == "高校"
    assert enumerates("还有重庆大学、陆军军医大学等高校16所。", head)
    assert not enumerates("搭建起了高校、企业等84家会员。", head)
