"""The official account's custom menu (自定义菜单): what a click asks, and installing the menu.

A click arrives as a `CLICK` event with the button's `EventKey`. The keys below are the ones the
example menu (docs/wechat-menu.json) uses: each topic key asks that topic's question (the same
questions as the topic buttons, knowledge.phrases.TOPIC_BUTTONS), CONTACT_OFFICER starts the
contact form. An unknown key is sent to the bot as typed text, as before.

`make wechat-menu` (`python -m channels.wechat.menu [--file menu.json]`) installs a menu through
WeChat's API with WECHAT_APPID / WECHAT_APPSECRET (WECHAT_API_BASE points tests at the fake API).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from knowledge.phrases import TOPIC_BUTTONS, phrase

EXAMPLE_MENU = Path(__file__).resolve().parents[2] / "docs" / "wechat-menu.json"
_TOPICS = {"TOPIC_POLICIES": 0, "TOPIC_PLATFORMS": 1, "TOPIC_LAYOUT": 2, "TOPIC_INDUSTRIES": 3}
CONTACT_KEY = "CONTACT_OFFICER"


def question_for(event_key: str) -> str:
    """The message a menu click stands for (Chinese: the menu is written in Chinese)."""
    key = event_key.strip()
    if key in _TOPICS:
        return TOPIC_BUTTONS["zh"][_TOPICS[key]].payload
    if key == CONTACT_KEY:
        return phrase("lead_offer_button", "zh")
    return key


def click_keys(menu: dict[str, Any]) -> list[str]:
    buttons = [b for top in menu.get("button", []) for b in top.get("sub_button", [top])]
    return [b["key"] for b in buttons if b.get("type") == "click"]


def check(menu: dict[str, Any]) -> list[str]:
    """What is wrong with a menu before WeChat is asked: unknown click keys (a click would reach
    the bot as its key's text)."""
    known = {*_TOPICS, CONTACT_KEY}
    return [f"unknown click key {key!r} (known: {', '.join(sorted(known))})"
            for key in click_keys(menu) if key not in known]


async def install(menu: dict[str, Any]) -> None:
    from channels.wechat.api import CustomerServiceClient
    from channels.wechat.cache import MemoryStore
    from knowledge.settings import WeChatEnv

    env = WeChatEnv.from_env()
    if not (env.appid and env.appsecret):
        raise SystemExit("set WECHAT_APPID and WECHAT_APPSECRET to install a menu")
    client = CustomerServiceClient(env.api_base, env.appid, env.appsecret, MemoryStore())
    try:
        await client.create_menu(menu)
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make wechat-menu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=EXAMPLE_MENU, help="menu JSON (default: the example)")
    args = parser.parse_args(argv)
    try:
        menu = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read the menu {args.file}: {exc}", file=sys.stderr)
        return 2
    problems = check(menu)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    from channels.wechat.api import WeChatApiError

    try:
        asyncio.run(install(menu))
    except WeChatApiError as exc:
        print(f"WeChat refused the menu: {exc}", file=sys.stderr)
        return 1
    print(f"menu installed: {len(click_keys(menu))} click buttons from {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
