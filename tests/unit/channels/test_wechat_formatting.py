"""Bot messages → one WeChat text; numbered options → payloads; sources line."""

from __future__ import annotations

import pytest

from channels.wechat.formatting import (
    choice_number,
    dump_buttons,
    format_messages,
    load_buttons,
    resolve_choice,
    sources_line,
)
from channels.wechat.text import utf8_len
from knowledge.phrases import Button, unanswered_note
from knowledge.text import detect_lang as knowledge_lang

MENU = [
    {"recipient_id": "u", "text": "您好！我可以回答园区招商问题。"},
    {
        "recipient_id": "u",
        "text": "请选择话题：",
        "buttons": [
            {"title": "政策", "payload": '/ask_topic{"topic":"policy"}'},
            {"title": "平台", "payload": '/ask_topic{"topic":"platform"}'},
        ],
    },
]

GROUNDED = [
    {"recipient_id": "u", "text": "科创中心位于大学城核心区。"},
    {
        "recipient_id": "u",
        "custom": {
            "grounded": True,
            "sources": [
                {"title": "园区介绍", "section": "区位交通", "text": "..."},
                {"title": "园区介绍", "section": "区位交通", "text": "dup"},
                {"title": "招商政策", "section": ""},
            ],
        },
    },
]


def test_several_messages_become_one_reply_with_numbered_options() -> None:
    reply = format_messages(MENU)
    assert reply.text == ("您好！我可以回答园区招商问题。\n\n请选择话题：\n\n回复数字：\n1. 政策\n2. 平台")
    assert [b.title for b in reply.buttons] == ["政策", "平台"]


def test_sources_become_a_short_line() -> None:
    reply = format_messages(GROUNDED)
    assert reply.text == "科创中心位于大学城核心区。\n\n来源：《园区介绍》区位交通；《招商政策》"
    assert reply.buttons == ()


def test_sections_of_one_article_are_grouped_under_its_title() -> None:
    custom = {
        "grounded": True,
        "sources": [
            {"title": "长标题文章", "section": "在园区建设上"},
            {"title": "长标题文章", "section": ""},
            {"title": "长标题文章", "section": "应时代而生"},
            {"title": "另一篇", "section": "政策"},
        ],
    }
    assert sources_line(custom, "zh") == "来源：《长标题文章》在园区建设上、应时代而生"
    custom["sources"] = [custom["sources"][0], custom["sources"][3]]
    assert sources_line(custom, "zh") == "来源：《长标题文章》在园区建设上；《另一篇》政策"
    assert sources_line(custom, "en") == "Source: 《长标题文章》在园区建设上; 《另一篇》政策"


def test_ungrounded_payload_adds_no_source_line() -> None:
    messages = [
        {"text": "抱歉，文章中没有找到答案。"},
        {"custom": {"grounded": False, "sources": [{"title": "园区介绍", "section": "x"}]}},
    ]
    assert format_messages(messages).text == "抱歉，文章中没有找到答案。"


def test_english_answers_get_english_labels() -> None:
    messages = [
        {
            "text": "It is in the university town.",
            "buttons": [{"title": "Policy", "payload": "/p"}],
        },
        {
            "custom": {
                "grounded": True,
                "lang": "en",
                "sources": [{"title": "Park", "section": "A"}],
            }
        },
    ]
    text = format_messages(messages).text
    assert "Source: 《Park》A" in text
    assert text.endswith("Reply with a number:\n1. Policy")


def test_custom_only_answer_is_shown() -> None:
    messages = [{"custom": {"answer": "答案在这里。", "grounded": True, "sources": []}}]
    assert format_messages(messages).text == "答案在这里。"


def test_long_answer_keeps_sources_and_options_within_limit() -> None:
    long_text = "园区提供多项扶持政策，包括租金减免和人才补贴。" * 200
    long = [{"text": long_text}, *GROUNDED[1:], *MENU[1:]]
    reply = format_messages(long)
    assert utf8_len(reply.text) <= 2048
    assert "来源：《园区介绍》区位交通" in reply.text
    assert reply.text.endswith("2. 平台")


@pytest.mark.parametrize("lang, part, body", [
    ("zh", "有多少员工？", "占地约78亩。"), ("en", "how many staff?", "According to 《园区介绍》: 占地约78亩。"),
])
def test_a_shortened_answer_still_names_the_questions_it_leaves_unanswered(lang, part, body) -> None:
    note = unanswered_note([part], lang).strip()
    for text in (body * 120, body):  # too long for one reply, and short
        messages = [{"text": text + unanswered_note([part], lang)},
                    {"custom": {**GROUNDED[1]["custom"], "unanswered": [part]}}]
        reply = format_messages(messages).text
        assert utf8_len(reply) <= 2048
        assert reply.count(note) == 1 and reply.index(note) < reply.index("区位交通")  # above the sources line
        assert reply.startswith(body)


def test_bad_messages_are_ignored() -> None:
    messages = [None, "text", {"buttons": [{"title": ""}, "x", {"payload": "/p"}]}, {"text": "好"}]
    reply = format_messages(messages)  # type: ignore[arg-type]
    assert reply.text == "好"
    assert reply.buttons == ()


def test_sources_line_edge_cases() -> None:
    assert sources_line({"sources": "x"}, "zh") == ""
    assert sources_line({"sources": [{"section": "只有章节"}]}, "zh") == "来源：只有章节"
    assert sources_line({"sources": [{"title": "T", "section": "T"}]}, "zh") == "来源：《T》"
    many = {"sources": [{"title": f"t{i}"} for i in range(6)]}
    assert sources_line(many, "zh").count("《") == 3


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        (" 2 ", 2),
        ("２", 2),
        ("2.", 2),
        ("3。", 3),
        ("2、", 2),
        ("二", None),
        ("2个", None),
        ("", None),
        ("1234", None),
        ("-1", None),
    ],
)
def test_choice_numbers(text: str, number: int | None) -> None:
    assert choice_number(text) == number


def test_resolve_choice_maps_numbers_to_payloads() -> None:
    buttons = format_messages(MENU).buttons
    assert resolve_choice("2", buttons) == '/ask_topic{"topic":"platform"}'
    assert resolve_choice("0", buttons) is None
    assert resolve_choice("3", buttons) is None
    assert resolve_choice("政策", buttons) is None
    assert resolve_choice("1", ()) is None


def test_buttons_survive_the_cache_format() -> None:
    buttons = (Button("政策", '/p{"a":1}'), Button("平台", "/q"))
    assert load_buttons(dump_buttons(buttons)) == buttons
    assert load_buttons(None) == ()
    assert load_buttons("not json") == ()
    assert load_buttons('{"a": 1}') == ()


def test_english_question_naming_a_chinese_programme_gets_english_channel_texts() -> None:
    question = "What does the 沙磁英才计划 offer to new companies?"
    assert knowledge_lang(question) == "en"  # the language the answer is framed in
    # Options of a reply without a language of its own follow the answer's rule.
    text = format_messages([{"text": question, "buttons": [{"title": "Policies", "payload": "p"}]}])
    assert "Reply with a number:" in text.text


def test_the_source_line_names_publisher_date_and_url_once_per_article() -> None:
    article = {"source": "policy.pdf", "title": "扶持政策汇编", "publisher": "园区管委会", "published": "2024-03-01",
               "url": "https://park.example/policy.pdf"}
    custom = {"grounded": True, "sources": [{**article, "section": "租金"}, {**article, "section": "补贴"},
                                            {"source": "news.txt", "title": "开园新闻", "section": ""}]}
    assert sources_line(custom, "zh") == (
        "来源：《扶持政策汇编》租金、补贴（园区管委会，2024-03-01） https://park.example/policy.pdf；《开园新闻》")
    assert sources_line(custom, "en") == (
        "Source: 《扶持政策汇编》租金, 补贴 (园区管委会, 2024-03-01) https://park.example/policy.pdf; 《开园新闻》")
