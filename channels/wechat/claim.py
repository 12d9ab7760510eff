"""Which worker answers a WeChat message: the first one to claim it in the shared store.

With several Rasa servers behind one URL, WeChat's retry of a message may reach another server
while the first is still asking the bot. The first worker to see a message claims its key
(`KeyValueStore.claim`: Redis `SET NX PX`) and renews the claim while it answers; a worker that
loses the claim never asks the bot but watches the reply cache for the winner's reply. A winner
that dies stops renewing, so its claim lapses after `ttl` and a waiting worker takes over.
With the in-memory store there is one worker, and the first claim always wins.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from channels.wechat.cache import KeyValueStore

log = logging.getLogger(__name__)

CLAIM_PREFIX = "claim:"


@dataclass(frozen=True)
class ClaimTiming:
    # A crashed winner holds its message up at most this long; renewed every ttl/3 while alive,
    # so an event loop blocked (Rasa's inference) for up to 2/3 of it loses nothing.
    ttl: float = 3.0
    # How often a waiting worker reads the reply cache (one Redis GET per waiting message).
    poll: float = 0.1

    def __post_init__(self) -> None:
        if self.ttl <= 0 or self.poll <= 0:
            raise ValueError("claim ttl and poll interval must be positive")


class MessageClaims:
    """Claims on message keys, held by one worker (`owner`) at a time."""

    def __init__(
        self, store: KeyValueStore, timing: ClaimTiming | None = None, owner: str | None = None
    ) -> None:
        self._store = store
        self.timing = timing or ClaimTiming()
        self.owner = owner or uuid.uuid4().hex  # one per worker: a claim names who holds it

    async def take(self, key: str) -> bool:
        """Claim `key` for this worker; False if another worker (or this one) holds it."""
        return await self._store.claim(CLAIM_PREFIX + key, self.owner, self.timing.ttl)

    @asynccontextmanager
    async def held(self, key: str) -> AsyncIterator[None]:
        """Keep renewing a taken claim while the body runs (the bot may answer slowly)."""
        renewer = asyncio.create_task(self._renew(key))
        try:
            yield
        finally:
            renewer.cancel()
            # No release: the reply is cached first, and a lapsed claim only lets a later
            # worker find that reply (answer_once reads the cache after every claim).
            await asyncio.gather(renewer, return_exceptions=True)

    async def _renew(self, key: str) -> None:
        interval = self.timing.ttl / 3
        try:
            while True:
                await asyncio.sleep(interval)
                if not await self._store.renew(CLAIM_PREFIX + key, self.owner, self.timing.ttl):
                    log.warning("claim on %s lapsed while answering: it may be answered twice", key)
                    return
        except Exception:  # (cancellation is a BaseException: it passes through)
            # Store unreachable: the answer itself goes on; the claim simply lapses.
            log.exception("could not renew the claim on %s", key)

    async def answer_once(
        self,
        key: str,
        cached: Callable[[], Awaitable[str | None]],
        produce: Callable[[], Awaitable[str]],
        give_up: float,
    ) -> str | None:
        """The reply for `key`: produced here if this worker wins the claim, else read from the
        cache once the winner stored it. None if neither happened within `give_up` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + give_up
        while True:
            if await self.take(key):
                # The previous holder may have cached its reply just before its claim lapsed.
                reply = await cached()
                if reply is not None:
                    return reply
                async with self.held(key):
                    return await produce()
            reply = await cached()
            if reply is not None:
                return reply
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(self.timing.poll)
