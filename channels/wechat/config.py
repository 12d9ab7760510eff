"""Connector configuration, read once from environment variables (documented defaults).

`credentials.yml` may also give `token`, `appid`, `appsecret`, `aes_key`, `api_base`; a
non-empty value there wins over the environment.

The token signs every request from WeChat. Without one, the connector uses the public
development token `dev-token`, which anyone can sign with: allowed (with a warning) for local
development only. Once a real account is configured (WECHAT_APPID set) it refuses to start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from channels.wechat.crypto import decode_aes_key

log = logging.getLogger(__name__)

DEV_TOKEN = "dev-token"  # only for local development; a real account must set WECHAT_TOKEN
DEFAULT_API_BASE = "https://api.weixin.qq.com"


@dataclass(frozen=True)
class WeChatSettings:
    token: str = DEV_TOKEN
    appid: str = ""
    appsecret: str = ""
    aes_key: str = ""
    api_base: str = DEFAULT_API_BASE
    redis_url: str = ""
    timestamp_window: float = 300.0  # seconds; 0 disables the replay window
    reply_deadline: float = 4.5  # last try: answer `success` after this and send later
    hold_seconds: float = 6.0  # earlier tries: keep the request open so WeChat retries
    max_tries: int = 3  # WeChat's tries per message (the first plus its retries)
    max_body_bytes: int = 64 * 1024
    max_message_chars: int = 500  # longer questions get a polite "please shorten" reply
    reply_ttl: float = 300.0  # how long a reply is kept for retries of the same message
    buttons_ttl: float = 1800.0  # how long numbered options stay valid for a user
    cache_size: int = 10_000
    # What the bot is sent when a user subscribes: a greeting in Chinese, so that the bot's
    # language detection answers in Chinese ("/greet" reads as English to it).
    welcome_trigger: str = "你好"

    @property
    def can_push(self) -> bool:
        """Whether the customer-service API can be used (it needs app id and secret)."""
        return bool(self.appid and self.appsecret)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, credentials: Mapping[str, Any] | None = None
    ) -> WeChatSettings:
        env = os.environ if env is None else env
        creds = {k: str(v) for k, v in (credentials or {}).items() if v not in (None, "")}

        def text(cred_key: str, env_key: str, default: str = "") -> str:
            return creds.get(cred_key) or env.get(env_key, "").strip() or default

        def number(env_key: str, default: float) -> float:
            raw = env.get(env_key, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError as exc:
                raise ValueError(f"{env_key} must be a number, got {raw!r}") from exc
            if value < 0:
                raise ValueError(f"{env_key} must not be negative")
            return value

        settings = cls(
            token=text("token", "WECHAT_TOKEN", DEV_TOKEN),
            appid=text("appid", "WECHAT_APPID"),
            appsecret=text("appsecret", "WECHAT_APPSECRET"),
            aes_key=text("aes_key", "WECHAT_AES_KEY"),
            api_base=text("api_base", "WECHAT_API_BASE", DEFAULT_API_BASE).rstrip("/"),
            redis_url=text("redis_url", "WECHAT_REDIS_URL"),
            timestamp_window=number("WECHAT_TIMESTAMP_WINDOW", cls.timestamp_window),
            reply_deadline=number("WECHAT_REPLY_DEADLINE", cls.reply_deadline),
            hold_seconds=number("WECHAT_HOLD_SECONDS", cls.hold_seconds),
            max_tries=max(1, int(number("WECHAT_MAX_TRIES", cls.max_tries))),
            max_body_bytes=max(1024, int(number("WECHAT_MAX_BODY_BYTES", cls.max_body_bytes))),
            max_message_chars=max(1, int(number("BOT_MAX_MESSAGE_CHARS", cls.max_message_chars))),
            reply_ttl=number("WECHAT_REPLY_TTL", cls.reply_ttl),
            buttons_ttl=number("WECHAT_BUTTONS_TTL", cls.buttons_ttl),
            cache_size=max(1, int(number("WECHAT_CACHE_SIZE", cls.cache_size))),
            welcome_trigger=text("welcome_trigger", "WECHAT_WELCOME_TRIGGER", cls.welcome_trigger),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail at start-up, clearly, rather than on the first encrypted message."""
        if self.aes_key:
            decode_aes_key(self.aes_key)  # raises ValueError with the reason
            if not self.appid:
                raise ValueError("WECHAT_AES_KEY is set but WECHAT_APPID is not (safe mode needs it)")
        if self.appsecret and not self.appid:
            raise ValueError("WECHAT_APPSECRET is set but WECHAT_APPID is not")
        if not self.token.strip():
            raise ValueError("WECHAT_TOKEN must not be empty")
        if self.token == DEV_TOKEN:
            if self.appid:
                raise ValueError(
                    f"WECHAT_TOKEN is not set (or is the public development token {DEV_TOKEN!r}) "
                    "but WECHAT_APPID is: set WECHAT_TOKEN to the Token of the "
                    "official account's 服务器配置 (3-32 letters or digits)"
                )
            log.warning(
                "WECHAT_TOKEN is not set: using the development token %r (local development "
                "only; set WECHAT_TOKEN before connecting a real account)",
                DEV_TOKEN,
            )
