"""Measure the curated-answer matcher and the inbox's grouping threshold on generated questions.

    python -m knowledge.curated_fit [--index DIR ...] [--out FILE]   # `make curated-calibration`

Each built index's sentences generate questions (`knowledge.generate`, as at build time).
Questions generated from one sentence about one fact (same sentence, answer type and answer)
are paraphrases of each other; questions about another fact of the same sentence or passage,
and the perturbed questions generated as negatives, are near misses. One paraphrase of each
fact plays a curated entry's wording:

- the matcher: a logistic model of (cosine, word overlap) fitted on the pairs of 80 % of the
  sentences; its threshold is the lowest probability at which matches reach MATCH_PRECISION on
  them; the other 20 % are held back and reported;
- grouping: the same model's lowest probability at which pairs are paraphrases with GROUP_PRECISION.

The result goes to knowledge/data/curated_calibration.json with the figures behind it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from knowledge.curated import CALIBRATION_FILE, core, overlap
from knowledge.embed import make_embedder
from knowledge.embed_cache import EmbeddingCache
from knowledge.fit import fold_of
from knowledge.generate import GeneratedQuestion, QuestionGenerator, sentence_refs
from knowledge.glossary import cedict_synonyms
from knowledge.index import KnowledgeIndex
from knowledge.lexical import Tokenizer
from knowledge.settings import Settings

# A curated answer is cited as the park's own word: a wrong match costs more than a miss.
MATCH_PRECISION = 0.95
# A wrong merge hides a question inside another's group; a missed one only shows two rows.
GROUP_PRECISION = 0.9
RANDOM_NEGATIVES = 20  # unrelated questions per entry, beside its near misses
SEED = 13


@dataclass(frozen=True)
class Generated:
    question: GeneratedQuestion
    passage: int
    held_out: bool
    key: tuple  # the fact it asks about; paraphrases share it
    corpus: int


def fact_key(q: GeneratedQuestion, corpus: int, i: int) -> tuple:
    """What a question asks: questions with one key are paraphrases. A description ("说说X") is
    answered by any sentence about X (its `evidence`), so its key is X, not its sentence."""
    if not q.answerable:
        return (corpus, "negative", i)
    if q.evidence:  # one subject written with or without "·" or spaces is one subject
        return (corpus, "about", q.answer_type, tuple(re.sub(r"\W", "", unicodedata.normalize("NFKC", w)) for w in q.evidence))
    return (corpus, q.row, q.answer_type, q.answer)


def generate(settings: Settings, corpus: int) -> tuple[list[Generated], np.ndarray]:
    embedder = make_embedder(settings)
    index = KnowledgeIndex.load(settings, embedder)
    refs = sentence_refs(index.passages, index.sentence_offsets)
    unique = list({r.text: r for r in refs}.values())
    text = " ".join(p.text for p in index.passages)
    generator = QuestionGenerator(Tokenizer(settings.cache_dir), index.glossary, text, SEED,
                                  cedict_synonyms(set(index.term_df)))
    by_row = {r.row: r for r in unique}
    out = []
    for i, q in enumerate(generator.generate(unique)):
        ref = by_row[q.row]
        out.append(Generated(q, ref.passage, fold_of(ref.text) < 0, fact_key(q, corpus, i), corpus))
    # One wording generated for two facts ("How big is X?" of a sentence stating two areas) is
    # ambiguous, not a near miss of itself: left out.
    keys_of: dict[str, set[tuple]] = defaultdict(set)
    for g in out:
        keys_of[core(g.question.text)].add(g.key)
    out = [g for g in out if len(keys_of[core(g.question.text)]) == 1]
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite", embedder.model_id, embedder.dim)
    vectors, _ = cache.embed("query", [core(g.question.text) for g in out], embedder.embed_queries)
    return out, vectors


def match_pairs(items: list[Generated], vectors: np.ndarray, rng: random.Random) -> list[tuple[float, float, int, bool]]:
    """(cosine, overlap, label, held out) for each entry wording against its paraphrases, its near
    misses (same passage, another fact; the sentence's perturbed questions) and random others."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, g in enumerate(items):
        groups[g.key].append(i)
    by_passage: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, g in enumerate(items):
        by_passage[(g.corpus, g.passage)].append(i)
    pairs = []
    for key, members in groups.items():
        if key[1] == "negative":
            continue
        for lang in ("zh", "en"):
            # Staff write one clean wording per language: the shortest one plays it.
            same = sorted((i for i in members if items[i].question.lang == lang), key=lambda i: len(items[i].question.text))
            if len(same) < 2:
                continue
            anchor, a = same[0], items[same[0]]
            near = [j for j in by_passage[(a.corpus, a.passage)] if items[j].key != key and items[j].question.lang == lang]
            others = [j for j in rng.sample(range(len(items)), min(RANDOM_NEGATIVES, len(items)))
                      if items[j].key != key and j not in near and items[j].question.lang == lang]
            for j in [*same[1:], *near, *others]:
                pairs.append((float(vectors[anchor] @ vectors[j]),
                              overlap(core(a.question.text), core(items[j].question.text)),
                              int(items[j].key == key), a.held_out))
    return pairs


def lowest_threshold(scores: np.ndarray, labels: np.ndarray, precision: float) -> float:
    """The lowest score at which everything scored at least that reaches `precision`."""
    order = np.argsort(-scores)
    hits = np.cumsum(labels[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(hits >= precision)
    return float(scores[order][ok[-1]]) if len(ok) else float(scores.max()) + 1e-6


def precision_recall(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    chosen = scores >= threshold
    tp = int((chosen & (labels == 1)).sum())
    return (tp / max(1, int(chosen.sum())), tp / max(1, int((labels == 1).sum())))


def measure(settings_list: Sequence[Settings]) -> dict:
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(SEED)
    items: list[Generated] = []
    vectors = []
    for corpus, settings in enumerate(settings_list):
        found, vecs = generate(settings, corpus)
        items += found
        vectors.append(vecs)
    v = np.concatenate(vectors)
    pairs = np.asarray(match_pairs(items, v, rng), dtype=np.float64)
    x, y, held = pairs[:, :2], pairs[:, 2].astype(int), pairs[:, 3].astype(bool)
    model = LogisticRegression(C=10.0).fit(x[~held], y[~held])
    p = model.predict_proba(x)[:, 1]
    threshold = lowest_threshold(p[~held], y[~held], MATCH_PRECISION)
    fit_p, fit_r = precision_recall(p[~held], y[~held], threshold)
    test_p, test_r = precision_recall(p[held], y[held], threshold)
    cos_only = lowest_threshold(x[~held, 0], y[~held], MATCH_PRECISION)

    # Grouping asks the same thing of two logged questions: the same model, a looser target.
    group_threshold = lowest_threshold(p[~held], y[~held], GROUP_PRECISION)
    group_p, group_r = precision_recall(p[held], y[held], group_threshold)
    return {
        "w_cosine": round(float(model.coef_[0][0]), 4), "w_overlap": round(float(model.coef_[0][1]), 4),
        "bias": round(float(model.intercept_[0]), 4), "threshold": round(threshold, 4),
        "group_threshold": round(group_threshold, 4),
        "measured_on": {
            "corpora": [str(s.index_dir) for s in settings_list], "questions": len(items),
            "match_pairs": len(pairs), "match_pairs_held_out": int(held.sum()),
            "match_precision_target": MATCH_PRECISION,
            "match_fit_precision_recall": [round(fit_p, 3), round(fit_r, 3)],
            "match_held_out_precision_recall": [round(test_p, 3), round(test_r, 3)],
            "cosine_alone_threshold_for_target": round(cos_only, 4),
            "cosine_alone_held_out_precision_recall": [round(a, 3) for a in precision_recall(
                x[held, 0], y[held], cos_only)],
            "group_precision_target": GROUP_PRECISION,
            "group_held_out_precision_recall": [round(group_p, 3), round(group_r, 3)],
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.curated_fit", description=__doc__.splitlines()[0])
    parser.add_argument("--index", action="append", type=Path, help="a built index folder (default: KB_INDEX_DIR)")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args(argv)
    base = Settings.from_env()
    settings = [replace(base, index_dir=d.resolve()) for d in args.index] if args.index else [base]
    result = measure(settings)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
