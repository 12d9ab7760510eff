"""A bar chart of counts per day as inline SVG, drawn on the server (the CSP allows no chart library)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT, MARGIN = 720, 200, 28


def day_bars(days: Sequence[tuple[date, int]], label: str = "questions per day") -> str:
    """One bar per day (missing days are the caller's zeros), the largest count on the axis."""
    if not days:
        return ""
    top = max(count for _, count in days) or 1
    step = (WIDTH - 2 * MARGIN) / len(days)
    bars = []
    for i, (day, count) in enumerate(days):
        h = (HEIGHT - 2 * MARGIN) * count / top
        x, y = MARGIN + i * step, HEIGHT - MARGIN - h
        bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}">'
                    f"<title>{day.isoformat()}: {count}</title></rect>")
    first, last = days[0][0].isoformat(), days[-1][0].isoformat()
    return (f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<text x="{MARGIN}" y="{MARGIN - 10}">{top}</text>{"".join(bars)}'
            f'<text x="{MARGIN}" y="{HEIGHT - 8}">{first}</text>'
            f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - 8}" text-anchor="end">{last}</text></svg>')
