"""Related questions built with the index: readable, few per passage, and every one answered by the
bot itself, grounded, from the sentence it was generated from."""

from __future__ import annotations

import pytest

from knowledge.service import KnowledgeService

pytestmark = pytest.mark.integration


def test_the_build_stores_related_questions_the_bot_answers(service: KnowledgeService) -> None:
    suggestions = service.index.suggestions
    assert suggestions, "the build stored no related questions"
    for s in suggestions:
        answer = service.ask(s.question)
        assert answer.grounded, s
        assert answer.sources[0].sentence.strip("。") in s.sentence, (s, answer.sources[0].sentence)


def test_an_answer_suggests_other_questions_and_a_decline_the_closest(service: KnowledgeService) -> None:
    [first, *_] = service.index.suggestions
    answer = service.ask(first.question)
    offered = service.suggest(answer)
    assert len(offered) <= 3 and first.question not in offered
    declined = service.ask("园区附近有没有三甲医院？")
    assert not declined.grounded
    closest = service.suggest(declined)
    assert 1 <= len(closest) <= 3
    _, trace = service.explain("园区附近有没有三甲医院？")  # what the action passes: no second search
    assert service.suggest(declined, retrieved=trace.ranked_ids) == closest
    assert all(service.ask(q).grounded for q in closest)
