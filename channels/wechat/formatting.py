"""Turning the bot's messages into one WeChat text reply, and numbered choices back into payloads.

WeChat text has no buttons: quick replies become numbered options ("回复数字：1. 政策 …") and a
later message that is just that number is mapped back to the button's payload. Buttons are
parsed out of any bot message (Rasa responses or actions alike) into the bot's one `Button`
type (knowledge.phrases), and the language of the labels follows the bot's own rule.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from channels.wechat.text import MAX_REPLY_BYTES, compose
from knowledge.citation import citation_line
from knowledge.phrases import Button, detect_lang, unanswered_note


@dataclass(frozen=True)
class FormattedReply:
    text: str
    buttons: tuple[Button, ...] = ()


def buttons_of(message: Mapping[str, Any]) -> list[Button]:
    found = []
    for raw in message.get("buttons") or message.get("quick_replies") or []:
        if not isinstance(raw, Mapping):
            continue
        title = str(raw.get("title") or "").strip()
        payload = str(raw.get("payload") or title).strip()
        if title and payload:
            found.append(Button(title=title, payload=payload))
    return found


def sources_line(custom: Mapping[str, Any], lang: str) -> str:
    """The citation line (knowledge.citation) of a grounded answer's payload, else ""."""
    if custom.get("grounded") is False:
        return ""
    sources = custom.get("sources")
    return citation_line(sources, lang) if isinstance(sources, list) else ""


def options_block(buttons: Iterable[Button], lang: str) -> str:
    items = [f"{i}. {b.title}" for i, b in enumerate(buttons, start=1)]
    if not items:
        return ""
    header = "回复数字：" if lang == "zh" else "Reply with a number:"
    return header + "\n" + "\n".join(items)


def format_messages(
    messages: Iterable[Mapping[str, Any]], max_bytes: int = MAX_REPLY_BYTES
) -> FormattedReply:
    """Merge the bot's messages (Rasa's collected dicts) into one reply within `max_bytes`."""
    texts: list[str] = []
    buttons: list[Button] = []
    customs: list[Mapping[str, Any]] = []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        text = str(message.get("text") or "").strip()
        if text:
            texts.append(text)
        if message.get("image"):
            texts.append(str(message["image"]))
        buttons.extend(buttons_of(message))
        custom = message.get("custom")
        if isinstance(custom, Mapping):
            customs.append(custom)
    body = "\n\n".join(texts)
    if not body:  # a custom-only reply: show its answer text if it carries one
        body = next((str(c["answer"]) for c in customs if c.get("answer")), "")
    lang = next((str(c["lang"]) for c in customs if c.get("lang") in ("zh", "en")), "")
    lang = lang or detect_lang(body)
    footer = [sources_line(c, lang) for c in customs]
    footer = list(dict.fromkeys(line for line in footer if line))
    footer.append(options_block(buttons, lang))
    text = compose(body, footer, max_bytes)
    note = next((n for n in _unanswered_notes(customs) if n in body), "")
    if note and note not in text:  # a long answer was shortened: the unanswered questions still named
        text = compose(body.replace(note, "").rstrip(), [note, *footer], max_bytes)
    return FormattedReply(text=text, buttons=tuple(buttons))


def _unanswered_notes(customs: Iterable[Mapping[str, Any]]) -> list[str]:
    """The note naming an answer's unanswered questions (knowledge.phrases), in either language: the
    answer's language is not in the payload, and an English answer's quotation reads as Chinese."""
    parts = [c["unanswered"] for c in customs if isinstance(c.get("unanswered"), list) and c["unanswered"]]
    return [unanswered_note([str(p) for p in ps], lang).strip() for ps in parts for lang in ("zh", "en")]


def choice_number(text: str) -> int | None:
    """The number a message consists of ("2", "２", "2.", "第2个" is not), or None."""
    normal = unicodedata.normalize("NFKC", text or "").strip().rstrip(".。、)）")
    if normal.isascii() and normal.isdigit() and len(normal) <= 3:
        return int(normal)
    return None


def resolve_choice(text: str, buttons: Iterable[Button]) -> str | None:
    """The payload of the numbered button the user picked, or None if the text is no choice."""
    number = choice_number(text)
    options = list(buttons)
    if number is None or not 1 <= number <= len(options):
        return None
    return options[number - 1].payload


def dump_buttons(buttons: Iterable[Button]) -> str:
    return json.dumps([[b.title, b.payload] for b in buttons], ensure_ascii=False)


def load_buttons(raw: str | None) -> tuple[Button, ...]:
    """Inverse of dump_buttons; anything unreadable is treated as no buttons."""
    if not raw:
        return ()
    try:
        data = json.loads(raw)
        return tuple(Button(str(t), str(p)) for t, p in data)
    except (ValueError, TypeError):
        return ()
