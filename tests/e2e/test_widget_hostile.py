"""Every injection string of the hostile corpus, typed into the real widget in Chromium:
shown as text, never run, in the live conversation and after a reload from history.

Reuses the stack and widget helpers of tests/e2e/test_widget.py. Its own browser runs in a
worker thread: Playwright's sync API refuses to start a second instance on the thread where
test_widget.py's session browser already runs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile_inputs import INJECTIONS
from test_widget import (  # noqa: F401  (fixtures are found by name)
    BOT_MSGS,
    CHROMIUM,
    CHROMIUM_ARGS,
    USER_MSGS,
    _new_page,
    ask,
    bot_url,
    bubble_text,
    expect,
    open_widget,
    sync_api,
    web_url,
)

pytestmark = pytest.mark.e2e

# Elements an injection could smuggle into the conversation log.
ACTIVE = ", ".join(f".pc-msg {tag}" for tag in ("img", "script", "svg", "iframe", "b", "i", "[onerror]"))


# The strings aimed at a browser (markup, script URLs, templates, XML), fewer than the
# per-session rate limit (BOT_RATE_LIMIT, 20 a minute) so that each one reaches the bot.
BROWSER_KINDS = ("html-", "js-", "markdown-", "template", "xml-", "format-", "rasa-restart")


def typed(text: str) -> str:
    """What the user's bubble shows: the widget sends the text trimmed."""
    return text.strip()


def test_injection_strings_are_shown_as_text_never_run(web_url: str) -> None:  # noqa: F811
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    strings = [text for name, text in INJECTIONS if name.startswith(BROWSER_KINDS)]
    assert 10 <= len(strings) < 20
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(_type_and_check, web_url, strings).result()


def _type_and_check(url: str, strings: list[str]) -> None:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = _new_page(browser)
        try:
            page.goto(url + "/")
            open_widget(page)
            for text in strings:
                ask(page, text)  # waits for the bot's reply: the round trip worked
                assert bubble_text(page.locator(USER_MSGS).last) == typed(text)
            assert page.locator(ACTIVE).count() == 0
            assert page.evaluate("typeof window.__xss") == "undefined"

            page.reload()  # the same conversation, rendered again from localStorage
            expect(page.locator(USER_MSGS).last).to_be_visible()
            users = page.locator(USER_MSGS)
            shown = [bubble_text(users.nth(i)) for i in range(users.count())]
            assert shown[-len(strings) :] == [typed(t) for t in strings]
            assert page.locator(BOT_MSGS).count() >= len(strings)
            assert page.locator(ACTIVE).count() == 0
            assert page.evaluate("typeof window.__xss") == "undefined"
            assert page.js_errors == []
        finally:
            page.context.close()
            browser.close()
