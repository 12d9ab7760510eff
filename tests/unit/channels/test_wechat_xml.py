"""Safe XML parsing and reply building."""

from __future__ import annotations

import time

import pytest

from channels.wechat.errors import MalformedMessageError, PayloadTooLargeError
from channels.wechat.xmlmsg import (
    build_text_reply,
    build_xml,
    cdata,
    parse_message,
    parse_xml_fields,
)

TEXT_MSG = (
    "<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
    "<FromUserName><![CDATA[o-user-1]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[科创中心在哪里？]]></Content><MsgId>1234567890123456</MsgId></xml>"
)

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]><xml><Content>&lol9;</Content></xml>"
)

EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content></xml>"
)


def test_parses_a_text_message() -> None:
    msg = parse_message(TEXT_MSG.encode("utf-8"))
    assert (msg.to_user, msg.from_user, msg.msg_type) == ("gh_account", "o-user-1", "text")
    assert msg.content == "科创中心在哪里？"
    assert msg.msg_id == "1234567890123456"
    assert msg.dedup_key == "msg:1234567890123456"


def test_events_are_keyed_by_user_and_time() -> None:
    body = build_xml(
        {
            "ToUserName": "gh",
            "FromUserName": "o-u",
            "CreateTime": 1700000001,
            "MsgType": "event",
            "Event": "subscribe",
        }
    )
    msg = parse_message(body)
    assert msg.event == "subscribe" and msg.msg_id == ""
    assert msg.dedup_key == "evt:o-u:1700000001:subscribe"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "not xml at all",
        "<xml><ToUserName>a</ToUserName>",  # truncated
        "<root><ToUserName>a</ToUserName></root>",  # wrong root
        b"\xff\xfe<xml/>",
    ],
)
def test_malformed_bodies_are_rejected(body) -> None:
    with pytest.raises(MalformedMessageError):
        parse_xml_fields(body)


def test_missing_required_fields_are_rejected() -> None:
    with pytest.raises(MalformedMessageError, match="FromUserName"):
        parse_message(
            "<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>"
        )


def test_xml_bomb_is_refused_quickly_without_expansion() -> None:
    start = time.perf_counter()
    with pytest.raises(MalformedMessageError):
        parse_message(BOMB)
    assert time.perf_counter() - start < 0.5


def test_external_entities_are_refused() -> None:
    with pytest.raises(MalformedMessageError):
        parse_message(EXTERNAL)


def test_oversize_body_is_refused_before_parsing() -> None:
    big = TEXT_MSG.replace("科创中心在哪里？", "问" * 30_000)
    with pytest.raises(PayloadTooLargeError):
        parse_message(big, max_bytes=64 * 1024)
    assert parse_message(big, max_bytes=200_000).content == "问" * 30_000


def test_cdata_cannot_be_escaped_by_content() -> None:
    hostile = "a]]><MsgType>news</MsgType><![CDATA[b ]]> c"
    xml = build_xml({"Content": hostile, "MsgType": "text"})
    fields = parse_xml_fields(xml)
    assert fields["Content"] == hostile
    assert fields["MsgType"] == "text"
    assert cdata("x]]>y").count("<![CDATA[") == 2


def test_invalid_xml_characters_are_dropped() -> None:
    xml = build_xml({"Content": "ok\x00\x07\x1bdone\ttab\nline"})
    assert parse_xml_fields(xml)["Content"] == "okdone\ttab\nline"


def test_text_reply_swaps_to_and_from() -> None:
    incoming = parse_message(TEXT_MSG)
    reply = parse_message(build_text_reply(incoming, "答案 & <b>", now=1700000050))
    assert reply.to_user == "o-user-1"
    assert reply.from_user == "gh_account"
    assert reply.msg_type == "text"
    assert reply.content == "答案 & <b>"
    assert reply.create_time == "1700000050"


def test_build_xml_rejects_bad_tag_names() -> None:
    with pytest.raises(ValueError):
        build_xml({"bad tag": "x"})
