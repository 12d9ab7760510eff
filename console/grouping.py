"""Questions grouped by meaning: two logged questions share a group when the curated matcher's
measured model (e5 cosine and word overlap, knowledge/curated.py) says they ask the same thing
with the measured grouping threshold."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from knowledge.curated import Calibration, core, overlap, units
from store.models import QuestionLog


@dataclass
class Group:
    rows: list[QuestionLog] = field(default_factory=list)  # newest first

    @property
    def question(self) -> str:
        """The wording asked most often (the newest among equals)."""
        counts = Counter(r.question for r in self.rows)
        return max(self.rows, key=lambda r: counts[r.question]).question

    @property
    def wordings(self) -> list[str]:
        return list(dict.fromkeys(r.question for r in self.rows))

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def first_seen(self) -> datetime:
        return min(r.asked_at for r in self.rows)

    @property
    def last_seen(self) -> datetime:
        return max(r.asked_at for r in self.rows)

    @property
    def channels(self) -> list[str]:
        return sorted({r.channel or "?" for r in self.rows})

    @property
    def latest(self) -> QuestionLog:
        return max(self.rows, key=lambda r: r.asked_at)

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]


def group_rows(rows: Sequence[QuestionLog], vectors: np.ndarray, calibration: Calibration) -> list[Group]:
    """Each question joins the group whose first question it most likely repeats, if likely enough
    (`calibration.group_threshold`), else starts a group. Most asked groups first."""
    groups: list[Group] = []
    leaders: list[int] = []
    leader_units: list[set[str]] = []
    for i, row in enumerate(rows):
        mine = units(core(row.question))
        best, best_p = -1, calibration.group_threshold
        if leaders:
            cosines = vectors[leaders] @ vectors[i]
            for g, cos in enumerate(cosines):
                p = calibration.probability(float(cos), overlap(mine, leader_units[g]))
                if p >= best_p:
                    best, best_p = g, p
        if best < 0:
            groups.append(Group())
            leaders.append(i)
            leader_units.append(mine)
            best = len(groups) - 1
        groups[best].rows.append(row)
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp()))
