"""`make console-admin` (`python -m console admin`): prompts twice, creates or resets an admin."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
from sqlalchemy import select

from console import accounts
from store.db import Database
from store.models import StaffUser

ROOT = Path(__file__).resolve().parents[3]


def run_admin(tmp_path: Path, *answers: str) -> tuple[int, str]:
    env = {**os.environ, "BOT_DATABASE_FILE": str(tmp_path / "bot.db"), "PYTHONPATH": str(ROOT),
           "CONSOLE_ADMIN_USER": "chief"}
    child = pexpect.spawn(sys.executable, ["-m", "console", "admin"], cwd=str(ROOT), env=env, encoding="utf-8",
                          timeout=60)
    for answer in answers:
        child.expect(["password for chief", "again"])
        child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus or 0, child.before or ""


def test_creates_then_resets_an_admin_and_refuses_a_mismatch(tmp_path: Path) -> None:
    status, out = run_admin(tmp_path, "first long password", "first long password")
    assert status == 0 and "admin account chief created" in out
    status, out = run_admin(tmp_path, "second long password", "not the same")
    assert status == 1 and "differ" in out
    status, out = run_admin(tmp_path, "short", "short")
    assert status == 1 and "at least 10 characters" in out
    status, out = run_admin(tmp_path, "second long password", "second long password")
    assert status == 0 and "password reset" in out
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    with db.session() as s:
        [user] = s.scalars(select(StaffUser)).all()
        assert user.is_admin and accounts.HASHER.verify(user.password_hash, "second long password")
        assert "second long password" not in user.password_hash
    db.dispose()
