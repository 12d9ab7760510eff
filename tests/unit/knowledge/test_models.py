from dataclasses import replace

import numpy as np
import pytest

from knowledge.facts import find_facts
from knowledge.fit import choose_thresholds
from knowledge.judge import JUDGE_FEATURES, Thresholds, contradiction, judge
from knowledge.models import LogisticModel, TextClassifier, TypeClassifier


def test_logistic_model_learns_and_round_trips():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = x[:, 0] > 0
    model = LogisticModel.fit(x, y, ("signal", "noise"))
    weights = model.weights()
    assert abs(weights["signal"]) > 5 * abs(weights["noise"])
    again = LogisticModel.from_dict(model.to_dict())
    assert np.allclose(again.prob(x), model.prob(x))
    assert model.prob(np.array([[3.0, 0.0]]))[0] > 0.9 > 0.1 > model.prob(np.array([[-3.0, 0.0]]))[0]


def test_a_rarely_set_feature_cannot_outvote_every_other():
    # "The year agrees": set for 1 % of the rows, all of them rows the strong feature already calls right.
    rng = np.random.default_rng(0)
    signal = rng.normal(size=2000)
    rare = np.zeros(2000)
    rare[np.flatnonzero(signal > 0.5)[:20]] = 1.0
    y = (signal + rng.normal(scale=0.5, size=2000) > 0) | (rare > 0)
    model = LogisticModel.fit(np.column_stack([signal, rare]), y, ("signal", "rare"))
    # A row the strong feature calls wrong stays unlikely with the rare one set. Unstandardised
    # without a limit, its value lies ten spreads from the mean and lifted this row to 0.46.
    assert model.prob(np.array([[-1.0, 1.0]]))[0] < 0.25


def test_text_classifier_round_trips():
    model = TextClassifier.fit(["多少钱", "投资多少", "在哪里", "在哪儿"] * 2, ["amount", "amount", "place", "place"] * 2,
                               min_count=1)
    again = TextClassifier.from_dict(model.to_dict())
    assert again.classes[int(np.argmax(again.log_probs("总投资多少")))] == "amount"
    assert np.exp(again.log_probs("总投资多少")).sum() == pytest.approx(1.0)


def test_type_classifier_multiplies_what_the_wording_and_the_meaning_say_and_round_trips():
    rng = np.random.default_rng(0)
    centres = {"amount": rng.normal(size=8), "place": rng.normal(size=8), "date": rng.normal(size=8)}
    texts = ["多少钱", "投资多少", "在哪里", "在哪儿", "什么时候", "哪一年"] * 4
    labels = ["amount", "amount", "place", "place", "date", "date"] * 4
    vectors = np.stack([centres[label] + 0.1 * rng.normal(size=8) for label in labels])
    model = TypeClassifier.fit(texts, vectors, labels)
    again = TypeClassifier.from_dict(model.to_dict())
    for text, label in (("总投资多少", "amount"), ("地址在哪", "place")):
        assert again.scores(text, centres[label]) == pytest.approx(model.scores(text, centres[label]), abs=1e-4)
        assert max(model.scores(text, centres[label]).items(), key=lambda kv: kv[1])[0] == label
    # A wording none of the generated questions used: the meaning decides.
    assert model.scores("How much money?", centres["amount"])["amount"] > 0.9
    assert model.scores("How much money?", centres["place"])["place"] > 0.9
    with pytest.raises(ValueError):  # two experts that know different types cannot be multiplied
        TypeClassifier(model.words, replace(model.meaning, classes=("amount", "place", "year")))


def test_thresholds_reach_the_asked_precision_whatever_the_share_of_answerable_questions():
    probs = np.linspace(0, 1, 101)
    labels = probs > 0.7  # everything above 0.7 is right
    t = choose_thresholds(probs, labels, precision=0.9)
    chosen = probs >= t.answer
    hit, false = chosen[labels].mean(), chosen[~labels].mean()
    assert hit == 1.0 and hit / (hit + false) >= 0.9  # the two kinds weighed alike
    assert t.related <= t.answer
    # Three times as many answerable questions generated: the same threshold, not a lower one.
    more = np.concatenate([probs, probs[labels], probs[labels]])
    assert choose_thresholds(more, more > 0.7, precision=0.9) == t


class _Top:
    """A ranked candidate with given features (the judge reads features only)."""

    def __init__(self, facts=(), text="", **values):
        self.values = {"name_in_article": 1.0, **values}  # no name the article lacks, unless given
        self.facts = tuple(facts)
        self.text = text
        self.score = values.get("score", 0.9)

    def feature(self, name):
        return self.values.get(name, 0.0)


def test_a_sentence_from_an_article_that_never_names_the_asked_park_is_no_answer():
    # "璧山智造谷的政务服务中心有几个窗口" and the only such sentence is another park's "园区…".
    other_park = _Top(name_in_article=0.0, name_cov=0.0, cos_sentence=0.9, known_cov_sentence=0.8)
    assert "does not mention" in contradiction(other_park, answer_type="count")
    assert contradiction(_Top(name_in_article=1.0, focus_near=1.0), answer_type="definition") == ""


def test_a_sentence_dated_in_another_month_is_no_answer_for_the_month_asked():
    # "4月那场签约签了几个项目" and the top sentence tells of a groundbreaking in August.
    text = "2023年8月8日，创新港重大项目集中开工，当天开工项目7个。"
    august = _Top(find_facts(text), text=text, focus_near=1.0, unit_agree=1.0)
    assert "month" in contradiction(august, answer_type="count", asked_months=frozenset({4}))
    assert contradiction(august, answer_type="count", asked_months=frozenset({8})) == ""
    undated = _Top(find_facts("当天开工项目7个。"), text="当天开工项目7个。", focus_near=1.0, unit_agree=1.0)
    assert contradiction(undated, answer_type="count", asked_months=frozenset({4})) == ""  # states no month


def test_a_question_naming_only_words_the_articles_never_use_is_never_grounded():
    # "any completion date?": neither word is in any article; a dated sentence is no answer to it.
    text = "2017年11月8日,园区完成了重点项目的集中签约。"
    dated = _Top(find_facts(text), text=text, focus_near=1.0, known_cov_sentence=1.0, unknown_share=1.0)
    assert "nothing" in contradiction(dated, answer_type="date")
    partly = _Top(find_facts(text), text=text, focus_near=1.0, known_cov_sentence=1.0, unknown_share=0.6)
    assert contradiction(partly, answer_type="date") == ""


def test_a_goal_for_a_later_year_is_no_answer_to_what_there_is_now():
    # "园区现在入驻了多少家企业" and the sentence sets a target for 2027.
    text = "物流园将持续集聚资源，力争到2030年入驻企业突破500家。"
    goal = _Top(find_facts(text), text=text, focus_near=1.0, unit_agree=1.0)
    assert "goal" in contradiction(goal, answer_type="count", now=True)
    assert contradiction(goal, answer_type="count") == ""  # "入驻企业目标多少家": the goal answers it
    reported = "目前物流园已入驻企业210家，力争到2030年突破500家。"  # today's figure in a clause of its own
    assert contradiction(_Top(find_facts(reported), text=reported, focus_near=1.0, unit_agree=1.0),
                         answer_type="count", now=True) == ""
    english = "The hub aims to attract 300 companies by 2030."
    assert "goal" in contradiction(_Top(find_facts(english), text=english, focus_near=1.0), answer_type="count", now=True)


def test_a_groups_figure_is_no_answer_for_one_of_its_members():
    # "A投了多少" and the sentence gives the total of "A、B、C等8个项目": the figure is the group's.
    total = find_facts("签约了包含A公司、B公司、C公司等8个项目,总投资40亿元")
    member = _Top(total, group_member=1.0, focus_near=1.0, unit_agree=1.0)
    assert "group" in contradiction(member, answer_type="amount")
    assert contradiction(member, answer_type="list") == ""  # which projects: the list answers it
    assert contradiction(_Top(total, group_member=0.0, focus_near=1.0), answer_type="amount") == ""


def test_a_contradicted_year_is_never_answered_as_grounded():
    top = _Top(year_agree=-1.0, cos_sentence=0.9, known_cov_sentence=1.0)
    assert "year" in contradiction(top)
    certain = LogisticModel(JUDGE_FEATURES, (0.0,) * len(JUDGE_FEATURES), (1.0,) * len(JUDGE_FEATURES), (0.0,) * len(JUDGE_FEATURES), 50.0)  # always p ≈ 1

    from types import SimpleNamespace

    analysis = SimpleNamespace(type_scores={"count": 1.0}, terms=(), answer_type="count", months=frozenset(), now=False)
    result = judge(analysis, [top], certain, Thresholds(answer=0.5, related=0.1))
    assert result.probability > 0.99
    assert result.outcome == "related"
    assert not result.grounded
    assert result.rule == "never"  # the trade-off table keeps it unanswered at any threshold (knowledge.ceiling)
    definition = SimpleNamespace(type_scores={"definition": 1.0}, terms=(), answer_type="definition", months=frozenset(), now=False)
    agreeing = judge(definition, [_Top(cos_sentence=0.9, known_cov_sentence=1.0, focus_near=1.0)], certain,
                     Thresholds(answer=0.5, related=0.1))
    assert agreeing.grounded and agreeing.rule == ""  # the probability decided


def test_a_number_of_something_else_is_no_answer_to_how_many():
    # "多少个测试台" against "智能机器人一批…": the thing counted is not the thing asked about.
    top = _Top(find_facts("智能机器人一批"), focus_near=0.0, focus_known=0.0, known_cov_sentence=1.0)
    assert "asks about" in contradiction(top, answer_type="count")
    assert contradiction(top, answer_type="definition") == ""  # "what is X" needs no counted thing
    counted = find_facts("测试台12个")
    assert contradiction(_Top(counted, focus_near=0.5), answer_type="count") == ""  # named in the sentence


def test_a_sentence_without_a_quantity_is_no_answer_to_how_much():
    # "入驻奖励能拿多少钱" against "制定出台了…暂行办法等系列政策": no amount at all.
    policies = _Top(find_facts("制定出台了入驻奖励暂行办法、实施办法、英才计划等系列政策"), focus_near=1.0)
    assert "no quantity" in contradiction(policies, answer_type="amount")
    assert contradiction(policies, answer_type="definition") == ""


def test_a_sentence_without_a_date_is_no_answer_to_when():
    # "什么时候动工" against "…也将开工建设": it will start, but no date is given.
    planned = _Top(find_facts("创意小镇也将开工建设,预计总投资32亿元"), focus_near=1.0)
    assert "no date" in contradiction(planned, answer_type="date")
    dated = _Top(find_facts("创意小镇于2019年5月开工建设"), focus_near=1.0)
    assert contradiction(dated, answer_type="date") == ""
    assert contradiction(planned, answer_type="amount") == ""  # the amount is there


def test_a_count_in_the_unit_asked_answers_an_unknown_word():
    # "研究人员有多少人" against "科技工作者9万余人": 研究人员 is no corpus word, but 人 is the unit asked.
    people = find_facts("科技工作者9万余人")
    assert contradiction(_Top(people, focus_near=0.0, focus_known=0.0, unit_agree=1.0), answer_type="count") == ""
    assert "asks about" in contradiction(_Top(people, focus_near=0.0, focus_known=0.0, unit_agree=-1.0), answer_type="count")


def test_a_sentence_about_something_inside_the_asked_place_is_no_answer_for_its_area():
    inside = _Top(find_facts("它将作为西林科技园内的研发基地,占地约300亩"), focus_near=1.0)
    assert "place of something else" in contradiction(inside, answer_type="area", placed=True)
    assert contradiction(inside, answer_type="list", placed=True) == ""  # what is inside the place: it may answer
    assert contradiction(inside, answer_type="area") == ""


def test_how_far_and_how_long_are_answered_by_a_distance_and_a_span_of_time_only():
    # "物流园离机场多远" and the top sentence states the park's area: no answer, however close.
    area = _Top(find_facts("物流园占地约4.6平方公里"), focus_near=1.0)
    assert "how far" in contradiction(area, answer_type="distance")
    assert contradiction(_Top(find_facts("物流园距机场约35公里"), focus_near=1.0), answer_type="distance") == ""
    assert "how long" in contradiction(_Top(find_facts("免租面积3000平方米"), focus_near=1.0), answer_type="duration")
    assert contradiction(_Top(find_facts("前2年免租"), focus_near=1.0), answer_type="duration") == ""
