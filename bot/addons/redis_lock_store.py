"""Conversation lock on Redis that stays correct with several Rasa servers.

Rasa holds a per-conversation lock around every turn so that two messages of one
conversation are never processed at the same time (each turn reads the tracker, runs
the policies and actions, and appends its events). With several Rasa processes that
lock must live in Redis.

Why not Rasa's `RedisLockStore`: it keeps a conversation's whole ticket queue in one
JSON string and changes it by read -> modify in Python -> write (RasaHQ/rasa#9213,
#11256; the fix in #11256 was reverted and never released in open source). Two servers
issuing a ticket at the same moment both read the same queue and hand out the same
number, so both process the conversation at once; one server finishing can write back
a queue without the ticket the other just added, which then fails with `LockError`.
Its calls are also blocking Redis calls inside Rasa's event loop, and a waiting turn
looks again only once a second.

This store keeps the same ticket-lock semantics (first come, first served; a ticket
expires `lock_lifetime` seconds after its last sign of life so a crashed server cannot
block a conversation forever) but every change of the queue is one Lua script, which
Redis runs atomically. Per conversation there are two keys:

    <prefix>lock:{<conversation>}:q   list of ticket numbers in arrival order
    <prefix>lock:{<conversation>}:t   hash: "next" -> last number issued,
                                            <ticket> -> expiry (ms, Redis clock)

Expiries use Redis's clock (`TIME`), so the servers' clocks do not matter. Releasing a
ticket pushes a wake-up onto `...:w:<next ticket>`, on which the next turn waits with a
blocking BLPOP (on a `redis.asyncio` connection, so Rasa's event loop keeps serving): the
hand-over takes one round trip, not a poll period. A waiting turn also looks at the queue
every `poll_interval` seconds (0.5 s), which refreshes its own ticket (a long queue of live
waiters never expires) and notices a holder that died (its ticket expires `lock_lifetime`
seconds after it got the lock; Rasa's default is 60 s, env TICKET_LOCK_LIFETIME). The
`{...}` hash tag keeps a conversation's keys in one Redis Cluster slot. Each waiting turn
holds one Redis connection while it waits.

Registered in bot/endpoints.scaleout.yml as
`type: bot.addons.redis_lock_store.AtomicRedisLockStore` with the same fields as Rasa's
`type: redis` store (url = host, port, password, db, key_prefix, ...). Rasa 3.6 only ever
calls `lock()`; the synchronous queue methods of `LockStore` are not supported here
because they are exactly the non-atomic read-modify-write this store replaces.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as redis_asyncio
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 0.5  # seconds a waiting turn sleeps at most without being woken
MIN_POLL = 0.01  # seconds (Redis 6+ takes fractional BLPOP timeouts)
WAKE_TTL_MS = 60_000  # an unclaimed wake-up (its waiter gave up) disappears after a minute
SEQUENCE_TTL_MS = 24 * 3600 * 1000  # an idle conversation's ticket counter lives a day

# Redis time in ms, and a number formatted without an exponent (Redis stores strings).
_NOW = """
if redis.replicate_commands then redis.replicate_commands() end  -- Redis < 5: allow TIME
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function ms(x) return string.format('%.0f', x) end
"""

# KEYS: queue, tickets. ARGV: lifetime ms, key ttl ms. Returns the new ticket number.
_ISSUE = (
    _NOW
    + """
local n = redis.call('HINCRBY', KEYS[2], 'next', 1)
redis.call('HSET', KEYS[2], n, ms(now + tonumber(ARGV[1])))
redis.call('RPUSH', KEYS[1], n)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return n
"""
)

# Drops expired tickets; the first live ticket ahead of ARGV[1] counts as `ahead`.
_PRUNE = """
local function prune(queue, tickets, now, mine)
  local ahead, found, head = 0, false, nil
  for _, id in ipairs(redis.call('LRANGE', queue, 0, -1)) do
    local expires = tonumber(redis.call('HGET', tickets, id))
    if expires == nil or expires <= now then
      redis.call('LREM', queue, 1, id)
      redis.call('HDEL', tickets, id)
    else
      if head == nil then head = id end
      if id == mine then found = true elseif not found then ahead = ahead + 1 end
    end
  end
  return ahead, found, head
end
"""

# KEYS: queue, tickets. ARGV: ticket, lifetime ms, key ttl ms.
# Drops expired tickets, then returns 0 if `ticket` is first in line (it holds the lock),
# the number of live tickets ahead of it otherwise, or -1 if it expired (it is gone).
# A live ticket's expiry moves to now + lifetime: the caller has just shown it is alive.
_POLL = (
    _NOW
    + _PRUNE
    + """
local ahead, found = prune(KEYS[1], KEYS[2], now, ARGV[1])
if not found then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], ms(now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return ahead
"""
)

# KEYS: queue, tickets. ARGV: ticket, wake-key prefix, wake ttl ms.
# Leaves the queue and wakes whoever is now first in line (see `_wait_turn`). The
# counter stays, so numbers are never reused while a late holder might still release
# an old one; Redis drops the emptied list by itself.
_RELEASE = (
    _NOW
    + _PRUNE
    + """
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local _, _, head = prune(KEYS[1], KEYS[2], now, '')
if head then
  local wake = ARGV[2] .. head
  redis.call('RPUSH', wake, 1)
  redis.call('PEXPIRE', wake, ARGV[3])
end
return head
"""
)


_OPTIONS = {"port", "db", "username", "password", "use_ssl", "key_prefix", "socket_timeout",
            "poll_interval"}  # fmt: skip


def _optional_str(value: Any) -> str | None:
    # `${REDIS_PASSWORD}` set to "" in endpoints.yml means: no password.
    return None if value in (None, "") else str(value)


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")


class AtomicRedisLockStore(LockStore):
    """Ticket lock per conversation in Redis; every queue change is one atomic script."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        host: str = "localhost",
        port: int | str = 6379,
        db: int | str = 1,
        username: str | None = None,
        password: str | None = None,
        use_ssl: bool | str = False,
        key_prefix: str | None = None,
        socket_timeout: float | str = 10.0,
        poll_interval: float | str = DEFAULT_POLL_INTERVAL,
    ) -> None:
        # Rasa creates custom lock stores as `cls(endpoint_config=...)`; the endpoint's
        # `url` is the host (or a full redis:// URL), the other fields arrive as kwargs.
        options: dict[str, Any] = {}
        if endpoint_config is not None:
            options = dict(endpoint_config.kwargs)
            host = endpoint_config.url or host
            unknown = sorted(set(options) - _OPTIONS)
            if unknown:
                logger.warning("lock_store: ignoring unknown option(s) %s", ", ".join(unknown))
        url_or_host = str(host)
        self.port = int(options.get("port", port))
        self.db = int(options.get("db", db))
        self.username = _optional_str(options.get("username", username))
        self.password = _optional_str(options.get("password", password))
        self.use_ssl = _as_bool(options.get("use_ssl", use_ssl))
        self.socket_timeout = float(options.get("socket_timeout", socket_timeout))
        self.poll_interval = max(MIN_POLL, float(options.get("poll_interval", poll_interval)))
        self.url = url_or_host if "://" in url_or_host else None
        self.host = None if self.url else url_or_host
        prefix = options.get("key_prefix", key_prefix)
        if prefix and not str(prefix).isalnum():
            raise ValueError(f"lock store key_prefix must be alphanumeric, got {prefix!r}")
        self.key_prefix = f"{prefix}:lock:" if prefix else "lock:"
        # The client belongs to the event loop that first uses it (see `_redis`).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._scripts: dict[str, Any] = {}
        super().__init__()

    # -- Redis plumbing -----------------------------------------------------------------------
    def _redis(self) -> Any:
        """A client of the running loop (asyncio connections cannot cross event loops)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            common = {"socket_timeout": self.socket_timeout, "decode_responses": True}
            if self.url:
                client = redis_asyncio.from_url(self.url, **common)
            else:
                client = redis_asyncio.Redis(
                    host=self.host,
                    port=self.port,
                    db=self.db,
                    username=self.username,
                    password=self.password,
                    ssl=self.use_ssl,
                    **common,
                )
            self._client, self._loop = client, loop
            self._scripts = {
                name: client.register_script(source)
                for name, source in (("issue", _ISSUE), ("poll", _POLL), ("release", _RELEASE))
            }
        return self._client

    async def _run(self, script: str, conversation_id: str, *args: Any) -> Any:
        self._redis()
        base = self._base(conversation_id)
        return await self._scripts[script](keys=[f"{base}:q", f"{base}:t"], args=list(args))

    def _base(self, conversation_id: str) -> str:
        # {...} is a Redis Cluster hash tag: all keys of a conversation share one slot.
        return f"{self.key_prefix}{{{conversation_id}}}"

    @staticmethod
    def _ttl_ms(lock_lifetime: float) -> int:
        return max(SEQUENCE_TTL_MS, int(lock_lifetime * 2000))

    # -- the ticket queue ---------------------------------------------------------------------
    async def issue(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Join the conversation's queue; returns the ticket number."""
        ttl = self._ttl_ms(lock_lifetime)
        return int(await self._run("issue", conversation_id, int(lock_lifetime * 1000), ttl))

    async def poll(self, conversation_id: str, ticket: int, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """0: `ticket` holds the lock; n > 0: n tickets ahead; -1: the ticket expired."""
        ttl = self._ttl_ms(lock_lifetime)
        return int(await self._run("poll", conversation_id, ticket, int(lock_lifetime * 1000), ttl))

    async def release(self, conversation_id: str, ticket: int) -> None:
        """Leave the queue (holder or waiter) and wake the next in line; a no-op for a
        ticket that already expired."""
        wake_prefix = f"{self._base(conversation_id)}:w:"
        await self._run("release", conversation_id, ticket, wake_prefix, WAKE_TTL_MS)

    async def wait_for_wake(self, conversation_id: str, ticket: int, timeout: float) -> bool:
        """Block (without holding the event loop) until `release` wakes `ticket` or `timeout`."""
        key = f"{self._base(conversation_id)}:w:{ticket}"
        return await self._redis().blpop([key], timeout=timeout) is not None

    # -- Rasa's interface ----------------------------------------------------------------------
    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Hold the conversation's lock for the body of `async with`.

        A waiting turn is woken by the release of the turn before it; it also looks at the
        queue every `min(poll_interval, wait_time_in_seconds)` seconds in case that turn
        died (its ticket then expires `lock_lifetime` seconds after it got the lock).
        """
        try:
            ticket = await self.issue(conversation_id, lock_lifetime)
        except RedisError as exc:
            raise LockError(f"could not join the lock queue of '{conversation_id}': {exc}") from exc
        try:
            await self._wait_turn(conversation_id, ticket, lock_lifetime, wait_time_in_seconds)
            expires = time.time() + lock_lifetime
            yield TicketLock(conversation_id, deque([Ticket(ticket, expires)]))
        finally:
            await self._release_quietly(conversation_id, ticket)

    async def _wait_turn(
        self, conversation_id: str, ticket: int, lock_lifetime: float, max_pause: float
    ) -> None:
        # A blocking read longer than the socket timeout would fail as a timeout.
        pause = max(MIN_POLL, min(self.poll_interval, max_pause, self.socket_timeout / 2))
        try:
            while True:
                ahead = await self.poll(conversation_id, ticket, lock_lifetime)
                if ahead == 0:
                    return
                if ahead < 0:
                    raise LockError(
                        f"ticket {ticket} of conversation '{conversation_id}' expired while waiting"
                    )
                await self.wait_for_wake(conversation_id, ticket, pause)
        except RedisError as exc:
            raise LockError(f"lock store unreachable for '{conversation_id}': {exc}") from exc

    async def _release_quietly(self, conversation_id: str, ticket: int) -> None:
        # Shielded: a cancelled turn (client gone, reply timeout) still leaves the queue;
        # a cancellation arriving meanwhile still propagates. If Redis is unreachable the
        # ticket expires by itself after its lifetime.
        try:
            await asyncio.shield(self.release(conversation_id, ticket))
        except RedisError as exc:
            logger.warning(
                "could not release ticket %s of '%s' (%s); it expires by itself",
                ticket,
                conversation_id,
                exc,
            )
