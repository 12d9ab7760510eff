"""Is the gap the training data or the features? The judge and the ranker refitted on a
question set itself.

Both models are fitted on generated questions (knowledge.fit). When they do poorly on people's
questions, either the generated questions teach the wrong weights, or the features do not hold
what is needed. Refitting the same two models on the people's questions themselves (k-fold, each
question scored by models fitted without it) tells which: if the refitted models do no better,
no change of the generated questions can help, only new information can.

The trade-off table says what moving the judge's answer threshold would buy on the set, per
language: right answers against answers whose top sentence does not answer (wrong facts cited).
It reads the top sentence of a message's first question (against all the facts the case expects,
so a message of several questions counts as answered only when its first part's sentence holds
them all); questions a rule decides (a contradiction, a superlative's comparison) stay decided
whatever the threshold. It approximates `knowledge eval`'s scores, which read the composed reply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from knowledge.analysis import split_questions
from knowledge.evaluate import Case, contains_all
from knowledge.fit import out_of_fold
from knowledge.judge import judge_features
from knowledge.models import LogisticModel
from knowledge.pipeline import Pipeline
from knowledge.ranking import FEATURES

FOLDS = 10
TRADE_OFF_THRESHOLDS = (0.9, 0.8, 0.6, 0.5, 0.4, 0.3)  # besides the build's own


@dataclass(frozen=True)
class Judged:
    """One question as the judge saw it."""

    lang: str
    answerable: bool
    probability: float
    top_right: bool  # the top sentence holds the expected answer
    rule: str  # knowledge.judge.Judgement.rule: "answer", "never", or "" (the probability decides)


@dataclass(frozen=True)
class TradeOff:
    threshold: float
    lang: str
    answerable: int
    right: int  # answered, the top sentence holding the answer
    wrong: int  # answered, the top sentence not holding it (a wrong fact cited, or an unanswerable question answered)


@dataclass(frozen=True)
class Ceiling:
    questions: int
    judge_auc: float  # "the top sentence answers", by the fitted judge's probability
    judge_auc_refitted: float  # the same, by a judge refitted on the set (out of fold)
    ranked_questions: int  # answerable questions with a right sentence among the candidates
    ranker_top1: float
    ranker_top1_refitted: float
    judged: tuple[Judged, ...] = ()


def trade_offs(judged: Iterable[Judged], thresholds: Iterable[float]) -> list[TradeOff]:
    """Per threshold and language, what the judge would answer right and wrong at it."""
    judged = list(judged)
    rows = []
    for t in sorted(set(thresholds), reverse=True):
        for lang in _languages(judged):
            mine = [j for j in judged if j.lang == lang]
            answered = [j for j in mine if j.rule == "answer" or (not j.rule and j.probability >= t)]
            right = sum(j.top_right for j in answered)
            rows.append(TradeOff(t, lang, sum(j.answerable for j in mine), right, len(answered) - right))
    return rows


def never_erring(judged: Iterable[Judged]) -> list[TradeOff]:
    """Per language, a judge that answers every right top sentence and no other (threshold NaN):
    what the ranker allows at best."""
    judged = list(judged)
    return [TradeOff(float("nan"), lang, sum(j.answerable for j in judged if j.lang == lang),
                     sum(j.top_right for j in judged if j.lang == lang), 0)
            for lang in _languages(judged)]


def _languages(judged: list[Judged]) -> list[str]:
    """The languages asked in, Chinese first (as the tables print them)."""
    return sorted({j.lang for j in judged}, key=lambda code: (code != "zh", code))


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (NaN when the cases are all right or all wrong)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if len(set(labels.tolist())) == 2 else float("nan")


def refitted_top1(groups: list[tuple[np.ndarray, np.ndarray]], folds: int = FOLDS, seed: int = 0) -> float:
    """Share of questions whose right sentence a ranker fitted on the other folds puts first;
    `groups`: per question, its candidates' features and which candidates are right."""
    fold = np.random.default_rng(seed).integers(0, folds, len(groups))
    firsts = []
    for k in range(folds):
        train = [g for g, f in zip(groups, fold, strict=True) if f != k]
        test = [g for g, f in zip(groups, fold, strict=True) if f == k]
        if not test or not train:
            continue
        model = LogisticModel.fit(np.vstack([x for x, _ in train]), np.concatenate([y for _, y in train]), FEATURES)
        firsts += [bool(y[int(np.argmax(model.prob(x)))]) for x, y in test]
    return float(np.mean(firsts)) if firsts else float("nan")


def ceiling(pipeline: Pipeline, cases: Iterable[Case]) -> Ceiling:
    rows, labels, probs, groups, fitted_first, judged = [], [], [], [], [], []
    for case in cases:
        before = pipeline.previous_turn(case.previous) if case.previous else None
        # The message's first question, as the service answers it (knowledge.service).
        result = pipeline.run(pipeline.analyse(split_questions(case.question)[0], before))
        if not result.ranked:  # nothing retrieved: declined, and still a question of its language
            judged.append(Judged(case.lang, not case.abstain, 0.0, False, "never"))
            continue
        right = np.asarray([not case.abstain and contains_all(c.text, case.expect) for c in result.ranked])
        rows.append(judge_features(result.ranked))
        labels.append(bool(right[0]))
        probs.append(result.judgement.probability)
        judged.append(Judged(case.lang, not case.abstain, result.judgement.probability, bool(right[0]),
                             result.judgement.rule))
        if right.any():  # ranked best first by the fitted ranker
            groups.append((np.stack([c.features for c in result.ranked]), right))
            fitted_first.append(bool(right[0]))
    x, y = np.asarray(rows), np.asarray(labels, dtype=bool)
    return Ceiling(
        len(y), auc(np.asarray(probs), y), auc(out_of_fold(x, y, seed=0, folds=FOLDS), y) if len(y) else float("nan"),
        len(groups), float(np.mean(fitted_first)) if groups else float("nan"), refitted_top1(groups), tuple(judged),
    )
