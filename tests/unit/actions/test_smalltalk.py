import pytest
from rasa_sdk.executor import CollectingDispatcher
from trackers import make_tracker

from actions.settings import ActionSettings
from actions.smalltalk import (
    ActionBotChallenge,
    ActionGoodbye,
    ActionGreet,
    ActionHelp,
    ActionThanks,
)


def run(action, text: str, lang_slot: str | None = None):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, make_tracker(text, slots={"lang": lang_slot}), {})
    return dispatcher.messages, events


@pytest.mark.parametrize(
    ("action", "name"),
    [
        (ActionGreet, "action_greet"),
        (ActionHelp, "action_help"),
        (ActionGoodbye, "action_goodbye"),
        (ActionThanks, "action_thanks"),
        (ActionBotChallenge, "action_bot_challenge"),
    ],
)
def test_names_match_the_domain(action, name: str) -> None:
    assert action().name() == name


def test_greeting_in_chinese_offers_topic_buttons() -> None:
    messages, events = run(ActionGreet(), "你好")
    assert messages[0]["text"].startswith("您好")
    assert [b["title"] for b in messages[0]["buttons"]][:3] == ["政策", "平台", "园区布局"]
    assert events == [{"event": "slot", "timestamp": None, "name": "lang", "value": "zh"}]


def test_help_in_english() -> None:
    messages, _ = run(ActionHelp(), "what can you do?")
    assert messages[0]["text"].startswith("Ask in English or Chinese")
    assert len(messages[0]["buttons"]) == 4


def test_message_without_letters_keeps_the_conversation_language() -> None:
    messages, _ = run(ActionThanks(), "👍", lang_slot="en")
    assert messages[0]["text"].startswith("You're welcome")


def test_greeting_names_the_configured_park_in_the_users_language() -> None:
    settings = ActionSettings.from_env(
        {"BOT_PARK_NAME_ZH": " 示例 科技园 ", "BOT_PARK_NAME_EN": "Example\nTech Park"}
    )
    assert (settings.park_name("zh"), settings.park_name("en")) == ("示例 科技园", "Example Tech Park")
    zh, _ = run(ActionGreet(settings), "你好")
    en, _ = run(ActionGreet(settings), "hello")
    assert "示例 科技园" in zh[0]["text"] and "Example Tech Park" not in zh[0]["text"]
    assert "Example Tech Park" in en[0]["text"]


def test_without_configuration_the_greeting_is_neutral(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_PARK_NAME_ZH", raising=False)
    monkeypatch.delenv("BOT_PARK_NAME_EN", raising=False)
    zh, _ = run(ActionGreet(), "你好")
    en, _ = run(ActionGreet(), "hi there")
    assert "本园区" in zh[0]["text"] and "the park" in en[0]["text"]
