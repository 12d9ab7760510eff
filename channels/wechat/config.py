"""Connector configuration: the WECHAT_* rows of the settings table (knowledge/settings.py),
read once. `credentials.yml` may also give `token`, `appid`, `appsecret`, `aes_key`,
`api_base`, `redis_url`, `welcome_trigger`; a non-empty value there wins over the environment.

The token signs every request from WeChat. Without one, the connector uses the public
development token `dev-token`, which anyone can sign with: allowed (with a warning) for local
development only. Once a real account is configured (WECHAT_APPID set) it refuses to start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from channels.wechat.crypto import decode_aes_key
from knowledge.settings import WECHAT_DEV_TOKEN, WeChatEnv, load

log = logging.getLogger(__name__)

DEV_TOKEN = WECHAT_DEV_TOKEN  # only for local development; a real account must set WECHAT_TOKEN
DEFAULT_API_BASE = WeChatEnv.api_base


# A non-empty value under `channels.wechat.WeChatInput:` in credentials.yml wins over the variable.
CREDENTIAL_KEYS = ("token", "appid", "appsecret", "aes_key", "api_base", "redis_url", "welcome_trigger")


class WeChatSettings(WeChatEnv):
    """The connector's settings: the table's `WeChatEnv` (knowledge/settings.py), with
    credentials.yml's values and the checks that involve several of them."""

    @property
    def can_push(self) -> bool:
        """Whether the customer-service API can be used (it needs app id and secret)."""
        return bool(self.appid and self.appsecret)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, credentials: Mapping[str, Any] | None = None
    ) -> WeChatSettings:
        given = {k: str(v) for k, v in (credentials or {}).items() if k in CREDENTIAL_KEYS and v not in (None, "")}
        settings = load(cls, env, overrides=given, source="credentials.yml")
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
