"""The per-sender / per-address limit on `limits`' memory storage, the client address behind
proxies, and the settings' parsing. Each test has its own storage: nothing to reset."""

from __future__ import annotations

import time

import pytest

from channels.ratelimit import (
    MEMORY,
    AddressSet,
    RateLimiter,
    client_address,
    open_storage,
    redis_uri,
)
from knowledge.settings import ChannelEnv, Rate, SettingsError


def limiter(count: int, seconds: int = 60, kind: str = "sender") -> RateLimiter:
    return RateLimiter(Rate(count, seconds), open_storage(MEMORY), kind)


@pytest.mark.parametrize(
    ("raw", "expected"), [("20/60", Rate(20, 60)), (" 5/2 ", Rate(5, 2)), ("30", Rate(30, 60))],
)
def test_a_rate_is_count_per_whole_seconds(raw: str, expected: Rate) -> None:
    assert ChannelEnv.from_env({"BOT_RATE_LIMIT_IP": raw}).rate_limit_ip == expected


@pytest.mark.parametrize("raw", ["0", "off", "OFF", "none"])
def test_a_rate_can_be_switched_off(raw: str) -> None:
    assert ChannelEnv.from_env({"BOT_RATE_LIMIT": raw}).rate_limit is None


@pytest.mark.parametrize("raw", ["abc", "20/x", "-1/60", "20/0", "20/-5", "20/inf", "1.5/60", "5/1.5"])
def test_bad_rate_is_refused_with_the_variable_name(raw: str) -> None:
    with pytest.raises(SettingsError, match="BOT_RATE_LIMIT_IP"):
        ChannelEnv.from_env({"BOT_RATE_LIMIT_IP": raw})


def test_the_count_passes_then_the_key_is_told_how_long_to_wait() -> None:
    senders = limiter(3, 60)
    assert [senders.acquire("alice") for _ in range(3)] == [0, 0, 0]
    wait = senders.acquire("alice")
    assert 1 <= wait <= 60  # the rest of alice's 60-second window, in whole seconds
    assert senders.acquire("bob") == 0  # counts are per key


def test_two_hundred_fresh_senders_from_one_address_are_limited_by_the_address() -> None:
    storage = open_storage(MEMORY)
    senders = RateLimiter(Rate(20, 60), storage, "sender")
    addresses = RateLimiter(Rate(60, 60), storage, "address")
    passed = 0
    for n in range(200):
        # What the guard does: the address first (REST middleware), then the sender.
        if addresses.acquire("203.0.113.7") == 0 and senders.acquire(f"fresh-{n}") == 0:
            passed += 1
    assert passed == 60


def test_senders_and_addresses_are_counted_apart_in_one_storage() -> None:
    storage = open_storage(MEMORY)
    senders = RateLimiter(Rate(1, 60), storage, "sender")
    addresses = RateLimiter(Rate(1, 60), storage, "address")
    assert senders.acquire("10.0.0.1") == 0
    assert addresses.acquire("10.0.0.1") == 0  # a sender id that looks like an address


def test_the_window_closes_and_the_key_may_send_again() -> None:
    senders = limiter(2, 1)
    assert [senders.acquire("k") for _ in range(2)] == [0, 0]
    wait = senders.acquire("k")
    assert wait >= 1
    time.sleep(wait + 0.2)  # waiting as told, whatever the machine's speed
    assert senders.acquire("k") == 0


def test_a_failing_storage_lets_messages_through(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("redis")
    # Nothing listens on port 1: every call fails at once.
    broken = RateLimiter(Rate(1, 60), open_storage("redis://127.0.0.1:1/0"), "sender")
    assert [broken.acquire("k") for _ in range(3)] == [0, 0, 0]
    assert "not checked" in caplog.text


def test_bad_storage_uris_name_the_setting_and_hide_the_password() -> None:
    for uri in ("nosuch://:secret-pw@host/0", "async+memory://"):
        with pytest.raises(ValueError, match="BOT_RATE_LIMIT_STORAGE") as raised:
            open_storage(uri)
        assert "secret-pw" not in str(raised.value)


def test_redis_uri_from_the_scale_out_variables() -> None:
    assert redis_uri("redis", "6379") == "redis://redis:6379/1"
    # A password with URL syntax in it stays one password.
    assert redis_uri("10.0.0.5", 6380, "p@ss:w/rd") == "redis://:p%40ss%3Aw%2Frd@10.0.0.5:6380/1"


def test_exempt_addresses_and_networks() -> None:
    exempt = AddressSet(ChannelEnv.from_env({"BOT_RATE_LIMIT_EXEMPT": "127.0.0.1, 10.0.0.0/8 ::1"}).rate_limit_exempt)
    assert "127.0.0.1" in exempt
    assert "10.20.30.40" in exempt
    assert "::1" in exempt
    assert "127.0.0.2" not in exempt
    assert "not an address" not in exempt
    assert None not in exempt
    assert "127.0.0.1" not in AddressSet(ChannelEnv.from_env({"BOT_RATE_LIMIT_EXEMPT": "none"}).rate_limit_exempt)


def test_bad_network_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="BOT_TRUSTED_PROXIES"):
        ChannelEnv.from_env({"BOT_TRUSTED_PROXIES": "10.0.0.0/33"})


# -- the client address ------------------------------------------------------------------

PROXY = AddressSet(["10.0.0.2", "10.0.1.0/24"])


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("198.51.100.1", ["203.0.113.9"], AddressSet()) == "198.51.100.1"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    # A client choosing its own address to escape the per-address limit.
    assert client_address("198.51.100.1", ["203.0.113.9"], PROXY) == "198.51.100.1"


def test_forwarded_for_from_a_trusted_proxy_names_the_client() -> None:
    assert client_address("10.0.0.2", ["203.0.113.9"], PROXY) == "203.0.113.9"
    # Through two trusted proxies: the first address from the right that is not a proxy.
    assert client_address("10.0.0.2", ["203.0.113.9, 10.0.1.7"], PROXY) == "203.0.113.9"
    # Several headers count as one list, in order.
    assert client_address("10.0.0.2", ["203.0.113.9", "10.0.1.7"], PROXY) == "203.0.113.9"


def test_addresses_the_client_put_before_its_own_are_ignored() -> None:
    forged = ["1.2.3.4, 203.0.113.9"]  # the client sent "1.2.3.4"; the proxy appended what it saw
    assert client_address("10.0.0.2", forged, PROXY) == "203.0.113.9"


@pytest.mark.parametrize("header", [[], [""], ["not-an-address"], ["203.0.113.9, garbage"]])
def test_a_missing_or_broken_header_leaves_the_last_proxy(header: list[str]) -> None:
    assert client_address("10.0.0.2", header, PROXY) == "10.0.0.2"


def test_a_chain_of_only_proxies_names_the_first_of_them() -> None:
    assert client_address("10.0.0.2", ["10.0.1.5, 10.0.1.6"], PROXY) == "10.0.1.5"


def test_ipv6_addresses_are_read_too() -> None:
    proxies = AddressSet(["::1"])
    assert client_address("::1", ["2001:db8::7"], proxies) == "2001:db8::7"
    assert client_address("::1", ["[2001:db8::8]"], proxies) == "2001:db8::8"
