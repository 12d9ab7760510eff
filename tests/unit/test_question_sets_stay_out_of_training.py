"""Question sets measure; they never train. A question of any set in the repository that also
sits in the Rasa NLU examples or the curated-answer data would score itself."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SETS = [*sorted((ROOT / "knowledge" / "eval").glob("*.yml")), *sorted((ROOT / "tests" / "fixtures").glob("*questions.yml"))]


def _questions() -> set[str]:
    found = set()
    for path in SETS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            found.update(q.strip() for q in (case.get("q"), case.get("previous")) if q)
    return found


def _nlu_examples() -> set[str]:
    examples = set()
    for path in (ROOT / "bot" / "data").rglob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            for line in str(block.get("examples", "")).splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().removeprefix("- ")).strip()
                if text:
                    examples.add(text)
    return examples


def test_the_sets_are_found():
    assert len(SETS) >= 5 and len(_questions()) > 200
    assert len(_nlu_examples()) > 100


def test_no_question_of_a_set_is_an_nlu_training_example():
    assert sorted(_questions() & _nlu_examples()) == []
