import json
import logging
from pathlib import Path

from actions.settings import ActionSettings
from actions.unanswered import UnansweredLog


def test_appends_one_json_line_per_question_and_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "unanswered.jsonl"
    log = UnansweredLog(path)
    assert log.append("u1", "园区有人才公寓吗？", "zh", "ask_park")
    assert log.append("u2", "Visa help?", "en")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["question"] for r in lines] == ["园区有人才公寓吗？", "Visa help?"]
    assert lines[0]["sender"] == "u1" and lines[0]["lang"] == "zh"
    assert lines[0]["time"].endswith("+00:00")
    assert "人才公寓" in path.read_text(encoding="utf-8")  # readable, not \u-escaped


def test_io_error_is_logged_not_raised(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    log = UnansweredLog(blocker / "unanswered.jsonl")
    with caplog.at_level(logging.WARNING):
        assert log.append("u1", "q", "zh") is False
    assert "could not record" in caplog.text


def test_log_path_comes_from_the_environment(tmp_path: Path) -> None:
    target = tmp_path / "x.jsonl"
    assert ActionSettings.from_env({"BOT_UNANSWERED_LOG": str(target)}).unanswered_log == target
    default = ActionSettings.from_env({}).unanswered_log
    assert default.parts[-2:] == ("var", "unanswered.jsonl")
