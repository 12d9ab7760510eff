"""Question-set loading and scoring arithmetic (the asker here is a plain function over data)."""

import pytest

from knowledge.errors import KnowledgeError
from knowledge.evaluate import Case, contains_all, evaluate, format_table, load_cases
from knowledge.types import Answer, Source


def test_dev_set_loads_with_followups_after_their_first_question(dev_set):
    cases = load_cases(dev_set)
    ids = [c.id for c in cases]
    assert ids.index("f01.then") == ids.index("f01") + 1
    then = cases[ids.index("f01.then")]
    assert then.previous == cases[ids.index("f01")].question and then.expect == [["30亿"]]
    assert sum(c.abstain for c in cases) == 6 and {c.lang for c in cases} == {"zh", "en"}


@pytest.mark.parametrize("text", ["just text", "cases: 3", "cases:\n- {q: no id}", "{{{", "cases:\n- just a string",
                                  "cases:\n- {id: a, q: 园区在哪, previus: 你好}"])
def test_malformed_sets_are_reported(tmp_path, text):
    path = tmp_path / "set.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError):
        load_cases(path)


def test_contains_all_needs_one_alternative_per_group():
    assert contains_all("占地约78亩，总投资22亿元", [["78亩"], ["22亿", "二十二亿"]])
    assert not contains_all("占地约78亩", [["78亩"], ["22亿"]])
    assert not contains_all("anything", [])


def test_scores_per_language_abstention_and_ranks():
    cases = [
        Case("a", "zh", "q1", [["甲"]]),
        Case("b", "zh", "q2", [["乙"]]),
        Case("c", "en", "q3", [["丙"]]),
        Case("d", "zh", "q4", [], abstain=True),
    ]
    replies = {
        "q1": (Answer("q1", "甲在这里", True), ["无关", "甲在这里"]),
        "q2": (Answer("q2", "", False), ["乙"]),
        "q3": (Answer("q3", "丙", True), ["丙"]),
        "q4": (Answer("q4", "", False), []),
    }
    report = evaluate(cases, lambda case: replies[case.question])
    summary = report.summary()
    assert summary["accuracy_zh"] == 0.5 and summary["accuracy_en"] == 1.0
    assert summary["abstentions_passed"] == "1/1"
    assert summary["hit@1"] == pytest.approx(2 / 3) and summary["hit@3"] == 1.0
    assert summary["mrr"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert [r.case.id for r in report.failures()] == ["b"]
    table = format_table([("variant", summary)])
    assert table.splitlines()[2].startswith("| variant | 0.500 | 1.000 | 1/1 |")


def test_a_case_with_previous_is_a_follow_up_and_a_named_source_must_be_quoted(tmp_path):
    path = tmp_path / "set.yml"
    path.write_text('cases:\n- {id: a, q: "那它占地多大？", previous: "科创中心在哪？", expect: [["78亩"]], source: "park.txt"}\n'
                    '- {id: b, q: "园区多大？", expect: [["18平方公里"]]}\n', encoding="utf-8")
    first, second = load_cases(path)
    assert first.previous == "科创中心在哪？" and first.source == "park.txt"
    assert second.previous is None and second.source is None

    def cited(article):
        return Source("p1", article, "标题", "", "占地约78亩", 0.9)

    asked = []

    def ask(case):
        asked.append(case.previous)
        return Answer(case.question, "占地约78亩", True, sources=[cited("other-park.txt")]), []

    report = evaluate([first], ask)
    assert asked == ["科创中心在哪？"]
    assert not report.results[0].passed  # the right figure, from another park's article
    assert report.summary()["followups_passed"] == "0/1" and report.summary()["wrong_cited"] == 1
    right = evaluate([first], lambda case: (Answer(case.question, "占地约78亩", True, sources=[cited("park.txt")]), []))
    assert right.results[0].passed
