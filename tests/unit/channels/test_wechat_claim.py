"""Claims on a message shared by several workers (here: several MessageClaims on one store)."""

from __future__ import annotations

import asyncio

import pytest

from channels.wechat.cache import MemoryStore
from channels.wechat.claim import CLAIM_PREFIX, ClaimTiming, MessageClaims

FAST = ClaimTiming(ttl=0.15, poll=0.01)


class Producer:
    """What a worker does once it owns a message: ask the bot (slowly), then cache the reply."""

    def __init__(self, store: MemoryStore, name: str, delay: float = 0.0) -> None:
        self.store = store
        self.name = name
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay)
        reply = f"reply from {self.name}"
        await self.store.set("reply:k", reply, 60)
        return reply


def cached(store: MemoryStore):
    return lambda: store.get("reply:k")


def test_the_loser_returns_the_winners_reply_without_producing() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        a, b = MessageClaims(store, FAST), MessageClaims(store, FAST)
        make_a, make_b = Producer(store, "a", delay=0.1), Producer(store, "b")
        first = asyncio.create_task(a.answer_once("k", cached(store), make_a, give_up=5))
        await asyncio.sleep(0.02)
        second = await b.answer_once("k", cached(store), make_b, give_up=5)
        assert (await first, second) == ("reply from a", "reply from a")
        assert (make_a.calls, make_b.calls) == (1, 0)

    asyncio.run(scenario())


def test_a_slow_winner_keeps_its_claim_by_renewing_it() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        a, b = MessageClaims(store, FAST), MessageClaims(store, FAST)
        make_a, make_b = Producer(store, "a", delay=0.6), Producer(store, "b")  # 4 x the ttl
        first = asyncio.create_task(a.answer_once("k", cached(store), make_a, give_up=5))
        await asyncio.sleep(0.02)
        assert await b.answer_once("k", cached(store), make_b, give_up=5) == "reply from a"
        await first
        assert make_b.calls == 0

    asyncio.run(scenario())


def test_a_crashed_winner_loses_its_claim_and_the_waiter_answers() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        a, b = MessageClaims(store, FAST), MessageClaims(store, FAST)
        make_a, make_b = Producer(store, "a", delay=60), Producer(store, "b")
        first = asyncio.create_task(a.answer_once("k", cached(store), make_a, give_up=60))
        await asyncio.sleep(0.02)
        waiting = asyncio.create_task(b.answer_once("k", cached(store), make_b, give_up=60))
        await asyncio.sleep(0.05)
        first.cancel()  # worker a dies mid-answer: nothing cached, no more renewals
        loop = asyncio.get_running_loop()
        died = loop.time()
        assert await waiting == "reply from b"
        assert loop.time() - died < FAST.ttl + 0.2  # taken over once the claim lapsed
        assert (make_a.calls, make_b.calls) == (1, 1)

    asyncio.run(scenario())


def test_a_reply_cached_just_before_the_claim_lapsed_is_not_produced_again() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        await store.set("reply:k", "reply from a", 60)  # a cached it, then its claim lapsed
        make_b = Producer(store, "b")
        claims = MessageClaims(store, FAST)
        assert await claims.answer_once("k", cached(store), make_b, give_up=5) == "reply from a"
        assert make_b.calls == 0

    asyncio.run(scenario())


def test_a_holder_that_never_answers_makes_the_waiter_give_up() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        await store.claim(CLAIM_PREFIX + "k", "alive-but-stuck", ttl=60)
        make_b = Producer(store, "b")
        claims = MessageClaims(store, FAST)
        assert await claims.answer_once("k", cached(store), make_b, give_up=0.1) is None
        assert make_b.calls == 0

    asyncio.run(scenario())


def test_the_claim_names_its_worker_and_only_it_renews() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        a, b = MessageClaims(store, FAST, owner="worker-a"), MessageClaims(store, FAST)
        assert await a.take("k") and not await b.take("k")
        assert await store.get(CLAIM_PREFIX + "k") == "worker-a"
        assert a.owner != b.owner

    asyncio.run(scenario())


@pytest.mark.parametrize(("ttl", "poll"), [(0, 0.1), (3, 0), (-1, 0.1)])
def test_claim_timing_must_be_positive(ttl: float, poll: float) -> None:
    with pytest.raises(ValueError):
        ClaimTiming(ttl=ttl, poll=poll)
