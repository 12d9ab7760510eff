"""The per-sender / per-address token bucket, driven by a fake clock (no sleeping)."""

from __future__ import annotations

import pytest

from channels.ratelimit import AddressSet, RateLimiter, RateSpec


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("20/60", RateSpec(20, 60.0)), (" 5/1.5 ", RateSpec(5, 1.5)), ("30", RateSpec(30, 60.0))],
)
def test_spec_parses_count_per_seconds(raw: str, expected: RateSpec) -> None:
    assert RateSpec.parse(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "0", "off", "OFF", "none"])
def test_spec_can_be_switched_off(raw: str | None) -> None:
    assert RateSpec.parse(raw) is None


@pytest.mark.parametrize("raw", ["abc", "20/x", "-1/60", "20/0", "20/-5", "20/inf", "1.5/60"])
def test_bad_spec_is_refused_with_the_variable_name(raw: str) -> None:
    with pytest.raises(ValueError, match="BOT_RATE_LIMIT_IP"):
        RateSpec.parse(raw, "BOT_RATE_LIMIT_IP")


def test_a_burst_up_to_the_count_passes_then_the_sender_must_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(RateSpec(3, 60.0), clock)
    assert [limiter.acquire("alice") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("alice") == pytest.approx(20.0)  # one token every 60/3 s
    assert limiter.acquire("bob") == 0.0  # buckets are per key


def test_tokens_come_back_at_the_configured_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(RateSpec(2, 10.0), clock)  # one token per 5 s
    assert limiter.acquire("k") == limiter.acquire("k") == 0.0
    clock.now += 4.0
    assert limiter.acquire("k") == pytest.approx(1.0)  # 0.8 token earned: 1 s to go
    clock.now += 1.0
    assert limiter.acquire("k") == 0.0
    assert limiter.acquire("k") > 0


def test_refused_messages_do_not_cost_tokens() -> None:
    clock = Clock()
    limiter = RateLimiter(RateSpec(1, 10.0), clock)
    assert limiter.acquire("k") == 0.0
    for _ in range(50):  # a client hammering while refused is not punished further
        limiter.acquire("k")
    clock.now += 10.0
    assert limiter.acquire("k") == 0.0


def test_an_idle_sender_never_gets_more_than_a_full_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(RateSpec(2, 10.0), clock)
    limiter.acquire("k")
    clock.now += 3600.0
    assert [limiter.acquire("k") == 0.0 for _ in range(3)] == [True, True, False]


def test_memory_is_bounded_by_forgetting_the_least_recently_seen_key() -> None:
    clock = Clock()
    limiter = RateLimiter(RateSpec(1, 60.0), clock, max_keys=3)
    for key in ("a", "b", "c"):
        limiter.acquire(key)
    limiter.acquire("a")  # seen again: "b" is now the oldest
    limiter.acquire("d")
    assert len(limiter) == 3
    assert limiter.acquire("b") == 0.0  # forgotten, so it starts with a full bucket
    assert limiter.acquire("a") > 0  # remembered: still empty


def test_exempt_addresses_and_networks() -> None:
    exempt = AddressSet.parse("127.0.0.1, 10.0.0.0/8 ::1")
    assert "127.0.0.1" in exempt
    assert "10.20.30.40" in exempt
    assert "::1" in exempt
    assert "127.0.0.2" not in exempt
    assert "not an address" not in exempt
    assert None not in exempt
    assert "127.0.0.1" not in AddressSet.parse("")


def test_bad_exempt_network_names_the_variable() -> None:
    with pytest.raises(ValueError, match="BOT_RATE_LIMIT_EXEMPT"):
        AddressSet.parse("10.0.0.0/33")
