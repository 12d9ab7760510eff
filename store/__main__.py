"""`python -m store upgrade` (what `make run` does before starting) and
`python -m store revision -m "what changed"` (autogenerates a migration from store/models.py)."""

from __future__ import annotations

import argparse
import sys

from knowledge.settings import SettingsError
from store.db import Database, alembic_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="bring the database to the newest schema")
    revision = commands.add_parser("revision", help="write a migration for the changes in store/models.py")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    try:
        db = Database.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "upgrade":
        db.upgrade()
        print(f"database {db.url.render_as_string(hide_password=True)} is at the newest revision")
    else:
        from alembic import command

        command.revision(alembic_config(db.url), message=args.message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
