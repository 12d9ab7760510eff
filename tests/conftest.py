"""Shared test fixtures: everything offline, paths from the project."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def articles_dir() -> Path:
    return PROJECT_ROOT / "knowledge" / "articles"


@pytest.fixture(scope="session")
def real_article(articles_dir: Path) -> Path:
    return articles_dir / "university-town-tech-park.txt"


@pytest.fixture(scope="session")
def dev_set() -> Path:
    return PROJECT_ROOT / "knowledge" / "eval" / "dev_questions.yml"
