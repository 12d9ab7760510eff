import json
import logging
import stat
import threading
from pathlib import Path

import pytest

from actions.settings import ActionSettings
from actions.unanswered import UnansweredLog, key_path_for

OPENID = "oRvQf5bYxW7kz2TtVx9-abcdEFGH1234"  # the shape of a WeChat OpenID


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_appends_one_json_line_per_question_and_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "unanswered.jsonl"
    log = UnansweredLog(path)
    assert log.append("u1", "园区有人才公寓吗？", "zh", "ask_park")
    assert log.append("u2", "Visa help?", "en")
    lines = records(path)
    assert [r["question"] for r in lines] == ["园区有人才公寓吗？", "Visa help?"]
    assert lines[0]["lang"] == "zh" and lines[0]["intent"] == "ask_park"
    assert lines[0]["time"].endswith("+00:00")
    assert "人才公寓" in path.read_text(encoding="utf-8")  # readable, not \u-escaped


def test_senders_are_stored_as_keyed_hashes_that_still_group_a_conversation(
    tmp_path: Path,
) -> None:
    path = tmp_path / "unanswered.jsonl"
    log = UnansweredLog(path)
    log.append(OPENID, "q1", "zh")
    log.append("someone-else", "q2", "zh")
    log.append(OPENID, "q3", "zh")
    text = path.read_text(encoding="utf-8")
    assert OPENID not in text and "someone-else" not in text and '"sender"' not in text
    first, other, third = (r["sender_hash"] for r in records(path))
    assert first == third != other
    assert len(first) == 16 and int(first, 16) >= 0
    assert first == log.pseudonym(OPENID)


def test_without_a_salt_the_key_is_created_once_next_to_the_log_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "unanswered.jsonl"
    first = UnansweredLog(path).pseudonym(OPENID)
    key_file = key_path_for(path)
    assert key_file == tmp_path / "var" / "unanswered.salt"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 64  # 32 random bytes, hex
    # A restart (a new log object) reads the same key: the same pseudonym.
    assert UnansweredLog(path).pseudonym(OPENID) == first
    # Another install (another key) gives another pseudonym: the hash is keyed.
    assert UnansweredLog(tmp_path / "other" / "unanswered.jsonl").pseudonym(OPENID) != first


def test_the_salt_setting_replaces_the_key_file(tmp_path: Path) -> None:
    a = UnansweredLog(tmp_path / "a" / "u.jsonl", salt="s3cret")
    b = UnansweredLog(tmp_path / "b" / "u.jsonl", salt="s3cret")
    assert a.pseudonym(OPENID) == b.pseudonym(OPENID)  # same salt: same pseudonyms anywhere
    assert UnansweredLog(tmp_path / "c.jsonl", salt="other").pseudonym(OPENID) != a.pseudonym(OPENID)
    assert not key_path_for(tmp_path / "a" / "u.jsonl").exists()


def test_copying_the_key_file_into_the_salt_setting_keeps_the_pseudonyms(tmp_path: Path) -> None:
    path = tmp_path / "unanswered.jsonl"
    from_file = UnansweredLog(path).pseudonym(OPENID)
    salt = key_path_for(path).read_text()
    settings = ActionSettings.from_env({"BOT_UNANSWERED_SALT": salt, "BOT_UNANSWERED_LOG": "x"})
    elsewhere = UnansweredLog(tmp_path / "elsewhere.jsonl", settings.unanswered_salt)
    assert elsewhere.pseudonym(OPENID) == from_file


def test_an_empty_key_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "unanswered.jsonl"
    key_path_for(path).write_text("")
    UnansweredLog(path).pseudonym("u")
    assert len(key_path_for(path).read_text().strip()) == 64


def test_rotates_at_the_size_limit_and_keeps_n_backups(tmp_path: Path) -> None:
    path = tmp_path / "unanswered.jsonl"
    log = UnansweredLog(path, salt="k", max_bytes=400, backups=2)
    for i in range(40):
        assert log.append("u", f"question {i:02d}", "en")
    files = [path, log.rotated(1), log.rotated(2)]
    assert all(f.stat().st_size <= 400 for f in files)
    assert not log.rotated(3).exists()
    # Newest in the live file, older ones in .1 then .2, each file whole lines in order.
    kept = [r["question"] for f in reversed(files) for r in records(f)]
    assert kept == [f"question {i:02d}" for i in range(40 - len(kept), 40)]


def test_a_line_bigger_than_the_limit_still_goes_in_whole(tmp_path: Path) -> None:
    path = tmp_path / "unanswered.jsonl"
    log = UnansweredLog(path, salt="k", max_bytes=100, backups=1)
    log.append("u", "short", "en")
    log.append("u", "x" * 500, "en")
    assert [r["question"] for r in records(path)] == ["x" * 500]
    assert [r["question"] for r in records(log.rotated(1))] == ["short"]


def test_zero_max_bytes_never_rotates(tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "u.jsonl", salt="k", max_bytes=0)
    for _ in range(50):
        log.append("u", "q" * 100, "en")
    assert len(records(log.path)) == 50 and not log.rotated(1).exists()


def test_concurrent_appends_across_rotations_lose_and_split_no_line(tmp_path: Path) -> None:
    path = tmp_path / "unanswered.jsonl"
    # Enough backups to keep everything: then every line written must be found, whole.
    log = UnansweredLog(path, salt="k", max_bytes=2_000, backups=1_000)
    threads, per_thread = 8, 60

    def writer(t: int) -> None:
        for i in range(per_thread):
            assert log.append(f"user-{t}", f"线程{t}的问题{i}" + "长" * (i % 37), "zh")

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    files = [path, *sorted(tmp_path.glob("unanswered.jsonl.*[0-9]"))]
    assert len(files) > 10  # it did rotate, many times
    questions = [r["question"] for f in files for r in records(f)]  # json.loads: whole lines
    assert len(questions) == threads * per_thread
    assert {q.split("长")[0] for q in questions} == {
        f"线程{t}的问题{i}" for t in range(threads) for i in range(per_thread)
    }


def test_lone_surrogates_from_the_network_do_not_crash(tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "u.jsonl", salt="k")
    assert log.append("u\ud800", "问题\udcff", "zh")
    [record] = records(log.path)
    assert record["question"].startswith("问题")


def test_io_error_is_logged_not_raised(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        log = UnansweredLog(blocker / "unanswered.jsonl")
        assert log.append("u1", "q", "zh") is False  # no place for the key either
    assert "could not record" in caplog.text
    assert "BOT_UNANSWERED_SALT" in caplog.text  # the key problem is named with the fix
    assert len(log.pseudonym("u1")) == 16  # still pseudonymous


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    target = tmp_path / "x.jsonl"
    s = ActionSettings.from_env(
        {
            "BOT_UNANSWERED_LOG": str(target),
            "BOT_UNANSWERED_SALT": " pepper ",
            "BOT_UNANSWERED_MAX_BYTES": "1000",
            "BOT_UNANSWERED_BACKUPS": "3",
        }
    )
    assert (s.unanswered_log, s.unanswered_salt) == (target, "pepper")
    assert (s.unanswered_max_bytes, s.unanswered_backups) == (1000, 3)
    log = UnansweredLog.from_settings(s)
    assert (log.path, log.max_bytes, log.backups) == (target, 1000, 3)
    default = ActionSettings.from_env({})
    assert default.unanswered_log.parts[-2:] == ("var", "unanswered.jsonl")
    assert default.unanswered_salt == "" and default.unanswered_max_bytes == 10 * 1024 * 1024
    assert default.unanswered_backups == 5


@pytest.mark.parametrize(
    "env",
    [
        {"BOT_UNANSWERED_MAX_BYTES": "big"},
        {"BOT_UNANSWERED_MAX_BYTES": "-1"},
        {"BOT_UNANSWERED_BACKUPS": "0"},
        {"BOT_PARK_NAME_ZH": "园" * 81},
    ],
)
def test_bad_settings_fail_at_start_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=next(iter(env))):
        ActionSettings.from_env(env)


def test_building_the_log_creates_no_file(tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "var" / "unanswered.jsonl")
    assert not (tmp_path / "var").exists()  # e.g. an action server that refuses to start
    log.append("u", "q", "zh")
    assert key_path_for(log.path).exists() and log.path.exists()
