"""Staff accounts: argon2 password hashes, the first admin, sign-in with lock-out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.settings import ConsoleEnv
from store.models import StaffUser

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the user name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = HASHER.hash("not a password of anyone")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # argon2 takes any length; a megabyte of "password" is an attack
USERNAME_CHARS = 64


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None
    problem: str = ""  # what the person signing in is told


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password of at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"a password of at most {MAX_PASSWORD_CHARS} characters")
    return password


def check_username(name: str) -> str:
    name = name.strip()
    if not name or len(name) > USERNAME_CHARS or any(c.isspace() or ord(c) < 32 for c in name):
        raise AccountError(f"a user name of 1 to {USERNAME_CHARS} characters without spaces")
    return name


def create_user(session: Session, username: str, password: str, *, is_admin: bool = False) -> StaffUser:
    name = check_username(username)
    if session.scalar(select(StaffUser).where(StaffUser.username == name)) is not None:
        raise AccountError(f"the user name {name!r} is taken")
    user = StaffUser(username=name, password_hash=HASHER.hash(check_password(password)), is_admin=is_admin)
    session.add(user)
    session.flush()
    return user


def ensure_admin(session: Session, cfg: ConsoleEnv) -> StaffUser | None:
    """The first admin from CONSOLE_ADMIN_PASSWORD, only while no account exists."""
    if not cfg.admin_password or session.scalar(select(func.count(StaffUser.id))):
        return None
    return create_user(session, cfg.admin_user, cfg.admin_password, is_admin=True)


def sign_in(session: Session, username: str, password: str, cfg: ConsoleEnv, now: datetime | None = None) -> SignIn:
    now = now or datetime.now(timezone.utc)
    wrong = SignIn(None, "wrong user name or password")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()[:USERNAME_CHARS]))
    if len(password) > MAX_PASSWORD_CHARS:
        return wrong
    if user is None:
        _verify(_DUMMY_HASH, password)
        return wrong
    locked = as_utc(user.locked_until)
    if locked is not None and locked > now:
        # Not even a right password opens a locked account: the guessing stops here.
        return SignIn(None, f"this account is locked after too many wrong passwords; try again after "
                            f"{locked.strftime('%H:%M')} UTC or ask an admin")
    if _verify(user.password_hash, password):
        user.failed_logins, user.locked_until = 0, None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        return SignIn(user)
    user.failed_logins += 1
    if user.failed_logins >= cfg.max_failed_logins:
        user.failed_logins, user.locked_until = 0, now + timedelta(minutes=cfg.lockout_minutes)
        return SignIn(None, f"too many wrong passwords: the account is locked for {cfg.lockout_minutes:g} minutes")
    return wrong


def session_stamp(user: StaffUser) -> str:
    """Changes when the password does, so that a new password ends every session signed in before."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def unlock(user: StaffUser) -> None:
    user.failed_logins, user.locked_until = 0, None


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
