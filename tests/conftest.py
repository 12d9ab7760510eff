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


# --- the bot's database (store/) in a temporary SQLite file ------------------------------------


@pytest.fixture()
def bot_db(tmp_path: Path):  # -> Iterator[store.db.Database]
    from store.db import Database

    db = Database(f"sqlite:///{tmp_path / 'db' / 'bot.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture()
def recorder(bot_db, tmp_path: Path):  # -> actions.question_log.QuestionRecorder
    """The action's question log, writing to `bot_db`, pseudonyms keyed by a key file in tmp_path."""
    from actions.question_log import QuestionRecorder
    from store.background import BackgroundWriter
    from store.pseudonym import Pseudonyms

    return QuestionRecorder(Pseudonyms(tmp_path / "db" / "pseudonym.salt"), BackgroundWriter(lambda: bot_db, migrate=False))


@pytest.fixture()
def logged(recorder, bot_db):  # -> Callable[[], list[store.models.QuestionLog]]
    """What the question log holds (oldest first) once the writer has written everything queued."""
    from sqlalchemy import select

    from store.models import QuestionLog

    def rows() -> list[QuestionLog]:
        assert recorder.writer.flush(), "the question log's writer did not finish in time"
        with bot_db.session() as session:
            return list(session.scalars(select(QuestionLog).order_by(QuestionLog.id)))

    return rows
