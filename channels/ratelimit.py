"""Per-key rate limiting for the public channels: a token bucket per sender or client address.

Pure (no Rasa import), so it is unit-tested in the tools venv with a fake clock.

`BOT_RATE_LIMIT="20/60"` means: a key may send 20 messages at once, and earns one more every
60/20 = 3 seconds (a bucket of 20 tokens refilled at 20 per 60 s). Over the limit a message
is refused, with the seconds to wait until the next token.

State lives in the process: with several Rasa processes each keeps its own buckets, so the
effective limit is the configured one times the number of processes (docs/security.md).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Clock = Callable[[], float]

# Keys remembered at most; beyond it the least recently seen key is forgotten. A key idle
# for a whole period has a full bucket anyway, so only a flood of distinct keys loses state.
DEFAULT_MAX_KEYS = 100_000

_OFF = {"", "0", "off", "none", "false", "no"}


@dataclass(frozen=True)
class RateSpec:
    """`count` messages per `seconds`: the bucket's size and its refill rate."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, raw: str | None, name: str = "BOT_RATE_LIMIT") -> RateSpec | None:
        """'20/60' -> RateSpec(20, 60.0); '0', 'off' or empty -> None (no limit)."""
        text = (raw or "").strip().lower()
        if text in _OFF:
            return None
        count, sep, seconds = text.partition("/")
        try:
            spec = cls(int(count), float(seconds) if sep else 60.0)
        except ValueError:
            raise ValueError(f"{name} must look like 20/60 (messages/seconds), got {raw!r}") from None
        if spec.count < 1 or not math.isfinite(spec.seconds) or spec.seconds <= 0:
            raise ValueError(f"{name} needs a positive count and period, got {raw!r}")
        return spec

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}"


class RateLimiter:
    """Token buckets keyed by any string; not thread-safe (one asyncio loop uses it)."""

    def __init__(
        self, spec: RateSpec, clock: Clock = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        self.spec = spec
        self._clock = clock
        self._max_keys = max_keys
        self._rate = spec.count / spec.seconds  # tokens earned per second
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def acquire(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until one is earned."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(self.spec.count), now))
        tokens = min(float(self.spec.count), tokens + (now - at) * self._rate)
        if tokens >= 1.0:
            tokens -= 1.0
            wait = 0.0
        else:
            wait = (1.0 - tokens) / self._rate
        self._buckets[key] = (tokens, now)  # re-inserted last: the most recently seen
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


class AddressSet:
    """Client addresses exempt from the per-address limit (e.g. a reverse proxy, monitoring)."""

    def __init__(self, networks: Iterable[str] = ()) -> None:
        self._networks = [ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip()]

    @classmethod
    def parse(cls, raw: str | None, name: str = "BOT_RATE_LIMIT_EXEMPT") -> AddressSet:
        try:
            return cls((raw or "").replace(",", " ").split())
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str) or not self._networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)
