"""Expiring stores and the access-token cache."""

from __future__ import annotations

import asyncio

import pytest

from channels.wechat.cache import MemoryStore, make_store
from channels.wechat.token import AccessTokenCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_ttl() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = MemoryStore(clock=clock)
        await store.set("a", "1", ttl=10)
        assert await store.get("a") == "1"
        clock.now += 9.9
        assert await store.get("a") == "1"
        clock.now += 0.2
        assert await store.get("a") is None
        await store.set("b", "x", ttl=0)  # a zero TTL stores nothing
        assert await store.get("b") is None

    asyncio.run(scenario())


def test_size_is_bounded_and_oldest_go_first() -> None:
    async def scenario() -> None:
        store = MemoryStore(max_entries=3, clock=Clock())
        for key in "abcde":
            await store.set(key, key, ttl=100)
        assert len(store) == 3
        assert [await store.get(k) for k in "abcde"] == [None, None, "c", "d", "e"]

    asyncio.run(scenario())


def test_expired_entries_are_dropped_on_write() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = MemoryStore(max_entries=100, clock=clock)
        for i in range(50):
            await store.set(f"k{i}", "v", ttl=1)
        clock.now += 2
        await store.set("fresh", "v", ttl=1)
        assert len(store) == 1

    asyncio.run(scenario())


def test_counters_keep_their_first_expiry() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = MemoryStore(clock=clock)
        assert await store.incr("n", ttl=10) == 1
        clock.now += 6
        assert await store.incr("n", ttl=10) == 2
        clock.now += 5  # 11 s after creation: expired even though touched at 6 s
        assert await store.incr("n", ttl=10) == 1
        await store.delete("n")
        assert await store.get("n") is None

    asyncio.run(scenario())


def test_a_claim_is_won_once_until_it_expires() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = MemoryStore(clock=clock)
        assert await store.claim("c", "worker-a", ttl=3)
        assert not await store.claim("c", "worker-b", ttl=3)
        assert not await store.claim("c", "worker-a", ttl=3)  # held, even by its own owner
        assert await store.get("c") == "worker-a"
        clock.now += 3.1
        assert await store.claim("c", "worker-b", ttl=3)  # the holder stopped renewing
        assert not await store.claim("zero", "worker-a", ttl=0)

    asyncio.run(scenario())


def test_only_the_holder_renews_a_claim() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = MemoryStore(clock=clock)
        await store.claim("c", "worker-a", ttl=3)
        clock.now += 2
        assert await store.renew("c", "worker-a", ttl=3)
        assert not await store.renew("c", "worker-b", ttl=3)
        clock.now += 2  # 4 s after the claim, 2 s after the renewal: still held
        assert not await store.claim("c", "worker-b", ttl=3)
        clock.now += 1.1
        assert not await store.renew("c", "worker-a", ttl=3)  # lapsed: renewing cannot revive it
        assert await store.claim("c", "worker-b", ttl=3)

    asyncio.run(scenario())


def test_memory_store_rejects_a_zero_bound() -> None:
    with pytest.raises(ValueError):
        MemoryStore(max_entries=0)


def test_make_store_defaults_to_memory() -> None:
    assert isinstance(make_store("", 10), MemoryStore)


class Fetcher:
    def __init__(self, expires_in: float = 7200, delay: float = 0.0) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.delay = delay

    async def __call__(self) -> tuple[str, float]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return f"token-{self.calls}", self.expires_in


def test_token_is_fetched_once_and_shared() -> None:
    async def scenario() -> None:
        fetch = Fetcher(delay=0.01)
        tokens = AccessTokenCache(fetch, MemoryStore())
        results = await asyncio.gather(*(tokens.get() for _ in range(20)))
        assert set(results) == {"token-1"}
        assert await tokens.get() == "token-1"
        assert fetch.calls == 1

    asyncio.run(scenario())


def test_token_is_refreshed_before_it_expires() -> None:
    async def scenario() -> None:
        clock = Clock()
        fetch = Fetcher(expires_in=7200)
        tokens = AccessTokenCache(fetch, MemoryStore(clock=clock), refresh_margin=300)
        assert await tokens.get() == "token-1"
        clock.now += 7200 - 301  # still inside the safe period
        assert await tokens.get() == "token-1"
        clock.now += 2  # within the 300 s margin before WeChat's expiry: renew now
        assert await tokens.get() == "token-2"
        assert fetch.calls == 2

    asyncio.run(scenario())


def test_invalidate_forces_a_new_token() -> None:
    async def scenario() -> None:
        fetch = Fetcher()
        tokens = AccessTokenCache(fetch, MemoryStore())
        await tokens.get()
        await tokens.invalidate()
        assert await tokens.get() == "token-2"

    asyncio.run(scenario())


def test_short_lived_tokens_are_kept_at_least_a_minute() -> None:
    async def scenario() -> None:
        clock = Clock()
        fetch = Fetcher(expires_in=10)
        tokens = AccessTokenCache(fetch, MemoryStore(clock=clock), refresh_margin=300)
        await tokens.get()
        clock.now += 59
        await tokens.get()
        assert fetch.calls == 1

    asyncio.run(scenario())
