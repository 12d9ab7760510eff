"""Is the gap the training data or the features? The judge and the ranker refitted on a
question set itself.

Both models are fitted on generated questions (knowledge.fit). When they do poorly on people's
questions, either the generated questions teach the wrong weights, or the features do not hold
what is needed. Refitting the same two models on the people's questions themselves (k-fold, each
question scored by models fitted without it) tells which: if the refitted models do no better,
no change of the generated questions can help, only new information can.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from knowledge.evaluate import Case, contains_all
from knowledge.fit import out_of_fold
from knowledge.judge import judge_features
from knowledge.models import LogisticModel
from knowledge.pipeline import Pipeline
from knowledge.ranking import FEATURES

FOLDS = 10


@dataclass(frozen=True)
class Ceiling:
    questions: int
    judge_auc: float  # "the top sentence answers", by the fitted judge's probability
    judge_auc_refitted: float  # the same, by a judge refitted on the set (out of fold)
    ranked_questions: int  # answerable questions with a right sentence among the candidates
    ranker_top1: float
    ranker_top1_refitted: float


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
    rows, labels, probs, groups, fitted_first = [], [], [], [], []
    for case in cases:
        before = pipeline.analyse(case.previous) if case.previous else None
        result = pipeline.run(pipeline.analyse(case.question, before))
        if not result.ranked:
            continue
        right = np.asarray([not case.abstain and contains_all(c.text, case.expect) for c in result.ranked])
        rows.append(judge_features(result.ranked))
        labels.append(bool(right[0]))
        probs.append(result.judgement.probability)
        if right.any():  # ranked best first by the fitted ranker
            groups.append((np.stack([c.features for c in result.ranked]), right))
            fitted_first.append(bool(right[0]))
    x, y = np.asarray(rows), np.asarray(labels, dtype=bool)
    return Ceiling(
        len(y), auc(np.asarray(probs), y), auc(out_of_fold(x, y, seed=0, folds=FOLDS), y) if len(y) else float("nan"),
        len(groups), float(np.mean(fitted_first)) if groups else float("nan"), refitted_top1(groups),
    )
