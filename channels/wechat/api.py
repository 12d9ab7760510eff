"""WeChat server API calls the connector needs: the access token and customer-service messages.

Non-blocking (httpx.AsyncClient); the base URL is configurable so tests use a local fake.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from channels.wechat.cache import KeyValueStore
from channels.wechat.text import MAX_REPLY_BYTES, split_chunks
from channels.wechat.token import AccessTokenCache

_SECRET_PARAM = re.compile(r"((?:secret|access_token)=)[^&\s\"']+")


class _RedactSecrets(logging.Filter):
    """httpx logs each request URL at INFO; WeChat puts the secret and token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = ()
        record.msg = _SECRET_PARAM.sub(r"\1***", str(record.msg))
        return True


def _install_redaction() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
        logger.addFilter(_RedactSecrets())


# errcodes that mean "the token is no longer valid": fetch a new one and retry once.
_TOKEN_ERRORS = {40001, 40014, 42001}


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode


class CustomerServiceClient:
    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        store: KeyValueStore,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._client = client or httpx.AsyncClient(timeout=timeout)
        _install_redaction()
        self.tokens = AccessTokenCache(self._fetch_token, store, key=f"access_token:{appid}")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self._client.get(
            f"{self._base}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self._appid,
                "secret": self._secret,
            },
        )
        data = _json(response)
        token = data.get("access_token")
        if not token:
            raise WeChatApiError(int(data.get("errcode", -1)), str(data.get("errmsg", "no token")))
        return str(token), float(data.get("expires_in", 7200))

    async def _send_one(self, openid: str, text: str) -> None:
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        await self._post("/cgi-bin/message/custom/send", body)

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """Install the account's custom menu (自定义菜单), replacing the current one."""
        await self._post("/cgi-bin/menu/create", menu)

    async def _post(self, path: str, body: dict[str, Any]) -> None:
        """POST `body` with the access token; a stale token is renewed once."""
        for attempt in (1, 2):
            token = await self.tokens.get()
            response = await self._client.post(
                f"{self._base}{path}",
                params={"access_token": token},
                # Raw UTF-8, not \u escapes: WeChat documents the body as UTF-8 JSON text.
                content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            data = _json(response)
            errcode = int(data.get("errcode", 0))
            if errcode == 0:
                return
            if errcode in _TOKEN_ERRORS and attempt == 1:
                await self.tokens.invalidate()
                continue
            raise WeChatApiError(errcode, str(data.get("errmsg", "")))

    async def send_text(self, openid: str, text: str, max_bytes: int = MAX_REPLY_BYTES) -> None:
        """Send `text` as one or more customer-service text messages (split at sentences)."""
        for chunk in split_chunks(text, max_bytes):
            await self._send_one(openid, chunk)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise WeChatApiError(response.status_code, "response is not JSON") from exc
    if not isinstance(data, dict):
        raise WeChatApiError(response.status_code, "response is not a JSON object")
    return data
