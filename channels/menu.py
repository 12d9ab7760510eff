"""Numbered menus: a message that is only a number picks an option of the bot's previous turn.

The shell and WeChat show quick replies as numbered options, and people type those numbers on
the web too. Each sender's options are those of the bot's latest turn, numbered across its
messages in order (as WeChat and the shell show them); a turn without buttons clears them, so
an old number never picks a stale option. A number with no menu (or out of range) is left as
typed: an ordinary message. Kept in this process's memory with a time to live; with several
Rasa servers a sender's next message may reach another server, which then treats the number as
typed (the WeChat connector keeps its own, shareable copy: channels/wechat/service.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from channels.wechat.formatting import buttons_of, resolve_choice
from knowledge.phrases import Button

__all__ = ["MenuMemory", "buttons_of"]


class MenuMemory:
    """The last numbered menu of each sender, bounded in size and time."""

    def __init__(self, ttl: float, max_senders: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_senders
        self._clock = clock
        self._menus: OrderedDict[str, tuple[float, tuple[Button, ...]]] = OrderedDict()

    def remember(self, sender: str, buttons: Iterable[Button]) -> None:
        options = tuple(buttons)
        self._menus.pop(sender, None)
        if not options or self._ttl <= 0:
            return
        self._menus[sender] = (self._clock() + self._ttl, options)
        while len(self._menus) > self._max:
            self._menus.popitem(last=False)

    def resolve(self, sender: str, text: str) -> str | None:
        """The payload `text` picks from the sender's last menu, or None when it picks nothing."""
        entry = self._menus.get(sender)
        if entry is None:
            return None
        expires, options = entry
        if expires <= self._clock():
            del self._menus[sender]
            return None
        return resolve_choice(text, options)
