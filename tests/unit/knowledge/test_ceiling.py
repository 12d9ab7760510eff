"""The ceiling's arithmetic: ROC area, and models refitted out of fold on a set."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.ceiling import FOLDS, Judged, auc, never_erring, refitted_top1, trade_offs
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


def test_trade_offs_count_answers_per_language_and_keep_what_rules_decided() -> None:
    judged = [
        Judged("zh", True, 0.9, True, ""),
        Judged("zh", True, 0.55, True, ""),
        Judged("zh", False, 0.6, False, ""),  # an unanswerable question the judge likes
        Judged("zh", True, 0.95, True, "never"),  # a contradiction: never answered
        Judged("zh", True, 0.1, True, "answer"),  # a superlative's comparison: always answered
        Judged("en", True, 0.7, False, ""),  # the wrong sentence on top
        Judged("en", True, 0.2, True, ""),
    ]
    rows = {(r.threshold, r.lang): r for r in trade_offs(judged, [0.5, 0.8])}
    assert [(r.right, r.wrong, r.answerable) for r in (rows[0.8, "zh"], rows[0.5, "zh"])] == [(2, 0, 4), (3, 1, 4)]
    assert [(r.right, r.wrong) for r in (rows[0.8, "en"], rows[0.5, "en"])] == [(0, 0), (0, 1)]
    assert [r.lang for r in trade_offs(judged, [0.5])] == ["zh", "en"]  # Chinese first, as the tables print
    bound = {r.lang: (r.right, r.answerable, r.wrong) for r in never_erring(judged)}
    assert bound == {"zh": (4, 4, 0), "en": (1, 2, 0)}  # every right top answered, a ruled-out one too


def test_a_lower_threshold_never_answers_fewer() -> None:
    rng = np.random.default_rng(11)
    judged = [Judged("zh", bool(a), float(p), bool(r), "") for a, p, r in
              zip(rng.integers(0, 2, 200), rng.random(200), rng.integers(0, 2, 200), strict=True)]
    answered = [r.right + r.wrong for r in trade_offs(judged, [0.9, 0.7, 0.5, 0.3, 0.1])]
    assert answered == sorted(answered) and answered[0] < answered[-1]
