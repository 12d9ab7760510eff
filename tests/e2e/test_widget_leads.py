"""The contact form in the widget (real Chromium): a decline offers contact, the form is an ordinary
conversation with buttons for its choices and the consent sentence in view, the lead is stored and
the officers' webhook (a local test server) receives it; the input shows its limit before it is hit."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from test_leads_e2e import DECLINED, leads_of, wait_for_webhook
from test_widget import BOT_MSGS, ask, bot_url, browser, expect, open_widget, page, web_url  # noqa: F401

pytestmark = pytest.mark.e2e


def click_reply(page: Any, title: str) -> None:  # noqa: F811
    before = page.locator(BOT_MSGS).count()
    page.locator(".pc-reply", has_text=re.compile(f"^{re.escape(title)}$")).last.click()
    expect(page.locator(BOT_MSGS).nth(before)).to_be_visible()


def test_a_decline_becomes_a_lead_through_the_widget(page: Any, web_url: str, stack: Any) -> None:  # noqa: F811
    company = f"青松生物{uuid.uuid4().hex[:6]}"
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, DECLINED)
    offer = page.locator(".pc-reply", has_text="请招商人员联系我")
    expect(offer).to_be_visible()
    expect(page.locator(".pc-reply", has_text="政策")).to_be_visible()  # the topics stay beside it
    click_reply(page, "请招商人员联系我")
    expect(page.locator(BOT_MSGS).last).to_contain_text("公司")
    ask(page, company)
    ask(page, "生物制药")
    expect(page.locator(".pc-reply", has_text="土地厂房")).to_be_visible()
    click_reply(page, "政策")
    ask(page, "li.ming@qingsong.example")
    click_reply(page, "工作日上午")
    consent = page.locator(BOT_MSGS).last
    expect(consent).to_contain_text("我同意")  # the sentence itself, in the conversation
    assert leads_of(stack, company) == []
    click_reply(page, "同意")
    expect(page.locator(BOT_MSGS).last).to_contain_text("已登记")
    [lead] = leads_of(stack, company)
    assert (lead.needs, lead.contact, lead.channel) == ("policy", "li.ming@qingsong.example", "socketio")
    assert DECLINED in lead.questions
    wait_for_webhook(stack, lead.id)
    assert page.js_errors == [] and page.console_errors == []


def test_the_input_shows_its_limit_before_it_is_hit(page: Any, web_url: str) -> None:  # noqa: F811
    page.goto(web_url + "/")
    open_widget(page)
    box, counter = page.locator(".pc-input"), page.locator(".pc-count")
    box.fill("园" * 100)
    expect(counter).to_be_hidden()
    box.fill("园" * 450)
    expect(counter).to_be_visible()
    expect(counter).to_have_text("450/500 字")
    box.press_sequentially("区" * 60)  # typing stops at the cap, and says so
    assert len(box.input_value()) == 500
    expect(counter).to_contain_text("500 字上限")


def test_related_questions_appear_as_buttons_under_an_answer(page: Any, web_url: str) -> None:  # noqa: F811
    page.goto(web_url + "/")
    open_widget(page)
    ask(page, "科创中心在哪里？")
    answer = page.locator(BOT_MSGS).filter(has=page.locator(".pc-source-title")).last
    expect(answer).to_be_visible()
    related = answer.locator(".pc-reply")
    expect(related.first).to_be_visible()
    assert 1 <= related.count() <= 3
    assert all(text.endswith("？") for text in related.all_inner_texts())  # questions, asked on a click
