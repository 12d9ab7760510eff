"""Rate limits of the public channels, per sender and per client address, kept by `limits`.

Pure (no Rasa import), so it is unit-tested in the tools venv.

`BOT_RATE_LIMIT="20/60"` means: a key may send 20 messages in a 60-second window that opens
with its first message (limits' fixed window); over it a message is refused, with the seconds
until the window closes.

Where the counts live (`storage_uri`): the process's memory by default; Redis when the
scale-out variables are set (REDIS_HOST, as bot/endpoints.scaleout.yml reads them), so that
every Rasa server counts against the same limit. In memory, each channel keeps its own counts.
The calls are synchronous: a check is one Redis round trip (well under a millisecond next to
Rasa's tens of milliseconds per turn), bounded by REDIS_TIMEOUT.

Client addresses: the peer of the connection, or, when that peer is one of the configured
reverse proxies (BOT_TRUSTED_PROXIES), the address the proxies forwarded in X-Forwarded-For.
A client cannot choose its address by sending that header itself.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Iterable
from urllib.parse import quote

from limits import RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from knowledge.settings import Rate

logger = logging.getLogger(__name__)

MEMORY = "memory://"
REDIS_DB = 1  # the lock store's database (bot/endpoints.scaleout.yml); keys start with "parkqa:"
# Seconds a Redis call may take: the calls run on Rasa's event loop, which must not hang.
REDIS_TIMEOUT = 1.0


def redis_uri(host: str, port: str | int = 6379, password: str = "", db: int = REDIS_DB) -> str:
    """A `limits` storage URI for the Redis the scale-out endpoints use."""
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{host}:{port}/{db}"


def open_storage(uri: str, name: str = "BOT_RATE_LIMIT_STORAGE") -> Storage:
    """The `limits` storage at `uri` ("memory://", "redis://[:password@]host:port/db", "rediss://…")."""
    if uri.startswith("async+"):
        raise ValueError(f"{name}: the channels use limits' synchronous storages, not {uri.split(':')[0]}")
    options = {} if uri.startswith(MEMORY) else {
        "socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT,
    }  # fmt: skip
    try:
        return storage_from_string(uri, **options)
    except Exception as exc:  # limits' ConfigurationError, or the driver's own
        # The URI may hold a password: name the scheme only.
        raise ValueError(f"{name}: cannot use storage {uri.split(':')[0]!r}: {type(exc).__name__}") from None


class RateLimiter:
    """A fixed-window limit per key; `kind` ("sender", "address") keeps their keys apart."""

    def __init__(self, spec: Rate, storage: Storage, kind: str) -> None:
        self.spec = spec
        self._item = RateLimitItemPerSecond(spec.count, spec.seconds, namespace=f"parkqa:rate:{kind}")
        self._storage = storage  # the strategy holds it only by a weak reference
        self._limiter = FixedWindowRateLimiter(storage)
        self._kind = kind

    def acquire(self, key: str) -> int:
        """Count one message of `key`: 0 when allowed, else the whole seconds (at least 1) until
        it may send again.

        A storage that fails (Redis unreachable) lets the message through: the limit protects
        the bot, and a bot that refuses everyone because Redis is down protects nothing.
        """
        try:
            if self._limiter.hit(self._item, key):
                return 0
            reset = self._limiter.get_window_stats(self._item, key)[0]
        except Exception as exc:  # the driver's errors (redis.ConnectionError, timeouts, ...)
            logger.warning("rate limit (%s) not checked, message let through: %s", self._kind, exc)
            return 0
        return max(1, math.ceil(reset - time.time()))


class AddressSet:
    """IP addresses and networks: exempt clients, trusted proxies."""

    def __init__(self, networks: Iterable[str] = ()) -> None:
        self._networks = [ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip()]

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str) or not self._networks:
            return False
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def __bool__(self) -> bool:
        return bool(self._networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: AddressSet) -> str | None:
    """The client's address: the connection's `peer`, unless that peer is a trusted proxy.

    Behind trusted proxies, X-Forwarded-For ("client, proxy1, proxy2", one or several
    headers) is read from the right: each trusted proxy appended the address it saw, so the
    first address that is not a trusted proxy is the client. Anything to its left was sent by
    the client and is ignored; an entry that is not an address ends the walk.
    """
    if not peer or peer not in trusted:
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    address = peer
    for hop in reversed(hops):
        if hop not in trusted:
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return address  # garbage from the client side: the last proxy is all we know
        address = hop
    return address
