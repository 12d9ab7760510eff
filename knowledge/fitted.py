"""The fitted models of one build, stored beside the index as `models.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.judge import Thresholds
from knowledge.models import LogisticModel, TypeClassifier

MODELS = "models.json"


@dataclass(frozen=True)
class FittedModels:
    classifier: TypeClassifier | None = None  # question → answer type
    ranker: LogisticModel | None = None  # (question, sentence) → P(the sentence answers)
    judge: LogisticModel | None = None  # the top sentence → P(it answers)
    thresholds: Thresholds = field(default_factory=lambda: Thresholds(answer=1.0, related=1.0))
    report: dict[str, Any] = field(default_factory=dict)  # held-out figures, for `knowledge fit`

    def save(self, path: Path) -> None:
        data = {
            "type_classifier": self.classifier.to_dict() if self.classifier else None,
            "ranker": self.ranker.to_dict() if self.ranker else None,
            "judge": self.judge.to_dict() if self.judge else None,
            "thresholds": {"answer": self.thresholds.answer, "related": self.thresholds.related},
            "report": self.report,
        }
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> FittedModels:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            # (an older build's "classifier" read characters only: its index format is older, so it is rebuilt)
            TypeClassifier.from_dict(data["type_classifier"]) if data.get("type_classifier") else None,
            LogisticModel.from_dict(data["ranker"]) if data.get("ranker") else None,
            LogisticModel.from_dict(data["judge"]) if data.get("judge") else None,
            Thresholds(**data["thresholds"]),
            data.get("report", {}),
        )
