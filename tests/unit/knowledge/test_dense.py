"""FAISS index on tiny hand-made vectors: exact and approximate search, persistence, errors."""

import numpy as np
import pytest

from knowledge.dense import DenseIndex, DenseParams, ivf_nlist_for
from knowledge.errors import KnowledgeError


def unit(rows):
    v = np.asarray(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


VECTORS = unit([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 1, 0, 0]])


def test_flat_returns_cosine_order():
    index = DenseIndex.build(VECTORS, DenseParams("flat"))
    scores, ids = index.search(unit([[1, 0.2, 0, 0]]), 3)
    assert ids[0].tolist() == [0, 3, 1]
    assert scores[0][0] == pytest.approx(1 / np.sqrt(1.04), abs=1e-5)


def test_hnsw_finds_the_same_neighbours_on_a_small_set():
    rng = np.random.default_rng(0)
    data = unit(rng.normal(size=(500, 16)))
    exact = DenseIndex.build(data, DenseParams("flat"))
    approx = DenseIndex.build(data, DenseParams("hnsw", hnsw_m=16, hnsw_ef_search=64))
    q = unit(rng.normal(size=(20, 16)))
    _, e = exact.search(q, 5)
    _, a = approx.search(q, 5)
    recall = np.mean([len(set(x) & set(y)) / 5 for x, y in zip(e, a, strict=True)])
    assert recall >= 0.9


def test_ivf_trains_on_enough_vectors_and_falls_back_to_flat_on_few():
    rng = np.random.default_rng(1)
    big = DenseIndex.build(unit(rng.normal(size=(2000, 8))), DenseParams("ivf", ivf_nprobe=8))
    assert big.params.type == "ivf" and big.size == 2000
    small = DenseIndex.build(VECTORS, DenseParams("ivf"))
    assert small.params.type == "flat"
    assert ivf_nlist_for(2000) == 51 and ivf_nlist_for(10) == 1


def test_save_and_load_round_trip(tmp_path):
    index = DenseIndex.build(VECTORS, DenseParams("flat"))
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss", DenseParams("flat"))
    assert loaded.size == 4 and loaded.dim == 4
    assert loaded.search(VECTORS[2:3], 1)[1][0][0] == 2


def test_errors_are_clear(tmp_path):
    index = DenseIndex.build(VECTORS, DenseParams("flat"))
    with pytest.raises(KnowledgeError, match="dimension"):
        index.search(np.ones((1, 3), dtype=np.float32), 1)
    with pytest.raises(KnowledgeError, match="unknown index type"):
        DenseIndex.build(VECTORS, DenseParams("annoy"))
    (tmp_path / "broken.faiss").write_bytes(b"not an index")
    with pytest.raises(KnowledgeError, match="cannot read"):
        DenseIndex.load(tmp_path / "broken.faiss", DenseParams("flat"))


def test_search_knobs_do_not_change_what_a_build_depends_on():
    assert DenseParams("hnsw", hnsw_ef_search=16).describe() == DenseParams("hnsw", hnsw_ef_search=512).describe()
    assert DenseParams("ivf", ivf_nprobe=1).describe() == DenseParams("ivf", ivf_nprobe=256).describe()
    assert DenseParams("hnsw", hnsw_m=16).describe() != DenseParams("hnsw", hnsw_m=32).describe()


def test_pq_on_a_small_corpus_falls_back_to_ivf_flat():
    rng = np.random.default_rng(2)
    index = DenseIndex.build(unit(rng.normal(size=(2000, 16))), DenseParams("ivf", ivf_pq_m=4))
    assert index.params.type == "ivf" and index.params.ivf_pq_m == 0
