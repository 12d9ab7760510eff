"""The glossary: specific CC-CEDICT senses, the domain vocabulary first, Chinese wordings."""

import pytest

from knowledge.analysis import Analyzer
from knowledge.glossary import (
    build_glossary,
    cedict_glossary,
    dictionary_order,
    domain_vocabulary,
    head_compounds,
    parse_vocabulary,
    phrase_key,
    stem,
)
from knowledge.lexical import Tokenizer
from knowledge.ranking import coverage

# Real CC-CEDICT lines (the shapes that misled the old glossary).
CEDICT = [
    "公園 公园 [gong1 yuan2] /park (for public recreation)/CL:個|个[ge4],座[zuo4]/\n",
    "園區 园区 [yuan2 qu1] /site developed for a group of related enterprises; (industrial or technology) park/\n",
    "西部 西部 [xi1 bu4] /western part/\n",
    "分 分 [fen4] /part/share/ingredient/component/\n",
    "累累 累累 [lei2 lei2] /(literary) (of fruit, achievements etc) clusters of; piles of/\n",
    "天時 天时 [tian1 shi2] /the time/the right time/weather conditions/destiny/\n",
    "平臺 平台 [ping2 tai2] /platform/terrace/flat-roofed building/\n",
    "建成 建成 [jian4 cheng2] /to establish/to build/\n",
    "萬人 万人 [wan4 ren2] /ten thousand people/all the people/everyman/\n",
]
CORPUS = {"公园", "园区", "产业园", "西部", "分", "累累", "天时", "平台", "建成", "万人", "授牌", "成立", "奖励"}


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return Tokenizer(tmp_path_factory.mktemp("jieba"))


def test_cedict_keeps_exact_senses_over_words_inside_longer_definitions():
    g = cedict_glossary(CEDICT, CORPUS)
    assert g["build"] == ["建成"]  # "flat-roofed building" does not make 平台 a "build"
    assert g["platform"] == ["平台"]
    assert g["park"] == ["公园", "园区"]  # both exact; the entry's first sense ranks first


def test_cedict_drops_single_characters_and_non_head_words():
    g = cedict_glossary(CEDICT, CORPUS)
    assert "cluster" not in g  # "clusters of": the head is "of", and (literary) senses are skipped
    assert "weather" not in g  # "weather conditions" is about conditions
    assert g["part"] == ["西部"]  # 分 is a one-character morpheme; only the head-of-phrase sense is left
    assert g["people"] == ["万人"]


def test_a_verb_and_its_particle_are_one_sense_and_the_verb_keeps_its_own():
    lines = ["成立 成立 [cheng2 li4] /to establish; to set up/to be tenable/\n",
             "系列 系列 [xi4 lie4] /series/set/\n", "申請 申请 [shen1 qing3] /to apply for/application/\n",
             "遷入 迁入 [qian1 ru4] /to move in/\n"]
    g = cedict_glossary(lines, {"成立", "系列", "申请", "迁入"})
    assert g["set up"] == ["成立"]
    assert g["set"] == ["系列"]  # "set up" is no sense of "set" alone
    assert g["apply"] == ["申请"]  # the verb of "to apply for", where no definition is the verb alone
    assert g[phrase_key("moving", "in")] == g[phrase_key("moved", "in")] == ["迁入"]
    assert "up" not in g and "for" not in g  # a particle is no head
    doctor = cedict_glossary(["博士 博士 [bo2 shi4] /doctor/Ph.D./\n"], {"博士"})
    assert doctor[stem("PhDs")] == ["博士"]  # a dotted abbreviation is one word


def test_cedict_ignores_words_the_corpus_does_not_use():
    g = cedict_glossary(CEDICT, {"平台"})
    assert {zh for words in g.values() for zh in words} == {"平台"}
    assert g["platform"] == ["平台"]


def test_vocabulary_replaces_cedict_and_keeps_only_corpus_words_in_order():
    vocabulary = parse_vocabulary("park, parks = 园区, 产业园, 科技园\nweather = 天气\n")
    g = build_glossary(CORPUS, vocabulary, CEDICT)
    assert g["park"] == ["园区", "产业园"]  # never 公园; 科技园 is not in the corpus
    assert g["weather"] == []  # known word, no corpus translation: CC-CEDICT's 天时 cannot slip in


def test_vocabulary_has_chinese_wordings_and_stems_english_forms():
    vocabulary = parse_vocabulary("# comment\nfounded, establish = 成立, 挂牌, 授牌  # note\n挂牌 = 授牌, 成立\n")
    assert vocabulary[stem("founded")] == ["成立", "挂牌", "授牌"]
    assert vocabulary["establish"] == ["成立", "挂牌", "授牌"]
    assert build_glossary(CORPUS, vocabulary, [])["挂牌"] == ["授牌", "成立"]


@pytest.mark.parametrize("bad", ["park 园区", "park = park", " = 园区", "park ="])
def test_malformed_vocabulary_lines_are_reported(bad):
    with pytest.raises(ValueError, match="line 1"):
        parse_vocabulary(bad)


def test_shipped_vocabulary_parses_and_covers_the_domain_words():
    vocabulary = domain_vocabulary()
    assert vocabulary["park"][0] == "园区"
    for word in ("found", "zone", "incentive", "talent", "platform", "cluster"):
        assert vocabulary[stem(word)], word
    assert "公园" not in vocabulary["park"]


def test_pinyin_names_map_to_the_corpus_words_they_spell():
    g = build_glossary({"沙坪坝", "园区"}, {}, [])
    assert g["shapingba"] == ["沙坪坝"]


def test_english_question_terms_use_the_glossary(tokenizer):
    g = build_glossary(CORPUS, parse_vocabulary("park = 园区, 产业园\nfounded = 成立, 授牌\nrent = 租金\n"), CEDICT)
    terms = {t.text: t for t in Analyzer(tokenizer, {}, 20, g).terms("When was the park founded?")}
    assert terms["park"].forms[1:] == ("园区", "产业园")
    assert coverage(tuple(terms.values()), "2017年3月16日,重庆大学城科技产业园正式获市科委授牌成立。") == 1.0
    rent = Analyzer(tokenizer, {}, 20, g).terms("What is the rent?")
    assert coverage(rent, "园区规划面积约18平方公里") == 0.0  # nothing about rent: not covered


def test_an_english_verb_means_what_it_does_with_its_particle(tokenizer):
    g = {"set up": ["成立"], "set": ["系列"], "park": ["园区"]}
    analyzer = Analyzer(tokenizer, {"成立": 2, "系列": 1, "园区": 5}, 20, g)
    terms = {t.text: t for t in analyzer.terms("When was the park officially set up?")}
    assert terms["set"].forms[:2] == ("set", "成立")
    assert "officially" not in terms  # an adverb no article translates: how, not what
    casual = {t.text for t in analyzer.terms("whats the park doing, doesnt it have a set up date")}
    assert not casual & {"whats", "doesnt"}  # function words typed without their apostrophe
    assert {"park", "set"} <= casual
    alone = {t.text: t for t in analyzer.terms("Which set of policies applies?")}
    assert "成立" not in alone["set"].forms


def test_dictionary_order_puts_a_words_usual_sense_first():
    lines = [*CEDICT, "創新 创新 [chuang4 xin1] /to bring forth new ideas; to blaze new trails/innovation/\n"]
    order = dictionary_order({"平台", "创新", "园区"}, lines)
    assert order["平台"][:2] == ["platform", "terrace"]  # the entry's order
    assert order["创新"][0] == "innovation"  # an exact translation before the head of "blaze new trails"
    assert order["园区"] == ["park"]  # the long first definition is an explanation, not a translation


def test_chinese_question_terms_use_other_wordings(tokenizer):
    g = build_glossary(CORPUS, parse_vocabulary("挂牌 = 授牌, 成立\n"), [])
    terms = {t.text: t for t in Analyzer(tokenizer, {}, 20, g).terms("这个产业园是哪一年挂牌的？")}
    assert terms["挂牌"].forms[1:] == ("授牌", "成立")
    assert "一年" not in terms and "年" not in terms  # "哪一年" asks; it names nothing the answer holds
    assert coverage((terms["挂牌"],), "正式获市科委授牌成立") == 1.0


def test_thousands_separators_make_one_number(tokenizer):
    g = build_glossary({"万人"}, parse_vocabulary("10000 = 万\n"), [])
    texts = [t.text for t in Analyzer(tokenizer, {}, 20, g).terms("How many patents per 10,000 people?")]
    assert "10000" in texts and "000" not in texts and "per" not in texts


HEADS = [
    "城 城 [cheng2] /city walls/city/town/CL:座[zuo4]/\n",
    "所 所 [suo3] /actually/place/classifier for houses/\n",
    "業 业 [ye4] /business/industry/line of work/\n",
]


def test_a_compound_counts_for_the_english_word_its_last_character_translates(tokenizer):
    corpus = {"大学", "大学城", "城市", "研究", "研究所", "企业", "产业", "制造", "制造业"}
    glossary = {"town": ["城市"], "city": ["城市"], "actually": [], "industry": ["产业"], "place": ["地方"]}
    heads = head_compounds(glossary, corpus, HEADS)
    assert heads["town"] == heads["city"] == ["大学城"]  # no "city walls": not a single word
    assert heads["industry"] == ["制造业"]  # not 企业: 企 is no word of its own, so 业 heads no compound there
    assert "actually" not in heads and "place" not in heads  # the glossary's translations lack 所
    terms = {t.text: t for t in Analyzer(tokenizer, {}, 20, glossary, compounds=heads).terms("Where is the university town?")}
    assert terms["town"].found_in("重庆大学城科技产业园")
    assert terms["town"].forms[1:] == ("城市",)  # retrieval searches the translation, not every compound
