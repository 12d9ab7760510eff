"""`python -m store upgrade` (what `make run` does before starting: the newest schema, then the former
`unanswered.jsonl` beside the database imported once), `python -m store import-legacy-log [PATH]`
and `python -m store revision -m "what changed"` (autogenerates a migration from store/models.py)."""

from __future__ import annotations

import argparse
import sys
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
    else:
        from alembic import command

        command.revision(alembic_config(db.url), message=args.message, autogenerate=True)
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
