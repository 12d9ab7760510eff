"""The bot's own texts (knowledge.phrases): both languages, the language rule, the topic buttons."""

import re
from pathlib import Path

import pytest

from knowledge.ingest import read_articles
from knowledge.phrases import (
    KEYS,
    TOPIC_BUTTONS,
    answer_notes,
    both,
    detect_lang,
    phrase,
    reply,
    unanswered_note,
)

VALUES = {"date": "2019-03-01", "limit": 500, "seconds": 3, "number": "#7", "via": "phone", "time": "9-11", "consent": "…", "parts": "“…”"}  # placeholders besides the park


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "zh"),
        ("科创中心在哪里？", "zh"),
        ("hello", "en"),
        ("Where is the innovation center?", "en"),
        ("What is 沙磁英才计划?", "zh"),  # Chinese characters weigh like words
        ("Does the D+M 工场 of Langjian make robots for factories?", "en"),
        ("What does the 沙磁英才计划 offer to new companies?", "en"),
    ],
)
def test_language_of_text(text: str, expected: str) -> None:
    assert detect_lang(text) == expected


@pytest.mark.parametrize("text", ["", None, "👍", "123 ？！", "   "])
def test_text_without_letters_keeps_previous_language(text: str | None) -> None:
    assert detect_lang(text, default="en") == "en"
    assert detect_lang(text, default="zh") == "zh"


def test_unknown_default_falls_back_to_chinese() -> None:
    assert detect_lang("👍", default=None) == "zh"
    assert detect_lang("👍", default="fr") == "zh"


def test_a_huge_message_is_judged_by_its_start() -> None:
    assert detect_lang("问" * 2000 + "word " * 100_000) == "zh"


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_reply_exists_in_both_languages_and_speaks_them(key: str) -> None:
    zh, en = reply(key, "zh", **VALUES), reply(key, "en", **VALUES)
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


@pytest.mark.parametrize("key", sorted(KEYS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_park_is_named_only_by_configuration(key: str, lang: str) -> None:
    # Whatever name is configured, the rest of the text is the same: nothing else names a park.
    one = reply(key, lang, "甲园区 Alpha Park", **VALUES).text
    other = reply(key, lang, "乙 Beta", **VALUES).text
    assert one.replace("甲园区 Alpha Park", "") == other.replace("乙 Beta", "")


def test_greeting_and_out_of_scope_name_the_configured_park() -> None:
    for key in ("greet", "out_of_scope"):
        assert "重庆大学城科技产业园" in reply(key, "zh", "重庆大学城科技产业园").text
        assert "Chongqing Tech Park" in reply(key, "en", "Chongqing Tech Park").text
        # Without a name, neutral wording that fits any park.
        assert "本园区" in reply(key, "zh").text
        assert "the park" in reply(key, "en").text


def test_braces_in_a_park_name_are_text_not_placeholders() -> None:
    assert "{limit} Park" in reply("greet", "en", "{limit} Park").text


def test_replies_quote_no_article(articles_dir: Path) -> None:
    """No reply repeats six characters in a row of an article (a name, a place, a project):
    the texts must fit every park, not the article the bot happens to ship with."""
    corpus = " ".join(article.clean.text for article in read_articles(articles_dir))
    for key in KEYS:
        for lang in ("zh", "en"):
            text = reply(key, lang, **VALUES).text
            shared = {text[i : i + 6] for i in range(len(text) - 5) if text[i : i + 6] in corpus}
            assert not shared, (key, lang, shared)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_help_examples_are_topic_questions(lang: str) -> None:
    # The topic questions are the ones checked against the real index
    # (tests/integration/test_bot_knowledge.py), so the examples are answered too.
    examples = re.findall(r"[“\"]([^”\"]+)[”\"]", reply("help", lang).text)
    assert examples
    assert set(examples) <= {b.payload for b in TOPIC_BUTTONS[lang]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_too_long_reply_gives_the_limit(lang: str) -> None:
    text = reply("too_long", lang, limit=321).text
    assert "321" in text and detect_lang(text) == lang
    assert reply("too_long", lang, limit=321).buttons == ()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_slow_down_gives_the_seconds_to_wait(lang: str) -> None:
    text = phrase("slow_down", lang, seconds=17)
    assert "17" in text and detect_lang(text) == lang


@pytest.mark.parametrize("key", ["malformed", "text_only"])
def test_texts_for_messages_of_unknown_language_say_both(key: str) -> None:
    zh, en = both(key).split("\n")
    assert (zh, en) == (phrase(key, "zh"), phrase(key, "en"))


def test_the_note_on_unanswered_questions_quotes_each_and_is_empty_without_any() -> None:
    assert unanswered_note([], "zh") == unanswered_note([], "en") == ""
    zh = unanswered_note(["有多少员工？", "谁建的？"], "zh")
    assert "“有多少员工？”；“谁建的？”" in zh and detect_lang(zh) == "zh"
    en = unanswered_note(["who built it?"], "en")
    assert en.startswith(" (") and "“who built it?”" in en and detect_lang(en) == "en"
    long = unanswered_note(["园区" * 100], "zh")
    assert "园区" * 20 + "…" in long and len(long) < 60  # recognisable, not the whole message again
    assert "[" not in unanswered_note(["see [this](https://x.example) **now**"], "en")  # stays text in the widget


def test_after_an_answer_its_articles_age_comes_before_the_questions_it_leaves_open() -> None:
    notes = answer_notes("en", ["who built it?"], "2019-03-01")
    assert notes.index("2019-03-01") < notes.index("who built it?") and notes.startswith(" (")
    assert answer_notes("zh") == "" and answer_notes("zh", published="2019-03-01").startswith("（")
