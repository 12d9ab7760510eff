"""Fit the question classifier, the sentence ranker and the grounding judge on questions the
articles generate (knowledge.generate), at build time.

The generated questions are split by the sentence they came from: 80 % to fit, 20 % held
back and reported. The judge's two thresholds come from out-of-fold predictions on the
fitting part: the lowest probability at which answers reach the target precision
(`KB_JUDGE_PRECISION`), and a lower one at which the top passage is at least on topic half
of the time (shown as "related", never as an answer).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from knowledge.embed_cache import EmbeddingCache
from knowledge.fitted import FittedModels
from knowledge.generate import GeneratedQuestion, QuestionGenerator, sentence_refs
from knowledge.judge import JUDGE_FEATURES, Thresholds, judge_features
from knowledge.models import LogisticModel, TextClassifier
from knowledge.pipeline import Pipeline
from knowledge.ranking import FEATURES, rank

log = logging.getLogger(__name__)
HELD_OUT = 0.2
MAX_QUESTIONS = 3000  # enough to fit a few dozen weights; bounds build time on a large corpus
MIN_EACH = 10  # fewer answerable or unanswerable questions than this: no judge is fitted
RELATED_PRECISION = 0.6  # below the answer threshold, the top passage is shown as related when this likely on topic


@dataclass
class Example:
    question: GeneratedQuestion
    held_out: bool
    ranked: list  # candidates, ranked by the ranker once it exists
    correct: list[bool]  # per candidate: is it the sentence the question was made from


def held_out(sentence: str) -> bool:
    return int(hashlib.sha256(sentence.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < HELD_OUT


def fit_models(pipeline: Pipeline, cache: EmbeddingCache, seed: int = 13, precision: float = 0.9,
               progress=None) -> FittedModels:
    started = time.perf_counter()
    index = pipeline.index
    refs = sentence_refs(index.passages, index.sentence_offsets)
    unique = list({r.text: r for r in refs}.values())
    corpus = " ".join(p.text for p in index.passages)
    generator = QuestionGenerator(pipeline.tokenizer, index.glossary, corpus, seed)
    questions = generator.generate(unique)
    if len(questions) > MAX_QUESTIONS:
        questions = [questions[i] for i in np.random.default_rng(seed).choice(len(questions), MAX_QUESTIONS, replace=False)]
    by_row = {r.row: r.text for r in unique}
    split = [held_out(by_row[q.row]) for q in questions]

    # 1. What a question asks for, from the generated questions' own labels.
    asked = [pipeline.analyzer.analyse(q.text).asked for q in questions]
    train_texts = [a for a, h in zip(asked, split, strict=True) if not h]
    train_types = [q.answer_type for q, h in zip(questions, split, strict=True) if not h]
    classifier = TextClassifier.fit(train_texts, train_types) if len(set(train_types)) > 2 else None
    pipeline.analyzer.classifier = classifier

    # 2. Each question through analysis, retrieval and candidate features (embeddings cached).
    vectors, _ = cache.embed("query", asked, pipeline.embedder.embed_queries,
                             (lambda n: progress("fitting", n, len(asked))) if progress else None)
    examples: list[Example] = []
    for q, vector, is_held in zip(questions, vectors, split, strict=True):
        analysis = pipeline.analyse(q.text)
        ranked = pipeline.rank(analysis, pipeline.retrieve(analysis, vector), use_model=False)
        source = by_row[q.row]
        examples.append(Example(q, is_held, ranked, [answers(q, c.text, source) for c in ranked]))

    # 3. The ranker: which candidate is the sentence the question came from.
    train = [e for e in examples if not e.held_out]
    rows = [(c.features, ok) for e in train if any(e.correct) for c, ok in zip(e.ranked, e.correct, strict=True)]
    ranker = None
    if rows and 0 < sum(ok for _, ok in rows) < len(rows):
        ranker = LogisticModel.fit(np.stack([r for r, _ in rows]), np.asarray([ok for _, ok in rows]), FEATURES)
    for e in examples:
        e.ranked = rank(e.ranked, ranker)
        e.correct = [answers(e.question, c.text, by_row[e.question.row]) for c in e.ranked]

    # 4. The judge: does the top sentence answer (answerable and ranked first)?
    def judge_rows(chosen: list[Example]) -> tuple[np.ndarray, np.ndarray]:
        usable = [e for e in chosen if e.ranked]
        x = np.stack([judge_features(pipeline.analyse(e.question.text), e.ranked) for e in usable]) if usable else np.zeros((0, len(JUDGE_FEATURES)))
        return x, np.asarray([bool(e.correct and e.correct[0]) for e in usable])

    x_train, y_train = judge_rows(train)
    x_test, y_test = judge_rows([e for e in examples if e.held_out])
    judge = None
    thresholds = Thresholds(answer=1.0, related=1.0)
    if y_train.sum() >= MIN_EACH and (~y_train).sum() >= MIN_EACH:
        judge = LogisticModel.fit(x_train, y_train, JUDGE_FEATURES)
        thresholds = choose_thresholds(out_of_fold(x_train, y_train, seed), y_train, precision)
    report = _report(examples, questions, judge, thresholds, x_test, y_test, time.perf_counter() - started)
    log.info("fitted ranker and judge on %d generated questions: %s", len(questions), report)
    return FittedModels(classifier, ranker, judge, thresholds, report)


def answers(question: GeneratedQuestion, sentence: str, source: str) -> bool:
    """The sentence the question was made from (a shared fact elsewhere proved too loose a label)."""
    return question.answerable and sentence == source


def out_of_fold(x: np.ndarray, y: np.ndarray, seed: int, folds: int = 5) -> np.ndarray:
    """Each row's probability from a judge fitted without it."""
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, len(y))
    probs = np.zeros(len(y))
    for k in range(folds):
        test = fold == k
        if test.sum() == 0 or len(set(y[~test])) < 2:
            continue
        probs[test] = LogisticModel.fit(x[~test], y[~test], JUDGE_FEATURES).prob(x[test])
    return probs


def choose_thresholds(probs: np.ndarray, labels: np.ndarray, precision: float) -> Thresholds:
    """The lowest thresholds whose answers reach `precision` (answer) and 0.5 (related)."""

    def lowest(target: float) -> float:
        for t in np.unique(np.round(probs, 3)):
            chosen = probs >= t
            if chosen.sum() >= 5 and labels[chosen].mean() >= target:
                return float(t)
        return 1.0

    answer = lowest(precision)
    return Thresholds(answer=answer, related=min(lowest(RELATED_PRECISION), answer))


def _report(examples: list[Example], questions: list[GeneratedQuestion], judge: LogisticModel | None,
            thresholds: Thresholds, x_test: np.ndarray, y_test: np.ndarray, seconds: float) -> dict:
    held = [e for e in examples if e.held_out and e.question.answerable and any(e.correct)]
    report: dict = {
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "kinds": dict(Counter(q.kind for q in questions)),
        "held_out": sum(e.held_out for e in examples),
        "held_out_ranker_top1": round(sum(e.correct[0] for e in held) / len(held), 3) if held else None,
        "thresholds": {"answer": thresholds.answer, "related": thresholds.related},
        "seconds": round(seconds, 1),
    }
    if judge is not None and len(y_test):
        p = judge.prob(x_test)
        answered = p >= thresholds.answer
        report["held_out_judge"] = {
            "answered": int(answered.sum()),
            "precision": round(float(y_test[answered].mean()), 3) if answered.any() else None,
            "recall": round(float(answered[y_test].mean()), 3) if y_test.any() else None,
            "declined_unanswerable": round(float((~answered[~y_test]).mean()), 3) if (~y_test).any() else None,
        }
        report["judge_weights"] = {k: round(v, 3) for k, v in judge.weights().items()}
    return report
