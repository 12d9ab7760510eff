"""Pseudonyms: keyed hashes that group a conversation without keeping its sender id."""

from __future__ import annotations

import logging
from pathlib import Path

from knowledge.settings import StoreEnv
from store.pseudonym import KEY_FILE, LEGACY_KEY_FILE, Pseudonyms

OPENID = "oABCD1234-wechat-openid"


def test_a_sender_is_a_short_keyed_hash_that_groups_its_conversation(tmp_path: Path) -> None:
    names = Pseudonyms(tmp_path / KEY_FILE, salt="k")
    first = names(OPENID)
    assert len(first) == 16 and OPENID not in first
    assert names(OPENID) == first and names("someone-else") != first


def test_without_a_salt_the_key_is_created_once_beside_the_database_and_kept(tmp_path: Path) -> None:
    env = StoreEnv.from_env({"BOT_DATABASE_FILE": str(tmp_path / "var" / "bot.db")})
    first = Pseudonyms.from_env(env)(OPENID)
    key_file = tmp_path / "var" / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert Pseudonyms.from_env(env)(OPENID) == first  # a restart reads the same key
    other = StoreEnv.from_env({"BOT_DATABASE_FILE": str(tmp_path / "other" / "bot.db")})
    assert Pseudonyms.from_env(other)(OPENID) != first  # another install: another key


def test_the_former_unanswered_logs_key_is_adopted_so_old_pseudonyms_stay(tmp_path: Path) -> None:
    (tmp_path / LEGACY_KEY_FILE).write_text("legacy-key\n")
    names = Pseudonyms(tmp_path / KEY_FILE)
    assert names(OPENID) == Pseudonyms(tmp_path / "x", salt="legacy-key")(OPENID)
    assert (tmp_path / KEY_FILE).read_text().strip() == "legacy-key"


def test_the_salt_setting_and_its_former_name_replace_the_key_file(tmp_path: Path) -> None:
    new = StoreEnv.from_env({"BOT_PSEUDONYM_SALT": "pepper", "BOT_DATABASE_FILE": str(tmp_path / "a.db")})
    old = StoreEnv.from_env({"BOT_UNANSWERED_SALT": "pepper", "BOT_DATABASE_FILE": str(tmp_path / "b" / "b.db")})
    assert Pseudonyms.from_env(new)(OPENID) == Pseudonyms.from_env(old)(OPENID)
    assert not (tmp_path / KEY_FILE).exists() and "pepper" not in repr(new)


def test_an_empty_key_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("")
    Pseudonyms(tmp_path / KEY_FILE)("u")
    assert len((tmp_path / KEY_FILE).read_text().strip()) == 64


def test_an_unwritable_key_folder_is_logged_and_still_pseudonymous(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        name = Pseudonyms(blocker / KEY_FILE)("u1")
    assert len(name) == 16 and "BOT_PSEUDONYM_SALT" in caplog.text


def test_building_creates_no_file(tmp_path: Path) -> None:
    Pseudonyms(tmp_path / KEY_FILE)
    assert list(tmp_path.iterdir()) == []


def test_lone_surrogates_from_the_network_do_not_crash(tmp_path: Path) -> None:
    assert len(Pseudonyms(tmp_path / KEY_FILE, "k")("bad\ud800id")) == 16
