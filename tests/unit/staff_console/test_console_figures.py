"""The figures page: signed in only; the question log's figures over a period, the chart of
questions per day (a bar per day, zero days included), and CSV export with formulas defused."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from console_client import Console

from console.chart import day_bars
from store.models import Feedback, QuestionLog


def log(console: Console, day: str, outcome: str, question: str = "科创中心在哪里？", channel: str = "rest",
        sources: list | None = None) -> str:
    message_id = uuid.uuid4().hex
    with console.db.session() as db:
        db.add(QuestionLog(message_id=message_id, asked_at=datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC),
                           channel=channel, question=question, outcome=outcome, sources=sources or []))
    return message_id


def test_figures_need_sign_in(console: Console) -> None:
    assert console.client.get("/figures", follow_redirects=False).headers["location"].startswith("/signin")
    assert console.client.get("/figures/per_day.csv", follow_redirects=False).status_code == 303


def test_figures_page_counts_the_log_and_draws_a_bar_per_day(console: Console) -> None:
    cited = [{"source": "park.txt", "title": "科创园"}]
    answered = log(console, "2026-12-01", "answered", sources=cited)
    log(console, "2026-12-01", "declined", question="=HYPERLINK(\"http://evil\")", channel="wechat")
    log(console, "2026-12-03", "related", sources=cited)
    log(console, "2026-12-03", "answered", sources=cited)
    with console.db.session() as db:
        db.add_all([Feedback(message_id=answered, rating=1, sender_hash="a"),
                    Feedback(message_id=answered, rating=-1, sender_hash="b")])
    console.sign_in()
    page = console.client.get("/figures")
    assert page.status_code == 200
    html = page.text
    assert "4 questions" in html
    assert re.search(r'data-outcome="answered"><td>answered</td><td>2</td><td>50.0 %', html)
    assert re.search(r'data-outcome="declined"><td>declined</td><td>1</td><td>25.0 %', html)
    assert "👍 1 · 👎 1" in html and "50 % 👍" in html
    bars = re.findall(r"<rect [^>]*><title>([\d-]+): (\d+)</title>", html)
    assert bars == [("2026-12-01", "2"), ("2026-12-02", "0"), ("2026-12-03", "2")]
    assert "<td>park.txt</td><td>科创园</td><td>3</td>" in html
    # A period narrows every figure.
    week = console.client.get("/figures", params={"since": "2026-12-02", "until": "2026-12-31"}).text
    assert "2 questions" in week and "2026-12-01" not in week
    assert console.client.get("/figures", params={"since": "last week"}).status_code == 400


def test_csv_export_is_the_period_s_table_with_formulas_defused(console: Console) -> None:
    log(console, "2026-12-01", "declined", question="=HYPERLINK(\"http://evil\")")
    log(console, "2026-12-05", "answered")
    console.sign_in()
    top = console.client.get("/figures/top_questions.csv")
    assert top.status_code == 200 and top.headers["content-type"].startswith("text/csv")
    lines = top.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "question,asked"
    assert "'=HYPERLINK" in top.text and not any(line.startswith("=") for line in lines)
    per_day = console.client.get("/figures/per_day.csv", params={"since": "2026-12-02"}).text
    assert "2026-12-05,rest,1" in per_day and "2026-12-01" not in per_day
    assert console.client.get("/figures/passwords.csv").status_code == 404


def test_the_chart_scales_to_the_largest_day_and_escapes_its_label() -> None:
    svg = day_bars([(date(2026, 12, 1), 10), (date(2026, 12, 2), 5)], label='<script>"x"</script>')
    heights = [float(h) for h in re.findall(r'height="([\d.]+)">', svg)]
    assert heights[0] == 2 * heights[1] > 0
    assert "<script>" not in svg
    assert day_bars([]) == ""
