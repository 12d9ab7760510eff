"""A WeChat server simulator: sends correctly signed (optionally encrypted) messages to the webhook.

    python -m channels.wechat.simulator "科创中心在哪里？"
    python -m channels.wechat.simulator "占地多大？" --user o-demo --encrypt --aes-key K --appid A
    python -m channels.wechat.simulator --event subscribe
    python -m channels.wechat.simulator --verify

Like WeChat, it gives each try `--timeout` seconds and retries the same message (same MsgId)
up to `--tries` times in all. Prints the decoded reply text (`success`/empty → "(no reply)").
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from dataclasses import dataclass

import httpx

from channels.wechat.config import DEV_TOKEN
from channels.wechat.crypto import WeChatCrypto
from channels.wechat.signature import compute_signature
from channels.wechat.xmlmsg import build_xml, parse_message, parse_xml_fields
from knowledge.settings import SettingsError, WeChatEnv

DEFAULT_URL = WeChatEnv.webhook_url
DEFAULT_ACCOUNT = "gh_simulated_account"
DEFAULT_USER = "o-simulated-user"


@dataclass
class SimResult:
    status: int
    body: str  # the raw HTTP body (the envelope when encrypted)
    text: str | None  # decoded reply Content, None for `success`/empty/non-200
    tries: int = 1
    msg_type: str = ""


class Simulator:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str = DEV_TOKEN,
        appid: str = "",
        aes_key: str = "",
        account: str = DEFAULT_ACCOUNT,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.client = client or httpx.Client()
        self.token = token
        self.account = account
        self.timeout = timeout
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    # -- building -----------------------------------------------------------------------------
    def signed_query(self, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
        ts = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**9))
        return {
            "signature": compute_signature(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
        }

    def message_xml(
        self,
        content: str = "",
        user: str = DEFAULT_USER,
        msg_type: str = "text",
        event: str = "",
        msg_id: str | None = None,
        create_time: int | None = None,
    ) -> str:
        fields: dict[str, str | int] = {
            "ToUserName": self.account,
            "FromUserName": user,
            "CreateTime": create_time or int(time.time()),
            "MsgType": msg_type,
        }
        if msg_type == "event":
            fields["Event"] = event
        elif msg_type == "text":
            fields["Content"] = content
        elif msg_type == "image":
            fields["PicUrl"] = "http://127.0.0.1/simulated.jpg"
            fields["MediaId"] = "simulated-media"
        elif msg_type == "location":
            fields.update(Location_X="23.0", Location_Y="113.3", Scale=15, Label="simulated")
        else:
            fields["MediaId"] = "simulated-media"
        if msg_type != "event":
            fields["MsgId"] = int(msg_id) if msg_id else secrets.randbelow(10**18)
        return build_xml(fields)

    # -- sending ------------------------------------------------------------------------------
    def verify(self, echostr: str = "simulated-echo", signature: str | None = None) -> httpx.Response:
        query = self.signed_query()
        query["echostr"] = echostr
        if signature is not None:
            query["signature"] = signature
        return self.client.get(self.url, params=query, timeout=self.timeout)

    def post_raw(
        self, body: bytes | str, query: dict[str, str] | None = None, timeout: float | None = None
    ) -> httpx.Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.client.post(
            self.url,
            params=query if query is not None else self.signed_query(),
            content=data,
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=timeout or self.timeout,
        )

    def send(self, xml: str, encrypt: bool = False, tries: int = 3) -> SimResult:
        """Post a message as WeChat does, retrying on time-outs; decode the reply."""
        query = self.signed_query()
        body = xml
        if encrypt:
            if self.crypto is None:
                raise ValueError("encryption needs the AES key and app id")
            encrypted = self.crypto.encrypt(xml)
            query["encrypt_type"] = "aes"
            query["msg_signature"] = compute_signature(
                self.token, query["timestamp"], query["nonce"], encrypted
            )
            body = build_xml({"ToUserName": self.account, "Encrypt": encrypted})
        last_error: Exception | None = None
        for attempt in range(1, max(1, tries) + 1):
            try:
                response = self.post_raw(body, query)
            except httpx.TimeoutException as exc:
                last_error = exc
                continue
            return self._decode(response, encrypt, attempt)
        raise TimeoutError(f"no reply within {tries} tries of {self.timeout} s") from last_error

    def _decode(self, response: httpx.Response, encrypted: bool, tries: int) -> SimResult:
        raw = response.text
        if response.status_code != 200 or raw.strip() in ("", "success"):
            return SimResult(response.status_code, raw, None, tries)
        xml = raw
        if encrypted and self.crypto is not None:
            fields = parse_xml_fields(raw)
            expected = compute_signature(self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
            if expected != fields.get("MsgSignature"):
                raise ValueError("reply msg_signature does not match")
            xml = self.crypto.decrypt(fields["Encrypt"])
        reply = parse_message(xml)
        return SimResult(response.status_code, raw, reply.content, tries, reply.msg_type)


def main(argv: list[str] | None = None) -> int:
    try:
        env = WeChatEnv.from_env()  # the connector's own WECHAT_* values are the defaults
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        prog="python -m channels.wechat.simulator", description="Simulated WeChat server"
    )
    parser.add_argument("text", nargs="?", default="", help="the user's text message")
    parser.add_argument("--url", default=env.webhook_url)
    parser.add_argument("--user", default=DEFAULT_USER, help="the user's OpenID")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT, help="the official account id")
    parser.add_argument("--token", default=env.token)
    parser.add_argument("--aes-key", default=env.aes_key)
    parser.add_argument("--appid", default=env.appid)
    parser.add_argument("--encrypt", action="store_true", help="safe mode (encrypt_type=aes)")
    parser.add_argument("--event", default="", help="send an event, e.g. subscribe")
    parser.add_argument("--type", default="text", dest="msg_type", help="text, image, voice, …")
    parser.add_argument("--msgid", default=None, help="fixed MsgId (send twice to test retries)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per try (WeChat: 5)")
    parser.add_argument("--tries", type=int, default=3, help="tries per message (WeChat: 3)")
    parser.add_argument("--verify", action="store_true", help="do the GET URL verification")
    parser.add_argument("--raw", action="store_true", help="also print the raw HTTP body")
    args = parser.parse_args(argv)

    try:
        sim = Simulator(args.url, args.token, args.appid, args.aes_key, args.account, args.timeout)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.verify:
            response = sim.verify()
            ok = response.status_code == 200 and response.text == "simulated-echo"
            print("verification " + ("passed" if ok else f"failed: HTTP {response.status_code}"))
            return 0 if ok else 1
        msg_type = "event" if args.event else args.msg_type
        if msg_type == "text" and not args.text:
            parser.error("give the text to send (or --event / --type / --verify)")
        xml = sim.message_xml(args.text, args.user, msg_type, args.event, args.msgid)
        result = sim.send(xml, encrypt=args.encrypt, tries=args.tries)
    except (httpx.HTTPError, TimeoutError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.raw:
        print(f"HTTP {result.status} after {result.tries} tr{'y' if result.tries == 1 else 'ies'}")
        print(result.body)
    if result.status != 200:
        print(f"HTTP {result.status}: {result.body}")
        return 1
    print(result.text if result.text is not None else "(no reply)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
