"""Trackers for the action unit tests (imported as `trackers`): a user's turn as Rasa sends it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def make_tracker(
    text: str,
    intent: str = "ask_park",
    slots: dict[str, Any] | None = None,
    sender: str = "user-1",
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}}
    return Tracker(
        sender_id=sender,
        slots={"lang": None, "last_question": None, **(slots or {})},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
