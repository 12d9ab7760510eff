"""Text-fragment links to the quoted sentence: encoded as the fragment syntax requires."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from knowledge.links import LONG_SENTENCE_CHARS, fragment_link, text_directive


def test_a_short_sentence_is_named_whole_without_its_final_punctuation() -> None:
    link = fragment_link("https://park.example/news/1", "园区共有人才公寓800套。")
    assert link.startswith("https://park.example/news/1#:~:text=")
    assert unquote(link.split("text=", 1)[1]) == "园区共有人才公寓800套"


def test_syntax_characters_and_spaces_are_percent_encoded() -> None:
    directive = text_directive("R&D grants - up to 5,000,000 yuan")
    value = directive.removeprefix("text=")
    # "-", "," and "&" delimit a text directive: inside a value they must be escaped.
    assert not set(value) & set("-,& #")
    assert unquote(value) == "R&D grants - up to 5,000,000 yuan"


def test_a_long_sentence_is_named_by_its_first_and_last_clause() -> None:
    sentence = ("星河科技园位于南湖新区创新大道一号，规划面积约十二平方公里，总投资一百二十亿元，"
                "是本市重点建设的高新技术产业园区，将打造成为研发与制造的聚集地。")
    assert len(sentence) > LONG_SENTENCE_CHARS
    start, end = text_directive(sentence).removeprefix("text=").split(",")
    assert unquote(start) == "星河科技园位于南湖新区创新大道一号"
    assert unquote(end) == "将打造成为研发与制造的聚集地"


def test_an_existing_fragment_is_kept_and_an_old_directive_replaced() -> None:
    link = fragment_link("https://park.example/a#section-2:~:text=old", "新的句子。")
    parts = urlsplit(link)
    assert parts.fragment.startswith("section-2:~:text=") and "old" not in parts.fragment


def test_no_url_no_link_and_other_schemes_are_left_alone() -> None:
    assert fragment_link("", "句子。") == ""
    assert fragment_link("https://park.example/a", "  ") == "https://park.example/a"
    assert fragment_link("mailto:office@park.example", "句子。") == "mailto:office@park.example"
