"""Safe-mode AES crypto: published test vectors, round trips and tampering."""

from __future__ import annotations

import base64

import pytest

from channels.wechat.crypto import BLOCK, WeChatCrypto, decode_aes_key, pkcs7_pad, pkcs7_unpad
from channels.wechat.errors import DecryptError, MalformedMessageError, SignatureError
from channels.wechat.signature import compute_signature
from channels.wechat.xmlmsg import build_xml, parse_message, parse_xml_fields

# Tencent's published sample (WeCom "加解密方案" docs): the same AES scheme as official accounts,
# with the corp id in the app id's place. Only the data is reused here.
TX_TOKEN = "QDG6eK"
TX_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TX_APPID = "wx5823bf96d3bd56c7"
TX_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj9"
    "11L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DO"
    "dnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH0"
    "3v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6B"
    "pNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
TX_BODY = (
    f"<xml><ToUserName><![CDATA[{TX_APPID}]]></ToUserName>"
    f"<Encrypt><![CDATA[{TX_ENCRYPT}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)
TX_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="

# Encryption vector with a fixed 16-byte random prefix, as published in wechatpy's test data.
WP_TOKEN = "123456"
WP_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WP_APPID = "wx49f0ab532d5d035a"
WP_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
WP_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8"
    "GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2"
    "Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXa"
    "fG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF"
    "9XiKzHo3"
)


def test_decrypts_the_published_message_vector() -> None:
    crypto = WeChatCrypto(TX_TOKEN, TX_KEY, TX_APPID)
    inner = crypto.decrypt_message(
        TX_BODY, "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
    )
    msg = parse_message(inner)
    assert msg.to_user == TX_APPID
    assert msg.from_user == "mycreate"
    assert msg.content == "hello"
    assert msg.msg_id == "4561255354251345929"


def test_decrypts_the_published_echostr_vector() -> None:
    crypto = WeChatCrypto(TX_TOKEN, TX_KEY, TX_APPID)
    plain = crypto.decrypt_echostr(
        TX_ECHOSTR, "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780"
    )
    assert plain == "1616140317555161061"


def test_encryption_matches_the_published_vector() -> None:
    crypto = WeChatCrypto(WP_TOKEN, WP_KEY, WP_APPID)
    envelope = crypto.encrypt_message(WP_REPLY, "461056294", "1411525903", b"1234567890123456")
    fields = parse_xml_fields(envelope)
    assert fields["Encrypt"] == WP_ENCRYPT
    assert fields["MsgSignature"] == "407518b7649e86ef23978113f92d27afa9296533"
    assert fields["TimeStamp"] == "1411525903"
    assert fields["Nonce"] == "461056294"


@pytest.mark.parametrize("text", ["", "hello", "科创中心在哪里？" * 200, "emoji 🚀 & <tags> ]]>"])
def test_round_trip(text: str) -> None:
    crypto = WeChatCrypto("tok", TX_KEY, "wx-app")
    encrypted = crypto.encrypt(text)
    assert len(base64.b64decode(encrypted)) % BLOCK == 0
    assert crypto.decrypt(encrypted) == text
    assert crypto.encrypt(text) != encrypted  # fresh random prefix each time


def test_message_round_trip_with_signature() -> None:
    crypto = WeChatCrypto("tok", TX_KEY, "wx-app")
    envelope = crypto.encrypt_message("<xml><Content>hi</Content></xml>", "77", "1700000000")
    fields = parse_xml_fields(envelope)
    assert crypto.decrypt_message(envelope, fields["MsgSignature"], "1700000000", "77") == (
        "<xml><Content>hi</Content></xml>"
    )


def test_wrong_msg_signature_is_rejected() -> None:
    crypto = WeChatCrypto(TX_TOKEN, TX_KEY, TX_APPID)
    with pytest.raises(SignatureError):
        crypto.decrypt_message(TX_BODY, "0" * 40, "1409659813", "1372623149")
    with pytest.raises(SignatureError):  # right signature, wrong nonce
        crypto.decrypt_message(TX_BODY, "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1")


def test_timestamp_window_applies_to_encrypted_messages() -> None:
    crypto = WeChatCrypto(TX_TOKEN, TX_KEY, TX_APPID)
    with pytest.raises(SignatureError):  # the 2014 vector is far outside a 5-minute window
        crypto.decrypt_message(
            TX_BODY,
            "477715d11cdb4164915debcba66cb864d751f3e6",
            "1409659813",
            "1372623149",
            max_skew=300,
            now=1_700_000_000,
        )


def test_message_for_another_app_id_is_rejected() -> None:
    with pytest.raises(DecryptError):
        WeChatCrypto(TX_TOKEN, TX_KEY, "wx-someone-else").decrypt(TX_ENCRYPT)


def test_wrong_key_is_rejected() -> None:
    other = WeChatCrypto(TX_TOKEN, WP_KEY, TX_APPID)
    with pytest.raises(DecryptError):
        other.decrypt(TX_ENCRYPT)


@pytest.mark.parametrize(
    "garbage",
    ["", "not base64!!", base64.b64encode(b"short").decode(), TX_ENCRYPT[:-8] + "AAAAAAA="],
)
def test_garbled_ciphertext_is_rejected(garbage: str) -> None:
    with pytest.raises(DecryptError):
        WeChatCrypto(TX_TOKEN, TX_KEY, TX_APPID).decrypt(garbage)


def test_envelope_without_encrypt_element_is_rejected() -> None:
    crypto = WeChatCrypto(TX_TOKEN, TX_KEY, TX_APPID)
    with pytest.raises(DecryptError):
        crypto.decrypt_message(build_xml({"ToUserName": "x"}), "0" * 40, "1", "1")
    with pytest.raises(MalformedMessageError):
        crypto.decrypt_message("<not-closed", "0" * 40, "1", "1")


@pytest.mark.parametrize("key", ["", "short", TX_KEY + "A", "!" * 43])
def test_bad_encoding_aes_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        decode_aes_key(key)


def test_key_and_iv_come_from_the_encoding_aes_key() -> None:
    key = decode_aes_key(TX_KEY)
    assert len(key) == 32
    assert key == base64.b64decode(TX_KEY + "=")


def test_pkcs7_pads_to_32_byte_blocks() -> None:
    assert len(pkcs7_pad(b"")) == 32
    assert pkcs7_pad(b"a" * 31)[-1] == 1
    assert len(pkcs7_pad(b"a" * 32)) == 64
    assert pkcs7_unpad(pkcs7_pad(b"abc")) == b"abc"
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"a" * 31 + b"\x00")
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"a" * 30 + b"\x01\x02")


def test_signature_helper_agrees_with_envelope() -> None:
    crypto = WeChatCrypto("tok", TX_KEY, "wx-app")
    fields = parse_xml_fields(crypto.encrypt_message("<xml/>", "5", "1700000000"))
    assert fields["MsgSignature"] == compute_signature("tok", "1700000000", "5", fields["Encrypt"])
