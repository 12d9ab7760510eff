"""`python -m store figures`: the figures of store/figures.py as rich tables, and as CSV files."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from store.figures import OUTCOMES, Figures

CSV_FILES = ("per_day.csv", "outcomes.csv", "top_questions.csv", "articles.csv", "feedback.csv")


def tables(figures: Figures) -> list[Table]:
    per_day = Table("day (UTC)", "channel", "questions", title="Questions per day and channel")
    for day, channel, n in figures.per_day:
        per_day.add_row(day, channel, str(n))
    outcomes = Table("outcome", "questions", "share", title=f"Outcomes of {figures.questions} questions")
    for outcome, n, share in outcome_rows(figures):
        outcomes.add_row(outcome, str(n), f"{share:.1%}")
    top = Table("question", "asked", title="Questions asked most")
    for question, n in figures.top_questions:
        top.add_row(question, str(n))
    articles = Table("article", "title", "questions quoting it", title="Articles quoted (answers and related passages)")
    for file, title, n in figures.articles:
        articles.add_row(file, title, str(n))
    for file, title in figures.never_quoted:
        articles.add_row(file, title, "[red]never quoted[/red]")
    ratio = figures.feedback_ratio
    feedback = Table("👍", "👎", "👍 share", "answers voted on", title="Feedback")
    feedback.add_row(str(figures.votes_up), str(figures.votes_down), "–" if ratio is None else f"{ratio:.1%}",
                     str(figures.answers_voted))
    return [per_day, outcomes, top, articles, feedback]


def outcome_rows(figures: Figures) -> list[tuple[str, int, float]]:
    """The three outcomes always (0 when none), then any other logged outcome."""
    names = [*OUTCOMES, *sorted(set(figures.outcomes) - set(OUTCOMES))]
    return [(name, figures.outcomes.get(name, 0), figures.share(name)) for name in names]


def print_figures(figures: Figures, seconds: float, console: Console | None = None) -> None:
    console = console or Console()
    for table in tables(figures):
        console.print(table)
    console.print(f"[dim]computed in {seconds * 1000:.0f} ms[/dim]")


def csv_tables(figures: Figures) -> dict[str, list[list[object]]]:
    """Each CSV file's rows, header first (the CLI writes them to files, the console serves them)."""
    ratio = figures.feedback_ratio
    return {
        "per_day.csv": [["day", "channel", "questions"], *map(list, figures.per_day)],
        "outcomes.csv": [["outcome", "questions", "share"], *([o, n, round(s, 4)] for o, n, s in outcome_rows(figures))],
        "top_questions.csv": [["question", "asked"], *map(list, figures.top_questions)],
        "articles.csv": [["article", "title", "questions_quoting"], *map(list, figures.articles),
                         *([f, t, 0] for f, t in figures.never_quoted)],
        "feedback.csv": [["votes_up", "votes_down", "up_share", "answers_voted"],
                         [figures.votes_up, figures.votes_down, "" if ratio is None else round(ratio, 4),
                          figures.answers_voted]],
    }


def write_csv(figures: Figures, folder: Path) -> list[Path]:
    """One CSV file per table in `folder` (UTF-8 with a BOM, so that Excel reads Chinese)."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = csv_tables(figures)
    written = []
    for name in CSV_FILES:
        path = folder / name
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(contents[name])
        written.append(path)
    return written


def timed(compute: Callable[[], Figures]) -> tuple[Figures, float]:
    started = time.perf_counter()
    figures = compute()
    return figures, time.perf_counter() - started
