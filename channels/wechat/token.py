"""The access token for WeChat's server APIs: fetched once, shared, refreshed before it expires.

WeChat limits token requests per day and a new token invalidates the old one after a grace
period, so the token must never be fetched per message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from channels.wechat.cache import KeyValueStore

TokenFetcher = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, expires_in seconds)


class AccessTokenCache:
    def __init__(
        self,
        fetch: TokenFetcher,
        store: KeyValueStore,
        key: str = "access_token",
        refresh_margin: float = 300.0,
    ) -> None:
        self._fetch = fetch
        self._store = store
        self._key = key
        self._margin = refresh_margin
        self._lock: asyncio.Lock | None = None
        self.fetch_count = 0  # observable for tests and logs

    def _get_lock(self) -> asyncio.Lock:
        # Created lazily so that the lock belongs to the running event loop.
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def get(self) -> str:
        token = await self._store.get(self._key)
        if token:
            return token
        async with self._get_lock():  # concurrent callers share one fetch
            token = await self._store.get(self._key)
            if token:
                return token
            token, expires_in = await self._fetch()
            self.fetch_count += 1
            # Expire our copy `margin` early (never below a minute) so it is renewed in time.
            ttl = max(60.0, float(expires_in) - self._margin)
            await self._store.set(self._key, token, ttl)
            return token

    async def invalidate(self) -> None:
        """Forget the token (WeChat said it is invalid); the next get() fetches a new one."""
        await self._store.delete(self._key)
