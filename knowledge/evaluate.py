"""Score the knowledge base on a question file (the format of knowledge/eval/dev_questions.yml).

A case passes when its answer contains at least one alternative of every `expect`
group and, when the case names a `source`, quotes that article; an `abstain: true` case
passes when the answer is not grounded. Follow-ups (`then:` under a case, or a case with
`previous:`) are asked with the earlier question as the previous turn. Retrieval is
scored too: a passage is relevant when it contains every expect group, and
Hit@1, Hit@3 and MRR are computed over the full fused ranking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import KnowledgeError
from knowledge.types import Answer

DEFAULT_SET = Path(__file__).resolve().parent / "eval" / "dev_questions.yml"


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    question: str
    expect: list[list[str]]
    abstain: bool = False
    previous: str | None = None  # set for follow-ups
    source: str | None = None  # the article file the answer must quote, when the set names it


# A key the loader does not know would be ignored silently and the case scored as something else.
CASE_KEYS = frozenset({"id", "lang", "q", "expect", "abstain", "then", "previous", "source"})


def load_cases(path: Path) -> list[Case]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"cannot read question set {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise KnowledgeError(f"{path}: expected a mapping with a `cases` list")
    cases: list[Case] = []
    for raw in data["cases"]:
        if not isinstance(raw, dict):
            raise KnowledgeError(f"{path}: malformed case {raw!r}: expected a mapping")
        unknown = set(raw) - CASE_KEYS
        if unknown:
            raise KnowledgeError(f"{path}: malformed case {raw!r}: unknown keys {sorted(unknown)}")
        try:
            case = Case(str(raw["id"]), str(raw.get("lang", "zh")), str(raw["q"]),
                        [list(map(str, g)) for g in raw.get("expect", [])], bool(raw.get("abstain", False)),
                        str(raw["previous"]) if raw.get("previous") else None,
                        str(raw["source"]) if raw.get("source") else None)
            cases.append(case)
            if "then" in raw:
                then = raw["then"]
                cases.append(Case(f"{case.id}.then", case.lang, str(then["q"]),
                                  [list(map(str, g)) for g in then.get("expect", [])], False, case.question))
        except (KeyError, TypeError) as exc:
            raise KnowledgeError(f"{path}: malformed case {raw!r}: {exc}") from exc
    return cases


def contains_all(text: str, groups: list[list[str]]) -> bool:
    return bool(groups) and all(any(alt in text for alt in group) for group in groups)


@dataclass
class Result:
    case: Case
    answer: Answer
    passed: bool
    rank: int | None = None  # 1-based rank of the first relevant passage, if any
    note: str = ""


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def _rate(self, selected: list[Result]) -> float | None:
        return sum(r.passed for r in selected) / len(selected) if selected else None

    def summary(self) -> dict[str, Any]:
        answerable = [r for r in self.results if not r.case.abstain]
        ranked = [r for r in answerable if r.rank is not None or r.case.expect]
        out: dict[str, Any] = {"cases": len(self.results)}
        for lang in sorted({r.case.lang for r in answerable}):
            chosen = [r for r in answerable if r.case.lang == lang]
            out[f"accuracy_{lang}"] = self._rate(chosen)
            out[f"n_{lang}"] = len(chosen)
        followups = [r for r in answerable if r.case.previous]
        out["followups_passed"] = f"{sum(r.passed for r in followups)}/{len(followups)}"
        # The worst outcome: a wrong fact presented as the articles' answer.
        out["wrong_cited"] = sum(1 for r in self.results if r.answer.grounded and not r.passed)
        abstains = [r for r in self.results if r.case.abstain]
        out["abstentions_passed"] = f"{sum(r.passed for r in abstains)}/{len(abstains)}"
        out["abstention_accuracy"] = self._rate(abstains)
        if ranked:
            out["hit@1"] = sum(1 for r in ranked if r.rank == 1) / len(ranked)
            out["hit@3"] = sum(1 for r in ranked if r.rank is not None and r.rank <= 3) / len(ranked)
            out["mrr"] = sum(1 / r.rank for r in ranked if r.rank) / len(ranked)
        return out

    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.passed]


Asker = Callable[[Case], tuple[Answer, list[str]]]  # -> (answer, ranked passage texts)


def evaluate(cases: Iterable[Case], ask: Asker) -> Report:
    report = Report()
    for case in cases:
        answer, ranked_texts = ask(case)
        if case.abstain:
            passed = not answer.grounded
            rank = None
        else:
            passed = answer.grounded and contains_all(answer.answer, case.expect) and (
                case.source is None or any(s.source == case.source for s in answer.sources))
            rank = next((i for i, t in enumerate(ranked_texts, 1) if contains_all(t, case.expect)), None)
        report.results.append(Result(case, answer, passed, rank))
    return report


def service_asker(service, **options) -> Asker:
    """Ask through the library directly; `options` pass through to `KnowledgeService.explain`."""
    def ask(case: Case) -> tuple[Answer, list[str]]:
        answer, trace = service.explain(case.question, previous=case.previous, **options)
        by_id = {p.id: p.text for p in service.index.passages}
        return answer, [by_id[i] for i in trace.ranked_ids]

    return ask


ABLATION_COLUMNS = ("accuracy_zh", "accuracy_en", "abstentions_passed", "followups_passed", "wrong_cited", "hit@1",
                    "hit@3", "mrr")


def ablation(service, cases: list[Case]) -> list[tuple[str, dict[str, Any]]]:
    """The same set through variants of the pipeline: which part earns what."""
    variants = [
        ("hybrid (default)", {}),
        ("dense only", {"lexical_weight": 0.0}),
        ("BM25 only", {"dense_weight": 0.0}),
        ("hybrid, no ranker (cosine order)", {"ranker": False}),
        ("hybrid, no judge (every question answered)", {"abstain": False}),
    ]
    return [(name, evaluate(cases, service_asker(service, **options)).summary()) for name, options in variants]


def with_mean(rows: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """`rows` and a last row averaging their numeric columns (counts such as "5/6" are left out)."""
    numeric = [c for c in ABLATION_COLUMNS if rows and all(isinstance(s.get(c), int | float) for _, s in rows)]
    mean = {c: sum(float(s[c]) for _, s in rows) / len(rows) for c in numeric}
    return [*rows, ("mean", mean)]


def format_table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value if value is not None else "-")

    header = "| variant | " + " | ".join(ABLATION_COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(ABLATION_COLUMNS) + 1)]
    for name, summary in rows:
        lines.append(f"| {name} | " + " | ".join(cell(summary.get(c)) for c in ABLATION_COLUMNS) + " |")
    return "\n".join(lines)
