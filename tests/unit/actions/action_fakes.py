"""Helpers for the action unit tests (imported as `action_fakes`): trackers, and a stand-in knowledge service.

The fake implements only what the actions call (`reload_if_changed`, `ask`,
`is_followup`) and returns real `knowledge.types.Answer` objects, so these tests
check the actions' own logic (formatting, slots, logging); retrieval quality is
tested with the real library in tests/integration/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker

from knowledge.types import Answer, Source


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


def source(title: str = "重庆大学城科技产业园", section: str = "园区建设") -> Source:
    return Source(id="p1", source="park.txt", title=title, section=section, text="……", score=0.9)


@dataclass
class FakeService:
    """Answers from a dict {question: Answer}; records calls."""

    answers: dict[str, Answer] = field(default_factory=dict)
    followups: set[str] = field(default_factory=set)
    error: Exception | None = None
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    reloads: int = 0

    def reload_if_changed(self) -> bool:
        self.reloads += 1
        return False

    def ask(self, question: str, *, previous: str | None = None) -> Answer:
        self.calls.append((question, previous))
        if self.error is not None:
            raise self.error
        return self.answers[question]

    def is_followup(self, question: str) -> bool:
        return question in self.followups


class FixedProvider:
    """A KnowledgeProvider stand-in that returns a given service (or None: not loaded)."""

    def __init__(self, service: FakeService | None) -> None:
        self.service = service

    def check(self) -> bool:
        return self.service is not None

    def get(self) -> FakeService | None:
        return self.service
