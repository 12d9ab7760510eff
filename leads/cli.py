"""`make leads` (`python -m leads`): the latest leads as a table; `--retry` first hands off the
pending and dead ones again (the staff console's Leads page lists them too)."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from knowledge.settings import LeadSettings, SettingsError, StoreEnv
from leads import repository
from leads.handoff import retry_undelivered
from store.db import Database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make leads", description=__doc__)
    parser.add_argument("--retry", action="store_true", help="hand off pending and dead leads again first")
    parser.add_argument("--limit", type=int, default=50, help="leads shown, newest first (default 50)")
    args = parser.parse_args(argv)
    console = Console()
    try:
        settings, db = LeadSettings.from_env(), Database.from_env(StoreEnv.from_env())
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    db.upgrade()
    if args.retry:
        if not settings.webhook_url:
            console.print("[red]LEAD_WEBHOOK_URL is not set: nothing can be handed off[/red]")
            return 1
        results = retry_undelivered(db, settings)
        sent = sum(1 for r in results.values() if r and r.ok)
        console.print(f"retried {len(results)} lead(s): {sent} sent, {len(results) - sent} still dead")
    table = Table(title="Leads (newest first)")
    for column in ("#", "created (UTC)", "company", "industry", "needs", "contact", "time", "channel",
                   "questions", "hand-off"):
        table.add_column(column, overflow="fold")
    for lead in repository.latest(db, args.limit):
        status = lead.notify_status + (f" ({lead.notify_error[:60]})" if lead.notify_error else "")
        cells = (str(lead.id), f"{lead.created_at:%Y-%m-%d %H:%M}", lead.company, lead.industry, lead.needs,
                 f"{lead.contact} ({lead.contact_kind})", lead.preferred_time, lead.channel,
                 str(len(lead.questions or [])), status)
        table.add_row(*(escape(cell) for cell in cells))  # investors' text is never rich markup
    console.print(table)
    return 0
