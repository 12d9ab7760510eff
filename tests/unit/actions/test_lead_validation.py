"""What the contact form accepts: contacts, needs, consent and free text."""

from __future__ import annotations

import pytest

from actions.lead_validation import (
    Contact,
    clean_text,
    looks_like_question,
    parse_consent,
    parse_contact,
    parse_needs,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("13812345678", Contact("13812345678", "mobile")),
    ("+86 138-1234-5678", Contact("13812345678", "mobile")),
    ("手机：159 1234 5678", Contact("15912345678", "mobile")),
    ("0086 18612345678", Contact("18612345678", "mobile")),
    ("Li.Ming@Example.COM", Contact("li.ming@example.com", "email")),
    ("邮箱: anna@brightway.com.cn", Contact("anna@brightway.com.cn", "email")),
    ("微信：zhang_san88", Contact("zhang_san88", "wechat")),
    ("WeChat ID: david-liu01", Contact("david-liu01", "wechat")),
])
def test_valid_contacts_are_normalised(text: str, expected: Contact) -> None:
    assert parse_contact(text) == expected


@pytest.mark.parametrize("text", [
    "1380013",  # too short
    "12812345678",  # no mainland mobile starts with 12
    "138123456789",  # 12 digits
    "zhao@@example", "a@b", "name@example.c", "x..y@example.com",
    "abc",  # too short for a WeChat ID
    "1abcdefg",  # a WeChat ID starts with a letter
    "", "   ", "\x00\x01", None, 13812345678, "a" * 500,
    "<script>alert(1)</script>", "园区有哪些政策？",
])
def test_invalid_contacts_are_refused(text: object) -> None:
    assert parse_contact(text) is None


def test_needs_are_recognised_in_both_languages_and_as_button_labels() -> None:
    assert parse_needs("土地和政策", "zh") == ["land", "policy"]
    assert parse_needs("需要办公室，还要招聘人才", "zh") == ["office", "talent"]
    assert parse_needs("Land / factory", "en") == ["land"]
    assert parse_needs("we need subsidies and some staff", "en") == ["policy", "talent"]
    assert parse_needs("随便看看", "zh") is None
    assert parse_needs("", "zh") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("同意", True), ("我同意。", True), ("I agree", True), ("yes", True), ("好的", True),
    ("不同意", False), ("I don't agree", False), ("no", False), ("拒绝", False),
    ("也许吧", None), ("", None), ("同意不同意都行吧我再想想想想想想想想想想想想想想想想想想想想想想想想想想", None),
])
def test_consent_needs_an_explicit_answer(text: str, expected: bool | None) -> None:
    assert parse_consent(text) is expected


def test_free_text_is_one_clean_capped_line() -> None:
    assert clean_text("  重庆\u200b明远\n\t新材料  ") == "重庆 明远 新材料"
    assert clean_text("ｘｙｚ公司") == "xyz公司"  # full-width folded
    assert clean_text("a" * 101) is None
    assert clean_text("\x00\x1f") is None
    assert clean_text(["not", "text"]) is None


@pytest.mark.parametrize("text", [
    "科创中心在哪里？", "园区有哪些扶持政策", "请问人才公寓怎么申请", "租金多少", "有没有标准厂房",
    "能落户吗", "Which industries does the park focus on", "how big is the park?", "Is there a subway?",
])
def test_questions_typed_into_the_form_are_recognised(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize("text", [
    "重庆明远新材料有限公司", "新能源电池材料", "Orbital Sensors Inc.", "土地厂房", "政策", "13812345678",
    "anna@orbital.example", "工作日下午", "随时都可以", "Any time", "同意", "I don't agree", "industrial sensors",
])
def test_answers_are_not_taken_for_questions(text: str) -> None:
    assert not looks_like_question(text)
