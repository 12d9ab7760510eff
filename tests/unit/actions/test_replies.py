import pytest

from actions.lang import detect_lang
from actions.replies import KEYS, TOPIC_BUTTONS, reply


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_reply_exists_in_both_languages_and_speaks_them(key: str) -> None:
    zh, en = reply(key, "zh"), reply(key, "en")
    assert zh.text != en.text
    assert detect_lang(zh.text) == "zh"
    assert detect_lang(en.text) == "en"


@pytest.mark.parametrize("key", ["greet", "help", "not_grounded", "out_of_scope"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_replies_that_offer_topics_carry_the_topic_buttons(key: str, lang: str) -> None:
    message = reply(key, lang).message()
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == [b.payload for b in TOPIC_BUTTONS[lang]]


@pytest.mark.parametrize("key", ["goodbye", "thanks", "bot_challenge", "unavailable"])
def test_other_replies_have_no_buttons(key: str) -> None:
    assert reply(key, "zh").message()["buttons"] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_topic_buttons_ask_real_questions_in_the_users_language(lang: str) -> None:
    titles = [b.title for b in TOPIC_BUTTONS[lang]]
    assert len(set(titles)) == len(titles) >= 3
    for button in TOPIC_BUTTONS[lang]:
        # A question, not an intent shortcut: it goes through NLU like typed text.
        assert not button.payload.startswith("/")
        assert button.payload.rstrip().endswith(("？", "?"))
        assert detect_lang(button.payload) == lang


def test_zh_topic_buttons_cover_policies_platforms_and_layout() -> None:
    assert {"政策", "平台", "园区布局"} <= {b.title for b in TOPIC_BUTTONS["zh"]}


def test_unsupported_language_falls_back_to_chinese() -> None:
    assert reply("greet", "fr") == reply("greet", "zh")
