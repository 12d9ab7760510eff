"""The one settings table (knowledge/settings.py): parsing, named errors, deprecated names,
the start-up check, and README.md's configuration table generated from it."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.cli import main as knowledge_main
from knowledge.settings import (
    PROJECT_ROOT,
    TABLE,
    ActionSettings,
    ChannelEnv,
    Rate,
    Settings,
    SettingsError,
    StackEnv,
    StoreEnv,
    WebEnv,
    WeChatEnv,
    check,
    load,
    model_fields,
    variables,
)
from scripts import settings_table
from scripts.stack import StackConfig
from scripts.stack import main as stack_main

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # 43 characters


def problems(cls: type, env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load(cls, env)
    return caught.value.problems


# -- parsing ---------------------------------------------------------------------------------


def test_every_class_loads_its_defaults_from_an_empty_environment() -> None:
    for cls in TABLE:
        assert load(cls, {}) == cls()


def test_values_are_typed(tmp_path: Path) -> None:
    stack = StackEnv.from_env({"BOT_RASA_PORT": " 6005 ", "BOT_START_TIMEOUT": "2.5", "BOT_CORS": " https://a  https://b ",
                               "BOT_TRACKER_DB": str(tmp_path / "t.db"), "BOT_JWT_METHOD": "HS512"})  # fmt: skip
    assert (stack.rasa_port, stack.start_timeout, stack.cors) == (6005, 2.5, ("https://a", "https://b"))
    assert stack.tracker_db == tmp_path / "t.db" and stack.jwt_method == "HS512"
    channel = ChannelEnv.from_env({"BOT_RATE_LIMIT": "off", "BOT_RATE_LIMIT_IP": "5/10", "BOT_RATE_LIMIT_EXEMPT": "10.0.0.0/8, ::1"})
    assert channel.rate_limit is None and channel.rate_limit_ip == Rate(5, 10)
    assert channel.rate_limit_exempt == ("10.0.0.0/8", "::1")
    assert ChannelEnv.from_env({"BOT_RATE_LIMIT": "30"}).rate_limit == Rate(30, 60)  # seconds default to 60


def test_relative_paths_are_resolved_against_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"KB_INDEX_DIR": "idx"}).index_dir == tmp_path / "idx"
    assert Settings.from_env({}).index_dir == PROJECT_ROOT / "var" / "index"  # defaults: the project folder


def test_blank_values_count_as_unset() -> None:
    assert StackEnv.from_env({"BOT_RASA_PORT": "", "BOT_HOST": "   "}) == StackEnv()
    assert WeChatEnv.from_env({"WECHAT_TOKEN": "  "}).token == "dev-token"


def test_class_attributes_are_the_plain_defaults() -> None:
    assert Settings.chunk_size == 220 and StackEnv.rasa_port == 5005 and ChannelEnv.rate_limit == Rate(20, 60)


def test_replace_validates_too() -> None:
    assert replace(Settings(), chunk_size=300).chunk_size == 300
    with pytest.raises(ValueError):
        replace(Settings(), chunk_overlap=500)


def test_secrets_are_masked_in_repr_and_errors() -> None:
    stack = StackEnv.from_env({"BOT_API_TOKEN": "s3cret-token"})
    assert "s3cret-token" not in repr(stack) and "api_token='***'" in repr(stack)
    [problem] = problems(WeChatEnv, {"WECHAT_AES_KEY": "not-the-right-key"})
    assert problem.startswith("WECHAT_AES_KEY must be 43 characters of Base64")
    assert "not-the-right-key" not in problem and "17 characters" in problem


# -- bad values: the variable's name, what it expects, the value; the same way everywhere ---------


@pytest.mark.parametrize(
    ("cls", "env", "message"),
    [
        (StackEnv, {"BOT_RASA_PORT": "abc"}, "BOT_RASA_PORT must be an integer between 1 and 65535, got 'abc'"),
        (StackEnv, {"BOT_WEB_PORT": "70000"}, "BOT_WEB_PORT must be an integer between 1 and 65535, got '70000'"),
        (StackEnv, {"BOT_START_TIMEOUT": "nan"}, "BOT_START_TIMEOUT must be a number greater than 0, got 'nan'"),
        (StackEnv, {"BOT_JWT_METHOD": "none"}, "BOT_JWT_METHOD must be one of HS256, "),
        (StackEnv, {"BOT_PUBLIC_URL": "localhost:5005"}, "BOT_PUBLIC_URL must be an http(s) URL"),
        (StackEnv, {"BOT_MAX_BODY_BYTES": "10"}, "BOT_MAX_BODY_BYTES must be an integer of at least 1024, got '10'"),
        (ChannelEnv, {"BOT_MAX_MESSAGE_CHARS": "0"}, "BOT_MAX_MESSAGE_CHARS must be an integer of at least 1, got '0'"),
        (ChannelEnv, {"BOT_REPLY_TIMEOUT": "-1"}, "BOT_REPLY_TIMEOUT must be a number greater than 0, got '-1'"),
        (ChannelEnv, {"BOT_RATE_LIMIT": "fast"}, "BOT_RATE_LIMIT must be messages/whole seconds"),
        (ChannelEnv, {"BOT_RATE_LIMIT_IP": "5/0"}, "BOT_RATE_LIMIT_IP must be messages/whole seconds"),
        (ChannelEnv, {"BOT_RATE_LIMIT_EXEMPT": "10.0.0.0/33"}, "BOT_RATE_LIMIT_EXEMPT must be IP addresses"),
        (ActionSettings, {"BOT_PARK_NAME_EN": "x" * 81}, "BOT_PARK_NAME_EN must be text of at most 80 characters"),
        (Settings, {"KB_CHUNK_SIZE": "big"}, "KB_CHUNK_SIZE must be an integer of at least 1, got 'big'"),
        (Settings, {"KB_CHUNK_OVERLAP": "220"}, "KB_CHUNK_OVERLAP must be an integer between 0 and 219"),
        (Settings, {"KB_INDEX_TYPE": "tree"}, "KB_INDEX_TYPE must be one of flat, hnsw, ivf, got 'tree'"),
        (Settings, {"KB_JUDGE_PRECISION": "1.5"}, "KB_JUDGE_PRECISION must be a number greater than 0 and at most 1"),
        # formerly clamped silently to 1024 and 1
        (WeChatEnv, {"WECHAT_MAX_BODY_BYTES": "10"}, "WECHAT_MAX_BODY_BYTES must be an integer of at least 1024, got '10'"),
        (WeChatEnv, {"WECHAT_MAX_TRIES": "0"}, "WECHAT_MAX_TRIES must be an integer of at least 1, got '0'"),
        (WeChatEnv, {"WECHAT_HOLD_SECONDS": "soon"}, "WECHAT_HOLD_SECONDS must be a number of at least 0, got 'soon'"),
        (WebEnv, {"BOT_HOST": "0.0.0.0", "BOT_WEB_PORT": "-1"}, "BOT_WEB_PORT must be an integer between 1 and 65535, got '-1'"),
    ],
)
def test_a_bad_value_names_its_variable_and_what_it_expects(cls: type, env: dict[str, str], message: str) -> None:
    [problem] = problems(cls, env)
    assert problem.startswith(message)


def test_every_bad_value_is_reported_at_once() -> None:
    found = problems(StackEnv, {"BOT_RASA_PORT": "x", "BOT_ACTIONS_PORT": "y", "BOT_HOST": "fine"})
    assert [p.split()[0] for p in found] == ["BOT_RASA_PORT", "BOT_ACTIONS_PORT"]


def test_a_credentials_value_is_named_by_where_it_came_from() -> None:
    with pytest.raises(SettingsError, match=r"api_base in credentials\.yml must be an http"):
        load(WeChatEnv, {}, overrides={"api_base": "nowhere"}, source="credentials.yml")


# -- merged duplicates: the former names are read for one release, with a warning ---------------


@pytest.mark.parametrize(
    ("cls", "old", "new", "field", "value"),
    [
        (Settings, "KB_MAX_QUESTION_CHARS", "BOT_MAX_MESSAGE_CHARS", "max_question_chars", 300),
        (ChannelEnv, "KB_MAX_QUESTION_CHARS", "BOT_MAX_MESSAGE_CHARS", "max_message_chars", 300),
        (WebEnv, "WEB_PORT", "BOT_WEB_PORT", "web_port", 9000),
        (WebEnv, "WEB_HOST", "BOT_HOST", "host", "0.0.0.0"),
        (StackEnv, "BOT_PORT", "BOT_RASA_PORT", "rasa_port", 6005),
        (StackEnv, "WEB_PORT", "BOT_WEB_PORT", "web_port", 9000),
        (StoreEnv, "BOT_UNANSWERED_SALT", "BOT_PSEUDONYM_SALT", "pseudonym_salt", "pepper"),
    ],
)
def test_a_former_name_is_honoured_with_a_warning_naming_the_new_one(
    cls: type, old: str, new: str, field: str, value: object, caplog
) -> None:
    with caplog.at_level(logging.WARNING, logger="knowledge.settings"):
        settings = load(cls, {old: str(value)})
    assert getattr(settings, field) == value
    assert f"{old} is deprecated: set {new} instead" in caplog.text


def test_the_new_name_wins_over_the_former_one(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="knowledge.settings"):
        settings = Settings.from_env({"KB_MAX_QUESTION_CHARS": "300", "BOT_MAX_MESSAGE_CHARS": "400"})
    assert settings.max_question_chars == 400
    assert "KB_MAX_QUESTION_CHARS is deprecated and ignored: BOT_MAX_MESSAGE_CHARS is set" in caplog.text


def test_a_bad_value_under_a_former_name_is_named_as_given() -> None:
    assert problems(StackEnv, {"BOT_PORT": "x"})[0].startswith("BOT_PORT must be an integer between 1 and 65535")


def test_one_message_cap_for_channels_wechat_and_the_knowledge_library() -> None:
    env = {"BOT_MAX_MESSAGE_CHARS": "120"}
    assert ChannelEnv.from_env(env).max_message_chars == 120
    assert WeChatEnv.from_env(env).max_message_chars == 120
    assert Settings.from_env(env).max_question_chars == 120


# -- the start-up check ------------------------------------------------------------------------


def test_check_reports_every_component_once_and_warns_once() -> None:
    warnings: list[str] = []
    with pytest.raises(SettingsError) as caught:
        check({"BOT_MAX_MESSAGE_CHARS": "x", "KB_TOP_K": "0", "WEB_PORT": "9000"}, warn=warnings.append)
    assert caught.value.problems == [
        "BOT_MAX_MESSAGE_CHARS must be an integer of at least 1, got 'x'",  # read by three classes, told once
        "KB_TOP_K must be an integer of at least 1, got '0'",
    ]
    assert warnings == ["WEB_PORT is deprecated: set BOT_WEB_PORT instead (WEB_PORT is read until the next release)"]
    check({})  # the defaults are valid


def test_stack_exits_with_the_message_not_a_traceback(monkeypatch, capsys) -> None:
    monkeypatch.setenv("BOT_RASA_PORT", "abc")
    monkeypatch.setenv("WECHAT_MAX_TRIES", "0")  # not the stack's own: checked before anything starts
    assert stack_main(["train"]) == 2
    out = capsys.readouterr().out
    assert "[stack] configuration error: BOT_RASA_PORT must be an integer between 1 and 65535, got 'abc'" in out
    assert "[stack] configuration error: WECHAT_MAX_TRIES must be an integer of at least 1, got '0'" in out
    assert "Traceback" not in out


def test_knowledge_cli_exits_with_the_message(monkeypatch, capsys) -> None:
    monkeypatch.setenv("KB_CHUNK_SIZE", "[big]")
    assert knowledge_main(["build"]) == 2
    assert "configuration error: KB_CHUNK_SIZE must be an integer of at least 1, got '[big]'" in capsys.readouterr().err


def test_stack_config_derives_its_defaults_from_the_ports() -> None:
    cfg = StackConfig.from_env({"BOT_RASA_PORT": "6005", "BOT_WEB_PORT": "9080"})
    assert cfg.public_url == "http://localhost:6005"
    assert cfg.cors == ("http://localhost:9080", "http://127.0.0.1:9080")
    assert StackConfig.from_env({"BOT_CORS": "https://park.example"}).cors == ("https://park.example",)


def test_web_serve_refuses_a_bad_value_by_name() -> None:
    result = subprocess.run([sys.executable, "-m", "web.serve"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PYTHONPATH": str(PROJECT_ROOT), "BOT_WEB_PORT": "http"}, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "BOT_WEB_PORT must be an integer between 1 and 65535, got 'http'" in result.stderr
    assert "Traceback" not in result.stderr


# -- the table itself and README.md ------------------------------------------------------------


def test_every_variable_is_declared_once_and_documented() -> None:
    for name, (field, readers) in variables().items():
        assert re.fullmatch(r"(BOT|KB|WECHAT|REDIS|DB|CONSOLE|LEAD)_[A-Z0-9_]+", name), name
        assert field.field_info.description, f"{name} has no doc"
        for cls in readers[1:]:  # a shared variable: the same declaration everywhere
            other = next(f for f in model_fields(cls).values() if f.field_info.extra.get("env") == name)
            assert (other.field_info.description, other.default, other.field_info.extra["old"]) == (
                field.field_info.description, field.default, field.field_info.extra["old"]
            ), name


def test_the_readme_configuration_table_is_generated_from_the_settings_table() -> None:
    readme = settings_table.README.read_text(encoding="utf-8")
    assert settings_table.replace_table(readme, settings_table.render()) == readme, (
        "README.md's configuration table differs from knowledge/settings.py: run `make settings-table`"
    )
    for name in variables():
        assert f"| `{name}`" in readme, name
    assert "`BOT_PARK_NAME_ZH`" in readme and "`BOT_PARK_NAME_EN`" in readme
