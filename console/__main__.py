"""`python -m console` serves the console (what `make run` starts); `python -m console admin`
creates or resets an admin account, asking for the password (`make console-admin`)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence

from console import accounts
from knowledge.settings import ConsoleEnv, SettingsError
from store.db import Database
from store.models import StaffUser

log = logging.getLogger("console")


def serve(cfg: ConsoleEnv, db: Database) -> int:
    import uvicorn

    from console.app import create_app

    db.upgrade()
    with db.session() as session:
        if accounts.ensure_admin(session, cfg) is not None:
            log.warning("admin account %r created from CONSOLE_ADMIN_PASSWORD", cfg.admin_user)
    # proxy_headers: behind the loopback proxy the scheme (https) and client come from X-Forwarded-*.
    uvicorn.run(create_app(cfg, db), host=cfg.host, port=cfg.port, log_level="warning", proxy_headers=True,
                server_header=False)
    return 0


def admin(cfg: ConsoleEnv, db: Database, username: str) -> int:
    db.upgrade()
    password = getpass.getpass(f"password for {username} (at least {accounts.MIN_PASSWORD_CHARS} characters): ")
    if password != getpass.getpass("again: "):
        print("the two passwords differ; nothing changed", file=sys.stderr)
        return 1
    try:
        with db.session() as session:
            existing = session.query(StaffUser).filter_by(username=username).one_or_none()
            if existing is None:
                accounts.create_user(session, username, password, is_admin=True)
                print(f"admin account {username} created")
            else:
                existing.password_hash = accounts.HASHER.hash(accounts.check_password(password))
                existing.is_admin = True
                accounts.unlock(existing)
                print(f"admin account {username}: password reset, unlocked")
    except accounts.AccountError as exc:
        print(f"not saved: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve the console (the default)")
    make_admin = sub.add_parser("admin", help="create an admin account or reset its password (prompts)")
    make_admin.add_argument("--user", default=None, help="user name (default: CONSOLE_ADMIN_USER)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = ConsoleEnv.from_env()
        db = Database.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "admin":
        return admin(cfg, db, args.user or cfg.admin_user)
    return serve(cfg, db)


if __name__ == "__main__":
    sys.exit(main())
