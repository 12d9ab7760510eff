"""A curated answer is cited as the park's own, with its date, in the payload shape channels read."""

from __future__ import annotations

from datetime import datetime, timezone

from actions.formatting import curated_payload, format_curated
from knowledge.curated import CuratedEntry, CuratedMatch

ENTRY = CuratedEntry(7, ("园区有没有人才公寓？",), "有，共 300 套。", datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc),
                     "policies/housing.md")
MATCH = CuratedMatch(ENTRY, ENTRY.questions[0], 0.91234, 0.99, 0.8)


def test_text_names_the_park_and_the_date_in_the_users_language() -> None:
    assert format_curated(MATCH, "本园区", "zh") == "本园区的答复（2026-12-05）：有，共 300 套。"
    assert format_curated(MATCH, "the park", "en") == "The park's answer (2026-12-05): 有，共 300 套。"


def test_payload_is_grounded_curated_and_shaped_like_an_article_source() -> None:
    payload = curated_payload(MATCH, "本园区", "zh")
    assert payload["grounded"] is True and payload["curated"] is True
    [source] = payload["sources"]
    assert {"id", "source", "title", "section", "text", "score", "sentence"} <= set(source)
    assert (source["id"], source["title"], source["date"], source["source"]) == (
        "faq-7", "本园区的答复", "2026-12-05", "policies/housing.md")
    assert source["text"] == source["sentence"] == "有，共 300 套。" and source["score"] == 0.9123
