"""Reciprocal rank fusion and the hybrid search around it, on tiny hand-made indexes."""

import numpy as np
import pytest

from knowledge.dense import DenseIndex, DenseParams
from knowledge.lexical import LexicalIndex
from knowledge.retrieve import hybrid_search, reciprocal_rank_fusion


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = reciprocal_rank_fusion([([1, 2, 3], 1.0), ([3, 1], 2.0)], k=10)
    assert fused[1] == pytest.approx(1 / 11 + 2 / 12)
    assert fused[2] == pytest.approx(1 / 12)
    assert fused[3] == pytest.approx(1 / 13 + 2 / 11)
    assert max(fused, key=fused.get) == 3


@pytest.fixture()
def indexes():
    vectors = np.eye(3, dtype=np.float32)
    dense = DenseIndex.build(vectors, DenseParams("flat"))
    lexical = LexicalIndex.build([["科创", "中心"], ["创新", "公园"], ["政策", "沙磁", "英才"]])
    return dense, lexical


def test_agreeing_rankers_put_the_passage_first(indexes):
    dense, lexical = indexes
    hits = hybrid_search(dense, lexical, np.array([0, 0, 1], np.float32), ["沙磁", "英才"], depth=3)
    assert hits[0].index == 2 and hits[0].dense_rank == 1 and hits[0].lexical_rank == 1


def test_each_side_can_run_alone(indexes):
    dense, lexical = indexes
    query = np.array([1, 0, 0], np.float32)
    only_lexical = hybrid_search(dense, lexical, query, ["公园"], depth=3, dense_weight=0)
    assert [h.index for h in only_lexical] == [1] and only_lexical[0].dense is None
    only_dense = hybrid_search(dense, lexical, query, ["公园"], depth=3, lexical_weight=0)
    assert only_dense[0].index == 0 and only_dense[0].lexical is None


def test_unknown_or_empty_query_terms_leave_dense_results(indexes):
    dense, lexical = indexes
    hits = hybrid_search(dense, lexical, np.array([0, 1, 0], np.float32), ["股市"], depth=3)
    assert hits[0].index == 1 and all(h.lexical is None for h in hits)
    assert lexical.search([], 3)[0].size == 0
