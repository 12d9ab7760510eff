"""The figures page: store.figures over a period, a chart of questions per day, CSV export."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from console.chart import day_bars
from console.web import Visit, page
from store.faq_csv import write_csv
from store.figures import Figures, Period, compute, index_articles
from store.figures_report import CSV_FILES, csv_tables, outcome_rows

TOP = 10
MAX_CHART_DAYS = 366  # the chart of a longer period shows its last year


def _period(visit: Visit) -> Period:
    """?since=&until= (YYYY-MM-DD, UTC days); ValueError with the reason when one is not a date."""
    days = {}
    for key in ("since", "until"):
        raw = visit.request.query_params.get(key, "").strip()[:20]
        try:
            days[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValueError(f"{key} must be a date such as 2026-12-01, got {raw!r}") from None
    return Period(days["since"], days["until"])


def _figures(visit: Visit, period: Period) -> Figures:
    try:
        articles = index_articles(visit.console.articles.settings.index_dir)
    except (OSError, ValueError):  # no readable index: quoted articles only, none listed as never quoted
        articles = {}
    return compute(visit.console.db, articles, period, TOP)


def daily_totals(figures: Figures) -> list[tuple[date, int]]:
    """Questions per day over all channels, days without questions as 0 (the chart's bars)."""
    totals: Counter[date] = Counter()
    for day, _channel, n in figures.per_day:
        totals[date.fromisoformat(day[:10])] += n
    if not totals:
        return []
    last = max(totals)
    first = max(min(totals), last - timedelta(days=MAX_CHART_DAYS - 1))
    return [(first + timedelta(days=i), totals[first + timedelta(days=i)]) for i in range((last - first).days + 1)]


@page()
async def figures_page(visit: Visit) -> Response:
    try:
        period = _period(visit)
    except ValueError as exc:
        return visit.render("message.html", status=400, message=str(exc))
    figures = await run_in_threadpool(_figures, visit, period)
    return visit.render("figures.html", figures=figures, period=period, outcomes=outcome_rows(figures),
                        chart=day_bars(daily_totals(figures)), csv_files=CSV_FILES,
                        query=visit.request.url.query)


@page()
async def figures_csv(visit: Visit) -> Response:
    name = visit.request.path_params.get("name", "")
    try:
        period = _period(visit)
    except ValueError as exc:
        return visit.render("message.html", status=400, message=str(exc))
    if name not in CSV_FILES:
        return visit.render("message.html", status=404, message=f"no table {name[:40]!r}")
    rows = csv_tables(await run_in_threadpool(_figures, visit, period))[name]
    # Questions are users' text: write_csv quotes what a spreadsheet would run as a formula.
    return Response(write_csv([str(h) for h in rows[0]], rows[1:]), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
