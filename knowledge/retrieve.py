"""Hybrid retrieval: dense (FAISS) and lexical (BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.dense import DenseIndex
from knowledge.lexical import LexicalIndex


@dataclass
class Hit:
    index: int  # position of the passage in the index
    fused: float = 0.0
    dense: float | None = None  # cosine of query and passage
    dense_rank: int | None = None  # 1-based
    lexical: float | None = None  # BM25 score
    lexical_rank: int | None = None


def reciprocal_rank_fusion(
    rankings: list[tuple[list[int], float]], k: int = 60
) -> dict[int, float]:
    """Σ weight / (k + rank) over the rankings each item appears in (rank is 1-based).

    RRF needs no score calibration between a cosine and a BM25 score, which live on
    unrelated scales; `k` damps the difference between neighbouring ranks.
    """
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def hybrid_search(
    dense: DenseIndex,
    lexical: LexicalIndex,
    query_vector: np.ndarray,
    query_tokens: list[str],
    *,
    depth: int,
    rrf_k: int = 60,
    dense_weight: float = 1.0,
    lexical_weight: float = 1.0,
) -> list[Hit]:
    """Passages best first. Either weight may be 0 to run that side alone (for ablations)."""
    hits: dict[int, Hit] = {}
    rankings: list[tuple[list[int], float]] = []
    if dense_weight > 0:
        scores, ids = dense.search(query_vector.reshape(1, -1), depth)
        order = [int(i) for i in ids[0] if i >= 0]
        for rank, (i, score) in enumerate(zip(order, scores[0], strict=False), start=1):
            hits.setdefault(i, Hit(i)).dense = float(score)
            hits[i].dense_rank = rank
        rankings.append((order, dense_weight))
    if lexical_weight > 0:
        ids, scores = lexical.search(query_tokens, depth)
        order = [int(i) for i in ids]
        for rank, (i, score) in enumerate(zip(order, scores, strict=True), start=1):
            hits.setdefault(i, Hit(i)).lexical = float(score)
            hits[i].lexical_rank = rank
        rankings.append((order, lexical_weight))
    for i, score in reciprocal_rank_fusion(rankings, rrf_k).items():
        hits[i].fused = score
    return sorted(hits.values(), key=lambda h: (-h.fused, -(h.dense or 0.0)))
