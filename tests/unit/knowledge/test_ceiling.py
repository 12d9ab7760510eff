"""The ceiling's arithmetic: ROC area, and models refitted out of fold on a set."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.ceiling import FOLDS, auc, refitted_top1
from knowledge.fit import out_of_fold
from knowledge.judge import JUDGE_FEATURES
from knowledge.ranking import FEATURES


def test_auc_counts_pairs_ordered_and_ties_half() -> None:
    labels = np.array([True, True, False, False])
    assert auc(np.array([0.9, 0.8, 0.1, 0.2]), labels) == 1.0
    assert auc(np.array([0.1, 0.2, 0.9, 0.8]), labels) == 0.0
    assert auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    assert np.isnan(auc(np.array([0.5, 0.6]), np.array([True, True])))


def test_a_judge_refitted_on_the_set_finds_what_its_features_hold() -> None:
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(300, len(JUDGE_FEATURES)))
    labels = rows[:, 2] + 0.3 * rng.normal(size=300) > 0  # one feature decides
    probs = out_of_fold(rows, labels, seed=0, folds=FOLDS)
    assert auc(probs, labels) > 0.9
    noise = out_of_fold(rng.normal(size=(300, len(JUDGE_FEATURES))), labels, seed=0, folds=FOLDS)
    assert auc(noise, labels) < 0.7  # out of fold: features that hold nothing earn nothing


def test_a_ranker_refitted_on_the_set_puts_first_what_its_features_mark() -> None:
    rng = np.random.default_rng(5)
    groups = []
    for _ in range(120):
        x = rng.normal(size=(6, len(FEATURES)))
        right = np.zeros(6, dtype=bool)
        right[rng.integers(6)] = True
        x[right, 4] += 3.0  # the right sentence stands out on one feature
        groups.append((x, right))
    assert refitted_top1(groups) > 0.85
    blind = [(rng.normal(size=x.shape), y) for x, y in groups]
    assert refitted_top1(blind) == pytest.approx(1 / 6, abs=0.12)
