"""FAISS inner-product index over L2-normalised vectors (so scores are cosines).

Flat (exact) suits thousands to a few hundred thousand passages; HNSW and IVF
(optionally with PQ compression) are approximate and suit larger corpora.
`scripts/bench_scale.py` (`make bench-scale`) measures where each pays off; see docs/scale.md.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from knowledge.errors import KnowledgeError

INDEX_TYPES = ("flat", "hnsw", "ivf")
PQ_MIN_VECTORS = 10_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DenseParams:
    type: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_search: int = 256
    hnsw_ef_construction: int = 80
    ivf_nlist: int = 0  # 0 = about 4*sqrt(n), bounded so every list gets training points
    ivf_nprobe: int = 256
    ivf_pq_m: int = 0  # 0 = IVF-flat; else PQ sub-quantisers of 8 bits

    def describe(self) -> dict[str, object]:
        """What the build depends on; search-time knobs (ef_search, nprobe) are left out, so
        tuning them needs no rebuild."""
        if self.type == "hnsw":
            return {"type": "hnsw", "m": self.hnsw_m, "ef_construction": self.hnsw_ef_construction}
        if self.type == "ivf":
            return {"type": "ivf", "nlist": self.ivf_nlist, "pq_m": self.ivf_pq_m}
        return {"type": "flat"}


def _check(vectors: np.ndarray) -> np.ndarray:
    if vectors.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {vectors.shape}")
    return np.ascontiguousarray(vectors, dtype=np.float32)


def ivf_nlist_for(n: int, requested: int = 0) -> int:
    nlist = requested or int(4 * math.sqrt(max(n, 1)))
    return max(1, min(nlist, n // 39 if n >= 39 else 1))  # faiss wants ~39 points per centroid


class DenseIndex:
    def __init__(self, index, params: DenseParams) -> None:
        self._index = index
        self.params = params
        self._apply_search_params()

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def _apply_search_params(self) -> None:
        import faiss

        if self.params.type == "hnsw":
            self._index.hnsw.efSearch = self.params.hnsw_ef_search
        elif self.params.type == "ivf":
            faiss.extract_index_ivf(self._index).nprobe = self.params.ivf_nprobe

    @classmethod
    def build(cls, vectors: np.ndarray, params: DenseParams) -> DenseIndex:
        import faiss

        vectors = _check(vectors)
        n, dim = vectors.shape
        if params.type not in INDEX_TYPES:
            raise KnowledgeError(f"unknown index type {params.type!r}: use one of {', '.join(INDEX_TYPES)}")
        if params.type == "hnsw":
            index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = params.hnsw_ef_construction
        elif params.type == "ivf" and n >= 39:
            nlist = ivf_nlist_for(n, params.ivf_nlist)
            quantizer = faiss.IndexFlatIP(dim)
            if params.ivf_pq_m and n < PQ_MIN_VECTORS:
                # PQ cannot be trained well on few vectors (and recalls poorly on e5 without a re-rank).
                log.warning("IVF-PQ needs %d+ vectors, the corpus has %d: building IVF-flat", PQ_MIN_VECTORS, n)
                params = replace(params, ivf_pq_m=0)
            if params.ivf_pq_m:
                if dim % params.ivf_pq_m:
                    raise KnowledgeError(f"ivf_pq_m={params.ivf_pq_m} must divide the dimension {dim}")
                index = faiss.IndexIVFPQ(quantizer, dim, nlist, params.ivf_pq_m, 8, faiss.METRIC_INNER_PRODUCT)
            else:
                index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
        else:
            # Too few vectors to train IVF (or flat asked for): exact search is both possible and best.
            index = faiss.IndexFlatIP(dim)
            params = DenseParams(type="flat") if params.type == "ivf" else params
        if n:
            index.add(vectors)
        return cls(index, params)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each of shape (n_queries, k'); ids of -1 (no hit) are removed per row by callers."""
        queries = _check(queries)
        if queries.shape[1] != self.dim:
            raise KnowledgeError(f"query dimension {queries.shape[1]} does not match the index ({self.dim})")
        k = max(1, min(k, self.size)) if self.size else 1
        if not self.size:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        scores, ids = self._index.search(queries, k)
        return scores, ids

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, params: DenseParams) -> DenseIndex:
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise KnowledgeError(f"cannot read FAISS index {path}: {exc}") from exc
        return cls(index, params)
