"""Fit the question classifier, the sentence ranker and the grounding judge on questions the
articles generate (knowledge.generate), at build time.

Three generations of questions, each from its own seed, are pooled (one alone left the judge's
threshold to the seed's draw). They are split by the sentence they came from: 80 % to fit, 20 % held
back and reported. The judge's two thresholds come from out-of-fold predictions on the
fitting part: the lowest probability at which answers reach the target precision
(`KB_JUDGE_PRECISION`, answerable and unanswerable questions weighed alike), and a lower one
at which the top passage is at least on topic half of the time (shown as "related", never as
an answer).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from knowledge.analysis import with_type
from knowledge.embed_cache import EmbeddingCache
from knowledge.fitted import FittedModels
from knowledge.generate import GeneratedQuestion, QuestionGenerator, SentenceRef, sentence_refs
from knowledge.judge import JUDGE_FEATURES, Thresholds, judge_features
from knowledge.lexical import Tokenizer
from knowledge.models import LogisticModel, TypeClassifier
from knowledge.pipeline import Pipeline
from knowledge.ranking import FEATURES, Candidate, candidates, rank

if TYPE_CHECKING:
    from knowledge.embed import Embedder
    from knowledge.index import KnowledgeIndex
    from knowledge.settings import Settings

log = logging.getLogger(__name__)
HELD_OUT = 0.2
MAX_QUESTIONS = 6000  # enough to fit a few dozen weights; bounds build time on a large corpus
GENERATIONS = 3  # question sets generated, each from its own seed, and pooled (pooled_questions)
MIN_EACH = 10  # fewer answerable or unanswerable questions than this: no judge is fitted
# A judge whose held-back answers are right less often than not is worse than none: a corpus of
# two short articles (76 generated questions) fitted one whose threshold fell by chance and that
# declined the question its only paragraph answers. Without one the closest passage is offered.
CHANCE = 0.5
RELATED_PRECISION = 0.6  # below the answer threshold, the top passage is shown as related when this likely on topic


FOLDS = 5


def fold_of(sentence: str) -> int:
    """-1 for a held-back sentence, else its cross-fitting fold (by a hash: stable across builds)."""
    u = int(hashlib.sha256(sentence.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return -1 if u < HELD_OUT else int((u - HELD_OUT) / (1 - HELD_OUT) * FOLDS) % FOLDS


def fit_index(settings: Settings, embedder: Embedder, index: KnowledgeIndex, seed: int = 13,
              progress=None) -> FittedModels:
    """The models for `index` (its stored ones, if any, are ignored), from questions generated
    with `seed`: at build time, and by `knowledge eval --seeds` to see how much answers depend on it."""
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite", embedder.model_id, embedder.dim)
    pipeline = Pipeline(settings, embedder, replace(index, models=FittedModels()), Tokenizer(settings.cache_dir))
    return fit_models(pipeline, cache, seed=seed, precision=settings.judge_precision, progress=progress)


def fit_models(pipeline: Pipeline, cache: EmbeddingCache, seed: int = 13, precision: float = 0.9,
               progress=None) -> FittedModels:
    """Fit the three models; every model that feeds another is cross-fitted, so the judge learns
    from ranker scores and answer types as confident as they will be on unseen questions."""
    started = time.perf_counter()
    index = pipeline.index
    refs = sentence_refs(index.passages, index.sentence_offsets)
    unique = list({r.text: r for r in refs}.values())
    corpus = " ".join(p.text for p in index.passages)
    # Only the glossary's other wordings: CC-CEDICT's same-sense words (suggest.py) are wrong
    # senses as often as not ("发展" → "肿块"), and questions made with them taught the judge
    # that nonsense may be answerable (measured: more wrong answers cited on both corpora).
    questions = pooled_questions(
        (QuestionGenerator(pipeline.tokenizer, index.glossary, corpus, s) for s in generation_seeds(seed)), unique)
    if len(questions) > MAX_QUESTIONS:
        picked = np.random.default_rng(seed).choice(len(questions), MAX_QUESTIONS, replace=False)
        questions = [questions[i] for i in sorted(picked)]
    source = {r.row: r.text for r in unique}
    fold = np.asarray([fold_of(source[q.row]) for q in questions])
    train = fold >= 0

    # Analysis and retrieval do not depend on the fitted models: once per question. A generated
    # question leans on no previous one, so its asked part is what retrieval searches.
    analyses = [pipeline.analyzer.analyse(q.text) for q in questions]
    vectors, _ = cache.embed("query", [a.asked for a in analyses], pipeline.embedder.embed_queries,
                             (lambda n: progress("fitting", n, len(analyses))) if progress else None)
    retrievals = [pipeline.retrieve(a, v) for a, v in zip(analyses, vectors, strict=True)]

    # 1. What a question asks for: the classifier, cross-fitted for the training questions.
    texts, types = [a.asked for a in analyses], [q.answer_type for q in questions]
    classifier = _fit_classifier(texts, vectors, types, train)
    per_fold = {k: _fit_classifier(texts, vectors, types, train & (fold != k)) for k in range(FOLDS)}
    analyses = [
        with_type(a, per_fold[fold[i]] if fold[i] >= 0 else classifier, vectors[i], vectors[i])
        for i, a in enumerate(analyses)
    ]
    cands = [candidates(index, a, r.vector, r.hits, pipeline.facts_of) for a, r in zip(analyses, retrievals, strict=True)]
    labels = [[answers(q, c.text, source[q.row]) for c in cs] for q, cs in zip(questions, cands, strict=True)]

    # 2. The ranker: which candidate is the sentence the question came from; cross-fitted likewise.
    ranker = _fit_ranker(cands, labels, train)
    rankers = {k: _fit_ranker(cands, labels, train & (fold != k)) for k in range(FOLDS)}
    ranked = [rank(cs, rankers[fold[i]] if fold[i] >= 0 else ranker) for i, cs in enumerate(cands)]
    top_right = np.asarray([bool(rs) and answers(q, rs[0].text, source[q.row]) for q, rs in zip(questions, ranked, strict=True)])

    # 3. The judge: does the top sentence answer (the question answerable and its sentence first)?
    x = np.stack([judge_features(rs) if rs else np.zeros(len(JUDGE_FEATURES), dtype=np.float32) for rs in ranked])
    usable = np.asarray([bool(rs) for rs in ranked])
    x_train, y_train = x[train & usable], top_right[train & usable]
    x_test, y_test = x[~train & usable], top_right[~train & usable]
    judge = None
    thresholds = Thresholds(answer=1.0, related=1.0)
    answered = np.zeros(len(y_test), dtype=bool)  # the held-back questions the judge answers
    dropped = ""
    if y_train.sum() >= MIN_EACH and (~y_train).sum() >= MIN_EACH:
        judge = LogisticModel.fit(x_train, y_train, JUDGE_FEATURES)
        thresholds = choose_thresholds(out_of_fold(x_train, y_train, seed), y_train, precision)
        answered = judge.prob(x_test) >= thresholds.answer
        if answered.any() and y_test[answered].mean() < CHANCE:
            dropped = f"held-back precision {y_test[answered].mean():.2f}: no better than chance"
            judge, thresholds = None, Thresholds(answer=1.0, related=1.0)
    report = _report(questions, ranked, top_right, train, judge, thresholds, answered, y_test,
                     time.perf_counter() - started)
    report["judge_examples"] = {"right": int(y_train.sum()), "wrong": int((~y_train).sum())}
    if dropped:
        report["judge_dropped"] = dropped
    log.info("fitted ranker and judge on %d generated questions: %s", len(questions), report)
    return FittedModels(classifier, ranker, judge, thresholds, report)


def generation_seeds(seed: int, n: int = GENERATIONS) -> list[int]:
    """`n` independent seeds derived from `seed`, none shared with another seed's."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def pooled_questions(generators: Iterable[QuestionGenerator], refs: list[SentenceRef]) -> list[GeneratedQuestion]:
    """The questions of several generations, each wording of a sentence once. One generation's
    draw of templates and words moved the fitted judge's threshold by up to 0.06 from seed to
    seed, and the fixture questions answered right with it from 0.44 to 0.59; pooled, the
    thresholds' spread halves."""
    pooled: dict[tuple[str, int], GeneratedQuestion] = {}
    for generator in generators:
        for q in generator.generate(refs):
            pooled.setdefault((q.text, q.row), q)
    return list(pooled.values())


def _fit_classifier(texts: list[str], vectors: np.ndarray, types: list[str], chosen: np.ndarray) -> TypeClassifier | None:
    picked = np.flatnonzero(chosen)
    if len({types[i] for i in picked}) < 3:
        return None
    return TypeClassifier.fit([texts[i] for i in picked], vectors[picked], [types[i] for i in picked])


def _fit_ranker(cands: list[list[Candidate]], labels: list[list[bool]], chosen: np.ndarray) -> LogisticModel | None:
    rows = [(c.features, ok) for i, cs in enumerate(cands) if chosen[i] and any(labels[i])
            for c, ok in zip(cs, labels[i], strict=True)]
    if not rows or not 0 < sum(ok for _, ok in rows) < len(rows):
        return None
    return LogisticModel.fit(np.stack([r for r, _ in rows]), np.asarray([ok for _, ok in rows]), FEATURES)


def answers(question: GeneratedQuestion, sentence: str, source: str) -> bool:
    """The sentence the question was made from, or one holding all its evidence (a description
    of a subject is answered by any sentence about it)."""
    if not question.answerable:
        return False
    return sentence == source or (bool(question.evidence) and all(e in sentence for e in question.evidence))


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
    """The lowest thresholds whose answers reach `precision` (answer) and RELATED_PRECISION (related).

    Precision is counted with the two classes weighed alike (as the judge is fitted): the share
    of answerable questions the generator happens to make for a corpus must not move the
    threshold. Counted raw, more positives lowered it and more wrong answers got through."""
    positives, negatives = max(int(labels.sum()), 1), max(int((~labels).sum()), 1)

    def lowest(target: float) -> float:
        for t in np.unique(np.round(probs, 3)):
            chosen = probs >= t
            hit, false = chosen[labels].sum() / positives, chosen[~labels].sum() / negatives
            if chosen.sum() >= 5 and hit / (hit + false) >= target:
                return float(t)
        return 1.0

    answer = lowest(precision)
    # Related passages are offered only above what half of the wrong tops score: below that,
    # a passage is as likely to be noise as help.
    floor = float(np.median(probs[~labels])) if (~labels).any() else 0.0
    return Thresholds(answer=answer, related=min(max(lowest(RELATED_PRECISION), floor), answer))


def _report(questions: list[GeneratedQuestion], ranked: list[list[Candidate]], top_right: np.ndarray,
            train: np.ndarray, judge: LogisticModel | None, thresholds: Thresholds, answered: np.ndarray,
            y_test: np.ndarray, seconds: float) -> dict:
    answerable = np.asarray([q.answerable for q in questions])
    held = ~train & answerable
    report: dict = {
        "questions": len(questions),
        "answerable": int(answerable.sum()),
        "kinds": dict(Counter(q.kind for q in questions)),
        "held_out": int((~train).sum()),
        "held_out_ranker_top1": round(float(top_right[held].mean()), 3) if held.any() else None,
        "thresholds": {"answer": thresholds.answer, "related": thresholds.related},
        "seconds": round(seconds, 1),
    }
    if judge is not None and len(y_test):
        report["held_out_judge"] = {
            "answered": int(answered.sum()),
            "precision": round(float(y_test[answered].mean()), 3) if answered.any() else None,
            "recall": round(float(answered[y_test].mean()), 3) if y_test.any() else None,
            "declined_unanswerable": round(float((~answered[~y_test]).mean()), 3) if (~y_test).any() else None,
        }
        report["judge_weights"] = {k: round(v, 3) for k, v in judge.weights().items()}
    return report
