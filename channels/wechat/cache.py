"""Small key-value stores with expiry, behind one async interface.

The connector keeps reply caches (de-duplication of WeChat's retries), per-user pending buttons,
try counters, message claims (which worker answers a message) and the access token in a
`KeyValueStore`. `MemoryStore` serves one process; `RedisStore` (when `WECHAT_REDIS_URL` is set)
shares them between processes and restarts.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol


class KeyValueStore(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one to a counter (created at 1 with `ttl`); return the new value."""
        ...

    async def claim(self, key: str, owner: str, ttl: float) -> bool:
        """Set `key` to `owner` only if it is absent, atomically; True if this call set it."""
        ...

    async def renew(self, key: str, owner: str, ttl: float) -> bool:
        """Reset the expiry of `key` only while it still holds `owner`; True if it did."""
        ...


class MemoryStore:
    """In-process store: entries expire after their TTL; the oldest are evicted past `max_entries`.

    Single-threaded asyncio use only (no awaits inside, so no locking is needed).
    """

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max = max_entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str) -> tuple[float, str] | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._data[key]
            return None
        return entry

    def _put(self, key: str, value: str, ttl: float) -> None:
        self._data[key] = (self._clock() + ttl, value)
        self._data.move_to_end(key)
        self._evict()

    def _evict(self) -> None:
        now = self._clock()
        # Drop expired entries from the old end first, then the oldest live ones if still too many.
        while self._data:
            key, (expires, _) = next(iter(self._data.items()))
            if expires <= now or len(self._data) > self._max:
                del self._data[key]
            else:
                break

    async def get(self, key: str) -> str | None:
        entry = self._live(key)
        return None if entry is None else entry[1]

    async def set(self, key: str, value: str, ttl: float) -> None:
        if ttl <= 0:
            self._data.pop(key, None)
            return
        self._put(key, value, ttl)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, ttl: float) -> int:
        entry = self._live(key)
        if entry is None:
            self._put(key, "1", ttl)
            return 1
        count = int(entry[1]) + 1
        self._data[key] = (entry[0], str(count))  # keeps the first expiry, like Redis INCR
        return count

    async def claim(self, key: str, owner: str, ttl: float) -> bool:
        if ttl <= 0 or self._live(key) is not None:
            return False
        self._put(key, owner, ttl)
        return True

    async def renew(self, key: str, owner: str, ttl: float) -> bool:
        entry = self._live(key)
        if entry is None or entry[1] != owner or ttl <= 0:
            return False
        self._put(key, owner, ttl)
        return True


# Compare-and-expire in one step: a plain PEXPIRE could extend a claim another worker took
# after ours lapsed.
_RENEW_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class RedisStore:
    """Store on Redis via `redis.asyncio` (shipped with the `redis` package Rasa already needs)."""

    def __init__(self, client: Any, prefix: str = "wechat:") -> None:
        self._r = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "wechat:") -> RedisStore:
        from redis import asyncio as redis_asyncio  # optional dependency, only when configured

        return cls(redis_asyncio.from_url(url, decode_responses=True), prefix)

    async def get(self, key: str) -> str | None:
        value = await self._r.get(self._prefix + key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: float) -> None:
        if ttl <= 0:
            await self.delete(key)
            return
        await self._r.set(self._prefix + key, value, px=_ms(ttl))

    async def delete(self, key: str) -> None:
        await self._r.delete(self._prefix + key)

    async def incr(self, key: str, ttl: float) -> int:
        full = self._prefix + key
        count = int(await self._r.incr(full))
        if count == 1:
            await self._r.pexpire(full, _ms(ttl))
        return count

    async def claim(self, key: str, owner: str, ttl: float) -> bool:
        if ttl <= 0:
            return False
        # SET NX PX: of several workers racing for one key, Redis lets exactly one win.
        return bool(await self._r.set(self._prefix + key, owner, nx=True, px=_ms(ttl)))

    async def renew(self, key: str, owner: str, ttl: float) -> bool:
        if ttl <= 0:
            return False
        return bool(await self._r.eval(_RENEW_IF_OWNER, 1, self._prefix + key, owner, _ms(ttl)))


def make_store(redis_url: str | None, max_entries: int) -> KeyValueStore:
    """Redis when a URL is configured, else memory."""
    if redis_url:
        return RedisStore.from_url(redis_url)
    return MemoryStore(max_entries=max_entries)
