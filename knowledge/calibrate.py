"""Suggest grounding thresholds from a question set with answerable and unanswerable cases.

For every case the grounding score is computed with abstention off; the
suggested threshold sits midway between the highest-scoring unanswerable
question and the lowest-scoring answerable one that is answered correctly,
separately for same-language and cross-language questions. A negative margin
means the two groups overlap: add articles, or questions, before trusting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.evaluate import Case, contains_all


@dataclass
class Calibration:
    rows: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)


def calibrate(service, cases: list[Case]) -> Calibration:
    result = Calibration()
    groups: dict[str, dict[str, list[float]]] = {}
    for case in cases:
        answer, trace = service.explain(case.question, previous=case.previous, abstain=False)
        kind = "cross" if trace.cross_lingual else "same"
        group = groups.setdefault(kind, {"answerable": [], "unanswerable": []})
        if case.abstain:
            group["unanswerable"].append(trace.score)
        elif contains_all(answer.answer, case.expect):
            group["answerable"].append(trace.score)
        result.rows.append(
            f"{case.id:10} {kind:5} {'abstain' if case.abstain else 'answer ':7} score {trace.score:6.3f} "
            f"coverage {trace.coverage:.2f} cosine {trace.best_dense:.3f}"
        )
    setting = {"same": "KB_GROUNDING_THRESHOLD", "cross": "KB_GROUNDING_THRESHOLD_CROSS"}
    for kind, group in groups.items():
        if not group["answerable"] or not group["unanswerable"]:
            result.suggestions.append(f"{kind}-language: need both answerable and unanswerable cases")
            continue
        low, high = min(group["answerable"]), max(group["unanswerable"])
        threshold = round((low + high) / 2, 3)
        result.thresholds[kind] = threshold
        result.suggestions.append(
            f"{kind}-language: lowest answered {low:.3f}, highest unanswerable {high:.3f}, "
            f"margin {low - high:+.3f} -> {setting[kind]}={threshold}"
        )
    return result
