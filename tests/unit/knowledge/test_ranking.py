import numpy as np

from knowledge.analysis import Analyzer, Term
from knowledge.lexical import Tokenizer
from knowledge.ranking import NORM_SAMPLE, cosine_baseline, coverage, left_to_article, number_agreement


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def test_the_sentence_a_question_was_made_from_stands_out_of_its_crowd():
    rng = np.random.default_rng(0)
    sentences = _unit(rng.normal(size=(300, 16)).astype(np.float32))
    question = _unit(sentences[0] + 0.3 * _unit(rng.normal(size=16).astype(np.float32)))
    mean, spread = cosine_baseline(sentences, question)
    cosines = sentences @ question
    assert np.isclose(mean, cosines.mean(), atol=1e-5) and np.isclose(spread, cosines.std(), atol=1e-5)
    assert (cosines[0] - mean) / spread > 3


def test_a_large_build_is_measured_on_an_even_sample():
    rng = np.random.default_rng(1)
    sentences = _unit(rng.normal(size=(NORM_SAMPLE * 5, 16)).astype(np.float32))
    question = _unit(rng.normal(size=16).astype(np.float32))
    mean, spread = cosine_baseline(sentences, question)
    full = sentences @ question
    assert abs(mean - full.mean()) < 0.01 and abs(spread - full.std()) / full.std() < 0.05


def test_a_build_too_small_to_measure_a_spread_changes_nothing():
    one = _unit(np.ones((1, 4), dtype=np.float32))
    assert cosine_baseline(one, one[0]) == (0.0, 1.0)


def _term(word: str, weight: float = 1.0) -> Term:
    return Term(word, weight, True, True, False, (word,))


def test_a_common_word_the_sentence_leaves_to_its_article_counts_as_found():
    park, area = _term("园区"), _term("占地")
    sentence = "创新公园占地300亩。"
    article = "园区规划面积18平方公里。创新公园占地300亩。"
    # "园区" is the article's word for what the sentence is about: no penalty for leaving it out ...
    assert coverage((park, area), sentence, left_to_article((park,), article)) == 1.0
    # ... but only for common words: a name or an attribute must be in the sentence itself,
    assert coverage((park, area), sentence, left_to_article((), article)) == 0.5
    # and a word no part of the article uses is missing, common or not.
    assert coverage((park, area), sentence, left_to_article((park,), "创新公园占地300亩。")) == 0.5


def test_a_name_the_article_title_holds_counts_as_found_in_its_sentences():
    port, output = _name("东湖"), _term("产值")
    sentence = "2023年，创新港实现产值415亿元。"  # the short form: the title names the place
    # The article is about what its title names: its sentences need not repeat it ...
    assert coverage((port, output), sentence, left_to_article((), "", (port,), "东湖光电创新港：产业加速成势")) == 1.0
    # ... but a name the title does not hold must be in the sentence.
    assert coverage((port, output), sentence, left_to_article((), "", (port,), "南岸软件园年报")) == 0.25


def _name(word: str) -> Term:
    return Term(word, 3.0, True, True, True, (word,))


def test_a_name_that_is_only_one_item_of_a_group_is_flagged(tmp_path):
    from knowledge.facts import find_facts
    from knowledge.lexical import Tokenizer
    from knowledge.ranking import group_member

    sentence = "现场签约了包含东华微电子、西林光学实验室、南岸智能控制研究院等8个项目,总投资40亿元。"
    facts = tuple(find_facts(sentence, Tokenizer(tmp_path).tagged(sentence)))
    assert group_member((_name("西林"),), sentence, facts, "滨江科技园 重点项目") == 1.0
    # The article's own park, which an item's name also begins with, is what it is about.
    assert group_member((_name("西林"),), sentence, facts, "西林科技园 重点项目") == 0.0
    # A name the sentence also gives outside the list is not only an item.
    both = sentence.replace("现场签约", "西林区现场签约")
    facts = tuple(find_facts(both, Tokenizer(tmp_path).tagged(both)))
    assert group_member((_name("西林"),), both, facts, "滨江科技园") == 0.0


def test_a_name_made_only_of_the_questions_words_is_not_its_answer(tmp_path):
    from knowledge.facts import find_facts
    from knowledge.lexical import Tokenizer
    from knowledge.ranking import question_forms, restates_question

    sentence = "科创中心位于大学城南路与大学城中路交汇处,由重庆渝新建设集团有限公司承建。"
    facts = find_facts(sentence, Tokenizer(tmp_path).tagged(sentence))
    asked = question_forms((_term("科创"), _term("中心"), _term("公司"), _term("承建")))
    names = {f.text: restates_question(f, asked) for f in facts if f.type == "organisation"}
    # "科创中心" is what "科创中心由哪家公司承建" asks about; the builder ("…集团有限公司") is new to it.
    assert names.pop("科创中心") is True and names and not any(names.values())
    # A place that adds to the question's words (the roads) answers "where"; a count never restates.
    assert not any(restates_question(f, asked) for f in facts if f.type != "organisation")


def test_a_list_whose_kind_stands_before_its_items_lists_that_kind():
    from knowledge.ranking import list_head

    industries = _term("产业")
    assert list_head(industries, "重点发展三大产业集群——电子信息、生物医药、新材料。") == 1.0
    assert list_head(industries, "园区主导产业：电子信息、生物医药、新材料。") == 1.0
    assert list_head(industries, "园区由产业孵化中心、生产制造中心、研发基地构成。") == 0.0  # one item's word
    english = _term("industries")
    assert list_head(english, "It targets three industries: chips, drugs and batteries.") == 1.0
    assert list_head(english, "It targets industries, and builds offices and labs.") == 0.0


def test_a_name_that_is_only_the_place_of_another_thing_is_flagged():
    from knowledge.ranking import located_in

    sentence = "同时启动了滨江公园的建设,它将作为西林科技园内的研发基地,占地约300亩。"
    west = (_term("西林"), _term("规划"))
    assert located_in(west, sentence, "西林科技园规划了多大面积？") is True  # the 300 亩 are the base's
    # The question names the thing placed there, or asks what is inside the place: the sentence may answer.
    assert located_in((*west, _term("研发基地")), sentence, "西林科技园的研发基地占地多大？") is False
    assert located_in(west, sentence, "西林科技园里有哪些基地？") is False
    assert located_in((_term("滨江"),), sentence, "滨江公园占地多大？") is False  # named as itself


def test_the_askers_own_figures_agree_with_a_sentence_stating_them_and_never_contradict_one(tmp_path):
    analyzer = Analyzer(Tokenizer(tmp_path), {"奖励": 2, "注册资本": 1}, 10, {})
    own = analyzer.analyse("我们实缴注册资本3000万，入驻奖励有多少？")
    assert number_agreement(own, {"3000"}) == 1.0  # "实缴注册资本3000万元以上的，奖励…": the asker's case
    assert number_agreement(own, {"5000"}) == 0.0  # another tier is no contradiction
    asked = analyzer.analyse("注册资本3000万的企业入驻奖励有多少？")
    assert number_agreement(asked, {"5000"}) < 0  # a figure the question names must be stated
