"""Superlative questions ("A、B、C这几个项目，哪个占地最大？", "which project has the
largest investment?"): part of judgement, for a question no single sentence answers.

The answer is the extreme of the values that the ranked sentences of one section of one article
state for the asked attribute: each a quantity whose own clause names the attribute ("占地约315亩",
not "建筑面积约41万平方米"), converted to one unit, among the sentences that name one of the things
the question lists. Fewer than two comparable values, or a name no article mentions, and the
question goes through the ordinary judge instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from knowledge.analysis import QuestionAnalysis
from knowledge.facts import QUANTITIES
from knowledge.ranking import Candidate, coverage

_MAGNITUDES = {"十": 10.0, "百": 1e2, "千": 1e3, "万": 1e4, "亿": 1e8, "thousand": 1e3, "million": 1e6, "billion": 1e9}
# Units of one kind in a common measure (square metres; currency units as written).
_AREA_UNITS = {"平方公里": 1e6, "平方千米": 1e6, "公顷": 1e4, "亩": 666.67, "平方米": 1.0, "平米": 1.0,
               "square kilometre": 1e6, "square kilometer": 1e6, "km2": 1e6, "km²": 1e6, "hectare": 1e4,
               "square metre": 1.0, "square meter": 1.0, "m2": 1.0, "m²": 1.0, "mu": 666.67}
_VALUE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:余|多)?\s*(万亿|千万|百万|万|亿|千|百|thousand|million|billion)?", re.I)


@dataclass(frozen=True)
class Compared:
    candidate: Candidate
    clause: str  # the clause that states the value
    value: float  # in the common unit of its kind
    unit: str  # the kind of unit: values are compared only within one


def value_of(fact_text: str, kind: str) -> tuple[float, str] | None:
    """(value in a common unit, unit kind) of a quantity as written ("约27万平方米", "22亿元", "84家")."""
    match = _VALUE_RE.search(fact_text)
    if not match:
        return None
    value = float(match.group(1))
    magnitude = (match.group(2) or "").lower()
    for unit in [magnitude] if magnitude in _MAGNITUDES else list(magnitude):  # "万亿": 万 × 亿
        value *= _MAGNITUDES[unit]
    rest = fact_text[match.end():].strip(" 余多").lower()
    if kind == "area":
        unit = next((u for u in sorted(_AREA_UNITS, key=len, reverse=True) if rest.startswith(u)), None)
        return (value * _AREA_UNITS[unit], "area") if unit else None
    if kind == "percent":
        return value, "percent"
    return value, rest[:2] or kind  # "元", "美元", "家", "个": like only with like


def superlative(analysis: QuestionAnalysis, ranked: list[Candidate], article_of: Callable[[int], str],
                section_of: Callable[[int], str]) -> list[Compared]:
    """The compared values, the extreme first; [] when this is not a question to compare.

    The asked type is the quantity the sentences state next to the compared attribute ("占地约78亩"
    is an area), so a misread answer type does not matter here."""
    attribute = analysis.extreme_of
    if not analysis.superlative or attribute is None or not attribute.known or not ranked:
        return []
    if any(t.name and not t.known for t in analysis.terms):
        return []  # a thing no article mentions cannot be compared
    # "A、B、C哪个最大": only sentences that name one of them (when the question lists several).
    named = tuple(t for t in analysis.terms if t is not attribute and t.subject and t.known and t.weight >= 2.0)
    article = article_of(ranked[0].passage)
    groups: dict[tuple[str, ...], list[Compared]] = {}
    for c in ranked:
        if article_of(c.passage) != article:
            continue  # one article: values of different parks are not compared
        if len(named) >= 2 and coverage(named, c.text) == 0:
            continue
        for fact in c.facts:
            clause = fact.clause_text(c.text).lower()
            form = next((f for f in attribute.forms if f in clause), None)
            parsed = value_of(fact.text, fact.type) if fact.type in QUANTITIES else None
            if parsed and form:
                # Like with like: one section's list, one wording of the attribute ("占地" apart from
                # "建筑面积" when "area" translates to both), one unit.
                key = (section_of(c.passage), fact.type, form, parsed[1])
                groups.setdefault(key, []).append(Compared(c, fact.clause_text(c.text), *parsed))
    # The largest group; on a tie, the one holding the best-ranked sentence (dicts keep insertion order).
    values = max(groups.values(), key=len, default=[])
    if len(values) < 2 or len({f.value for f in values}) < 2:
        return []
    return sorted(values, key=lambda f: f.value, reverse=analysis.superlative == "max")
