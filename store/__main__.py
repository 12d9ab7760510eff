"""`python -m store upgrade` (what `make run` does before starting: the newest schema, then the former
`unanswered.jsonl` beside the database imported once), `python -m store import-legacy-log [PATH]`,
`python -m store figures [--since DAY] [--until DAY] [--top N] [--csv FOLDER]` (the staff's figures)
and `python -m store revision -m "what changed"` (autogenerates a migration from store/models.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from knowledge.settings import SettingsError, StoreEnv
from store.db import Database, alembic_config
from store.legacy_log import LEGACY_LOG, ImportReport, import_legacy_log, legacy_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="bring the database to the newest schema")
    revision = commands.add_parser("revision", help="write a migration for the changes in store/models.py")
    revision.add_argument("-m", "--message", required=True)
    legacy = commands.add_parser("import-legacy-log", help="import the former unanswered.jsonl (and its rotated "
                                 "files) into the question log; each file is renamed *.imported once done")
    legacy.add_argument("path", nargs="?", type=Path, help=f"default: {LEGACY_LOG} beside BOT_DATABASE_FILE")
    figures = commands.add_parser("figures", help="questions per day and channel, outcomes, top questions, "
                                  "articles quoted and never quoted, feedback ratio")
    figures.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD, UTC)")
    figures.add_argument("--until", type=date.fromisoformat, help="last day (YYYY-MM-DD, UTC)")
    figures.add_argument("--top", type=int, default=10, help="questions listed (default 10)")
    figures.add_argument("--csv", type=Path, metavar="FOLDER", help="also write one CSV file per table there")
    args = parser.parse_args(argv)
    try:
        env = StoreEnv.from_env()
        db = Database.from_env(env)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    default_legacy = env.database_file.parent / LEGACY_LOG
    if args.command == "upgrade":
        db.upgrade()
        print(f"database {db.url.render_as_string(hide_password=True)} is at the newest revision")
        if legacy_files(default_legacy):
            tell(import_legacy_log(db, default_legacy))
    elif args.command == "import-legacy-log":
        db.upgrade()
        path = args.path or default_legacy
        if not legacy_files(path):
            print(f"nothing to import: no {path} (nor rotated files beside it)", file=sys.stderr)
            return 1
        return 1 if tell(import_legacy_log(db, path)).malformed else 0
    elif args.command == "figures":
        return show_figures(db, args)
    else:
        from alembic import command

        command.revision(alembic_config(db.url), message=args.message, autogenerate=True)
    return 0


def show_figures(db: Database, args: argparse.Namespace) -> int:
    from knowledge.settings import Settings
    from store.figures import Period, compute, index_articles
    from store.figures_report import print_figures, timed, write_csv

    if args.top < 1:
        print("--top must be at least 1", file=sys.stderr)
        return 2
    try:
        articles = index_articles(Settings.from_env().index_dir)
    except (OSError, ValueError, SettingsError) as exc:  # no index: quoted articles only
        print(f"the index's articles are unknown ({exc}): never-quoted articles are not listed", file=sys.stderr)
        articles = {}
    db.upgrade()
    result, seconds = timed(lambda: compute(db, articles, Period(args.since, args.until), args.top))
    print_figures(result, seconds)
    if args.csv:
        for path in write_csv(result, args.csv):
            print(f"wrote {path}", file=sys.stderr)
    return 0


def tell(report: ImportReport) -> ImportReport:
    """What an import of the former log did; malformed lines on stderr, where they are kept."""
    print(f"question log: {report.imported} questions imported from the former log, {report.already} "
          f"already there; files kept as {', '.join(str(f) for f in report.files)}", file=sys.stderr)
    if report.malformed:
        print(f"{len(report.malformed)} malformed lines skipped (still in the kept files):", file=sys.stderr)
        for line in report.malformed:
            print(f"  {line}", file=sys.stderr)
    return report


if __name__ == "__main__":
    sys.exit(main())
