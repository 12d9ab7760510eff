import pytest

from actions.lang import detect_lang


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "zh"),
        ("科创中心在哪里？", "zh"),
        ("hello", "en"),
        ("Where is the innovation center?", "en"),
        ("What is 沙磁英才计划?", "zh"),  # Chinese characters weigh like words
        ("Does the D+M 工场 of Langjian make robots for factories?", "en"),
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
