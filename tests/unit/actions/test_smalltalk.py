import pytest
from rasa_sdk.executor import CollectingDispatcher
from trackers import make_tracker

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
