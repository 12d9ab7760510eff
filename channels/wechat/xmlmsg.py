"""WeChat message XML: safe parsing of incoming messages and building of replies.

Parsing uses defusedxml with DTDs forbidden, so entity-expansion bombs and external entities are
refused before any expansion happens; the body size is capped before parsing at all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from channels.wechat.errors import MalformedMessageError, PayloadTooLargeError

DEFAULT_MAX_BODY_BYTES = 64 * 1024  # real messages are < 2 KB; encrypted ones a little more

# Characters XML 1.0 cannot carry at all (control characters other than tab, LF, CR).
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class IncomingMessage:
    """The fields of an incoming message that the connector uses; `fields` keeps them all."""

    to_user: str
    from_user: str
    create_time: str
    msg_type: str
    content: str = ""
    msg_id: str = ""
    event: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime for events (which have no MsgId).

        The event type is part of the key too, so two different events in the same second
        (subscribe, then unsubscribe) are not taken for retries of each other.
        """
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"evt:{self.from_user}:{self.create_time}:{self.event}"


def parse_xml_fields(body: bytes | str, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> dict[str, str]:
    """Parse `<xml><Tag>text</Tag>…</xml>` into {Tag: text}; raise on anything else."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(f"body larger than {max_bytes} bytes")
    if not raw.strip():
        raise MalformedMessageError("empty body")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedMessageError("body is not safe, well-formed XML") from exc
    if not isinstance(root, Element) or root.tag != "xml":
        raise MalformedMessageError("root element must be <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def parse_message(body: bytes | str, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> IncomingMessage:
    """Parse a plain (decrypted) message; To, From, CreateTime and MsgType are required."""
    fields = parse_xml_fields(body, max_bytes)
    missing = [k for k in ("ToUserName", "FromUserName", "CreateTime", "MsgType") if not fields.get(k)]
    if missing:
        raise MalformedMessageError(f"missing fields: {', '.join(missing)}")
    return IncomingMessage(
        to_user=fields["ToUserName"],
        from_user=fields["FromUserName"],
        create_time=fields["CreateTime"],
        msg_type=fields["MsgType"].lower(),
        content=fields.get("Content", ""),
        msg_id=fields.get("MsgId", ""),
        event=fields.get("Event", "").lower(),
        fields=fields,
    )


def clean_text(text: str) -> str:
    """Drop characters that XML 1.0 cannot represent (a bot reply may carry them)."""
    return _INVALID_XML_CHARS.sub("", text)


def cdata(text: str) -> str:
    """Wrap text in CDATA; a `]]>` inside is split across two sections so it cannot escape."""
    return "<![CDATA[" + clean_text(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: Mapping[str, str | int]) -> str:
    """Build a flat `<xml>`: strings as CDATA, integers bare (WeChat's own convention)."""
    parts = ["<xml>"]
    for tag, value in fields.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", tag):
            raise ValueError(f"bad tag name: {tag!r}")
        inner = str(value) if isinstance(value, int) else cdata(value)
        parts.append(f"<{tag}>{inner}</{tag}>")
    parts.append("</xml>")
    return "".join(parts)


def build_text_reply(incoming: IncomingMessage, content: str, now: float | None = None) -> str:
    """Passive text reply: To/From swapped relative to the incoming message."""
    return build_xml(
        {
            "ToUserName": incoming.from_user,
            "FromUserName": incoming.to_user,
            "CreateTime": int(time.time() if now is None else now),
            "MsgType": "text",
            "Content": content,
        }
    )


def build_encrypted_envelope(encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """The safe-mode reply wrapper around an encrypted passive reply."""
    return build_xml(
        {
            "Encrypt": encrypt,
            "MsgSignature": msg_signature,
            "TimeStamp": int(timestamp),
            "Nonce": nonce,
        }
    )
