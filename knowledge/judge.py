"""Judgement, the fourth stage: is the best sentence an answer, a related passage, or nothing?

A logistic regression fitted on generated questions (answerable ones and perturbed ones the
articles cannot answer) gives the probability that the top-ranked sentence answers the
question. Two thresholds, chosen on out-of-fold predictions for a target precision
(knowledge.fit), split it into three outcomes:

- "answer": confident; the reply quotes the sentence as the answer;
- "related": not confident; the reply says the articles do not answer this directly and
  shows the closest passage as such;
- "decline": nothing close; the reply says so and offers topics.

A question that names nothing the articles mention, or whose year, month, number or proper name
the best sentence contradicts, or that asks how much or how many of something the sentence states
no quantity of, or when, how far or how long and the sentence states no date, distance or span of
time, or that asks how much one item of a
group has when the sentence states the group's figure ("A、B、C等8个项目，总投资40亿元" for "A投了多少"),
or that asks what there is now when the sentence states only a goal for a later year ("现在入驻了多少
家" against "力争到2027年入驻企业突破600家"), is never answered as grounded, whatever the probability.
A superlative whose values knowledge.compare found in one article is
answered by that comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.analysis import QuestionAnalysis
from knowledge.compare import Compared
from knowledge.facts import QUANTITIES, is_target, months
from knowledge.models import LogisticModel
from knowledge.ranking import Candidate, located_in

JUDGE_FEATURES = (
    "top_score", "score_margin", "cos_sentence", "cos_margin_second", "known_cov_sentence", "known_cov_passage",
    "unknown_share", "name_cov", "unknown_name", "type_fact", "type_fact_near", "year_agree", "number_agree",
    "cross_lingual", "cross_cos", "focus_near", "attr_cov_sentence", "list_head", "unit_agree", "cos_z",
)
OUTCOMES = ("answer", "related", "decline")
# What one thing has. Not an amount: what the things in a place invested or produced may be the
# place's own figure ("园区内的企业总产值…").
ATTRIBUTES_OF_A_THING = ("area", "date", "place", "organisation")
# Asked in their own kind of figure: a count, an area or another date is no answer to them.
MEASURED = {"date": "when", "distance": "how far", "duration": "how long"}


@dataclass(frozen=True)
class Judgement:
    outcome: str  # one of OUTCOMES
    probability: float  # that the top sentence answers the question
    reason: str
    features: dict[str, float]
    compared: tuple[Compared, ...] = ()  # a superlative's values, the answer first (knowledge.compare)
    # When a rule, not the probability, decided whether to answer: "answer" (a superlative's
    # comparison) or "never" (a contradiction, or no fitted judge); "" when the probability did.
    rule: str = ""

    @property
    def grounded(self) -> bool:
        return self.outcome == "answer"


@dataclass(frozen=True)
class Thresholds:
    answer: float
    related: float


def judge_features(ranked: list[Candidate]) -> np.ndarray:
    top = ranked[0]
    second = ranked[1] if len(ranked) > 1 else None
    return np.asarray([
        top.score,
        top.score - (second.score if second else 0.0),
        top.feature("cos_sentence"),
        top.feature("cos_sentence") - (second.feature("cos_sentence") if second else 0.0),
        top.feature("known_cov_sentence"),
        top.feature("known_cov_passage"),
        top.feature("unknown_share"),
        top.feature("name_cov"),
        top.feature("unknown_name"),
        top.feature("type_fact"),
        top.feature("type_fact_near"),
        top.feature("year_agree"),
        top.feature("number_agree"),
        top.feature("cross_lingual"),
        top.feature("cross_cos"),  # cross-lingual cosines run lower: their own slope
        top.feature("focus_near"),
        top.feature("attr_cov_sentence"),
        top.feature("list_head"),
        top.feature("unit_agree"),
        top.feature("cos_z"),
    ], dtype=np.float32)


def contradiction(top: Candidate, answer_type: str = "", focus: bool = True, placed: bool = False,
                  asked_months: frozenset[int] = frozenset(), now: bool = False) -> str:
    """Why the top sentence cannot be the answer whatever the probability ("" when it can);
    `answer_type`: what the question asks for (a date, a quantity, …); `focus`: check that the
    sentence names what is asked about (a compared value's clause already does); `placed`: the
    sentence names it only as the place of another thing (knowledge.ranking.located_in);
    `asked_months`: the months the question names; `now`: the question asks what there is at present."""
    if top.feature("year_agree") < 0:
        return "the question names a year the passage does not state"
    if asked_months and (stated := months(top.text)) and not asked_months & stated:
        return "the question names a month the sentence's dates are not in"
    if top.feature("number_agree") < 0:
        return "the question names a number the passage does not state"
    if top.feature("unknown_share") >= 1.0:
        # Every word it names is unknown to the articles ("any completion date?" where none says
        # completion or date): no sentence can be shown to be about it.
        return "the question names nothing the articles mention"
    if top.feature("unknown_name") > 0 and top.feature("name_cov") < 1.0:
        return "the question names something no article mentions"
    if top.feature("name_in_article") < 1.0:
        return "the question names a place or organisation the quoted article does not mention"
    quantity = answer_type in QUANTITIES
    if quantity and not any(f.type in QUANTITIES for f in top.facts):
        return "the question asks how much or how many, and the sentence states no quantity"
    if quantity and now and all(is_target(f, top.text) for f in top.facts if f.type in QUANTITIES):
        return "the question asks what there is now, and the sentence states a goal for a later year"
    if quantity and top.feature("group_member") > 0:
        return "the question names one of a group the sentence states its figures for"
    if answer_type in ATTRIBUTES_OF_A_THING and placed:
        return "the sentence names what is asked about only as the place of something else"
    if answer_type in MEASURED and not any(f.type == answer_type for f in top.facts):
        return f"the question asks {MEASURED[answer_type]}, and the sentence states no {answer_type}"
    # An unknown word asked as a quantity is judged by the unit: a count in the very unit asked
    # ("研究员有多少人" → "9万余人") answers it, whatever the word ("研究人员" for "科技工作者").
    unit_answers = top.feature("unit_agree") > 0
    if focus and top.feature("focus_near") == 0 and (top.feature("focus_known") > 0 or (quantity and not unit_answers)):
        # "多少个测试台": a number of something else is no answer, however close the sentence.
        return "the sentence does not name what the question asks about"
    return ""


def on_topic(top: Candidate) -> bool:
    """A passage is worth showing as related only when the corpus knows most of what the question
    says and the sentence names some of it: "明天天气怎么样" gets topics, not a random passage."""
    return top.feature("unknown_share") <= 0.5 and top.feature("known_cov_sentence") > 0


def judge(
    analysis: QuestionAnalysis, ranked: list[Candidate], model: LogisticModel | None, thresholds: Thresholds,
    compared: tuple[Compared, ...] = (),
) -> Judgement:
    """`compared`: for a superlative question, the values the article states (knowledge.compare),
    the extreme first and on top of `ranked`; they answer it unless the sentence contradicts it."""
    if not ranked:
        return Judgement("decline", 0.0, "nothing retrieved", {})
    row = judge_features(ranked)
    named = dict(zip(JUDGE_FEATURES, (round(float(v), 3) for v in row), strict=True))
    if compared and not contradiction(ranked[0], focus=False):
        extreme = "largest" if analysis.superlative == "max" else "smallest"
        p = float(model.prob(row)[0]) if model is not None else 0.0
        return Judgement("answer", p, f"the {extreme} of {len(compared)} values the article states", named, compared,
                         rule="answer")
    if model is None:  # no fitted judge (a corpus too small to generate both kinds of question)
        return Judgement("related", 0.0, "no fitted judge: the closest passage is shown as related", named,
                         rule="never")
    p = float(model.prob(row)[0])
    subjects = tuple(t for t in analysis.terms if t.known and t.subject)
    placed = bool(subjects) and located_in(subjects, ranked[0].text, analysis.asked)  # contradiction() reads the type
    conflict = contradiction(ranked[0], analysis.answer_type, placed=placed, asked_months=analysis.months,
                             now=analysis.now)
    rule = "never" if conflict else ""
    if p >= thresholds.answer and not conflict:
        return Judgement("answer", p, f"p={p:.3f} >= {thresholds.answer:.3f}", named)
    if p >= thresholds.related and on_topic(ranked[0]):
        why = conflict or f"p={p:.3f} < {thresholds.answer:.3f}"
        return Judgement("related", p, f"{why}: shown as the closest passage", named, rule=rule)
    if p < thresholds.related:
        return Judgement("decline", p, f"p={p:.3f} < {thresholds.related:.3f}", named, rule=rule)
    why = f"{conflict}; " if conflict else ""
    return Judgement("decline", p, f"{why}p={p:.3f}, but the question is off the articles' topics", named, rule=rule)
