"""Which question later follow-ups lean on: pure logic of the answer action.

The action itself runs against the real knowledge service in
tests/integration/test_answer_action.py.
"""

import pytest

from actions.answer import next_subject


@pytest.mark.parametrize(
    ("grounded", "previous", "followup", "aside", "expected"),
    [
        (True, None, False, False, "Q"),
        (True, "P", False, False, "Q"),
        (True, "P", True, False, "P"),  # a chain of follow-ups stays on the first subject
        (False, "P", True, False, "P"),
        (False, "P", False, False, None),  # a new, unanswered subject replaces the old one
        (False, "P", False, True, "P"),  # chit-chat between questions keeps the subject
        (True, "P", False, True, "Q"),  # a park question taken for chit-chat is a subject
        (False, None, False, True, None),
    ],
)
def test_next_subject(grounded, previous, followup, aside, expected) -> None:
    assert next_subject("Q", grounded, previous, followup, aside) == expected
