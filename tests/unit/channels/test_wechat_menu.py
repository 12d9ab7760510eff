"""The account menu: the example installs through WeChat's API (the fake here), bad menus are refused."""

from __future__ import annotations

import json

import pytest

from channels.wechat.fake_api import FakeWeChatApi
from channels.wechat.menu import EXAMPLE_MENU, check, click_keys, main, question_for
from knowledge.phrases import TOPIC_BUTTONS


def test_every_key_of_the_example_menu_asks_a_question() -> None:
    menu = json.loads(EXAMPLE_MENU.read_text(encoding="utf-8"))
    assert check(menu) == []
    questions = [question_for(key) for key in click_keys(menu)]
    assert {b.payload for b in TOPIC_BUTTONS["zh"]} <= set(questions)
    assert question_for("V1001_UNKNOWN") == "V1001_UNKNOWN"  # passed on as typed


def test_make_wechat_menu_installs_the_example(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    with FakeWeChatApi(appid="wx-menu", secret="s3cret") as api:
        monkeypatch.setenv("WECHAT_APPID", "wx-menu")
        monkeypatch.setenv("WECHAT_APPSECRET", "s3cret")
        monkeypatch.setenv("WECHAT_API_BASE", api.base_url)
        assert main([]) == 0
        assert api.menu == json.loads(EXAMPLE_MENU.read_text(encoding="utf-8"))
        monkeypatch.setenv("WECHAT_APPSECRET", "wrong")
        assert main([]) == 1  # WeChat's refusal is reported, not a traceback
    assert "refused" in capsys.readouterr().err


def test_a_menu_with_unknown_keys_or_unreadable_json_is_refused_before_calling_wechat(tmp_path) -> None:
    bad = tmp_path / "menu.json"
    bad.write_text(json.dumps({"button": [{"type": "click", "name": "x", "key": "TYPO"}]}), encoding="utf-8")
    assert main(["--file", str(bad)]) == 2
    bad.write_text("{not json", encoding="utf-8")
    assert main(["--file", str(bad)]) == 2
