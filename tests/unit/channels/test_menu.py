"""A bare number picks an option of the bot's last numbered menu, and only then."""

from __future__ import annotations

from channels.menu import MenuMemory, buttons_of
from knowledge.phrases import Button

TOPICS = [Button("政策", "园区有哪些扶持企业的政策？"), Button("平台", "园区搭建了哪些科技创新平台？")]


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_number_picks_the_option_of_the_last_menu() -> None:
    menus = MenuMemory(ttl=60)
    menus.remember("u1", TOPICS)
    assert menus.resolve("u1", "2") == "园区搭建了哪些科技创新平台？"
    assert menus.resolve("u1", " ２。") == "园区搭建了哪些科技创新平台？"  # full-width, trailing stop
    assert menus.resolve("u1", "3") is None  # out of range: the message stays as typed
    assert menus.resolve("u1", "2号楼在哪") is None  # not just a number
    assert menus.resolve("u2", "1") is None  # another sender has no menu


def test_a_turn_without_buttons_clears_the_menu_and_menus_expire() -> None:
    clock = Clock()
    menus = MenuMemory(ttl=60, clock=clock)
    menus.remember("u1", TOPICS)
    menus.remember("u1", [])
    assert menus.resolve("u1", "1") is None
    menus.remember("u1", TOPICS)
    clock.now = 61
    assert menus.resolve("u1", "1") is None


def test_memory_is_bounded() -> None:
    menus = MenuMemory(ttl=60, max_senders=2)
    for sender in ("a", "b", "c"):
        menus.remember(sender, TOPICS)
    assert menus.resolve("a", "1") is None and menus.resolve("c", "1") == TOPICS[0].payload


def test_buttons_are_read_from_outgoing_messages() -> None:
    message = {"text": "…", "buttons": [{"title": "政策", "payload": "园区有哪些扶持企业的政策？"}, {"bad": 1}, "x"]}
    assert buttons_of(message) == [TOPICS[0]]
    assert buttons_of({"custom": {"grounded": True}}) == []
