"""The Rasa project itself: its data is consistent and the conversation tests pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts.stack import BOT, ROOT, StackConfig, train

pytestmark = pytest.mark.integration


def rasa(cfg: StackConfig, *args: str, env_extra: dict[str, str] | None = None):
    env = {**cfg.child_env(), **(env_extra or {})}
    return subprocess.run(
        [str(cfg.rasa), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> StackConfig:
    work = tmp_path_factory.mktemp("rasa")
    # bot/endpoints.yml needs these; `rasa test` never calls the action server.
    return StackConfig(tracker_db=work / "tracker.db", actions_port=9)


def test_training_data_validates_without_warnings(cfg: StackConfig) -> None:
    result = rasa(
        cfg, "data", "validate", "--domain", str(BOT / "domain"), "--data", str(BOT / "data"),
        "--config", str(BOT / "config.yml"), "--fail-on-warnings",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_conversation_tests_pass(cfg: StackConfig, tmp_path: Path) -> None:
    train(cfg)  # no-op when the model matches the data
    result = rasa(
        cfg, "test", "core", "--model", str(cfg.model), "--stories", str(BOT / "tests"),
        "--endpoints", str(BOT / "endpoints.yml"), "--fail-on-prediction-errors",
        "--out", str(tmp_path),
    )  # fmt: skip
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert result.returncode == 0, failed + result.stdout[-2000:]
