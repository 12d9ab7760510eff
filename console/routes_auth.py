"""Signing in and out, and the admin's list of staff accounts."""

from __future__ import annotations

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from console import accounts
from console.sessions import new_session
from console.web import Visit, page
from store.models import StaffUser


def safe_next(target: str) -> str:
    """Only a path of this console: never another site (`//evil`, `https://…`)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/inbox"


@page(signed_in=False)
async def signin(visit: Visit) -> Response:
    nxt = safe_next(visit.request.query_params.get("next", "/inbox"))
    if visit.request.method == "GET":
        if visit.user is not None:
            return visit.redirect(nxt)
        return visit.render("signin.html", next=nxt)
    username, password = visit.field("username", 200), visit.field("password", accounts.MAX_PASSWORD_CHARS + 1)
    cfg = visit.console.cfg

    def attempt() -> tuple[accounts.SignIn, int | None, str]:
        with visit.console.db.session() as db:
            result = accounts.sign_in(db, username, password, cfg)
            user = result.user
            return result, (user.id if user else None), (accounts.session_stamp(user) if user else "")

    result, user_id, stamp = await run_in_threadpool(attempt)  # argon2 takes tens of ms: not on the loop
    if user_id is None:
        return visit.render("signin.html", status=401, next=nxt, error=result.problem, username=username[:64])
    visit.session = new_session().signed_in(user_id, stamp)
    return visit.redirect(safe_next(visit.field("next", 500) or nxt))


@page()
async def signout(visit: Visit) -> Response:
    visit.session = new_session()
    return visit.redirect("/signin", "signed out")


@page(admin=True)
async def users(visit: Visit) -> Response:
    error = ""
    if visit.request.method == "POST":
        action = visit.field("action", 20)
        try:
            with visit.console.db.session() as db:
                if action == "create":
                    user = accounts.create_user(db, visit.field("username", 200), visit.field("password", 2000),
                                                is_admin=visit.field("is_admin", 5) == "on")
                    message = f"account {user.username} created"
                else:
                    raw = visit.field("user_id", 10)
                    target = db.get(StaffUser, int(raw)) if raw.isdigit() and 0 < int(raw) < 2**31 else None
                    if target is None:
                        raise accounts.AccountError("no such account")
                    accounts.unlock(target)
                    message = f"account {target.username} unlocked"
            return visit.redirect("/users", message)
        except (accounts.AccountError, ValueError) as exc:
            error = str(exc)
    with visit.console.db.session() as db:
        rows = list(db.scalars(select(StaffUser).order_by(StaffUser.username)))
    return visit.render("users.html", status=400 if error else 200, users=rows, error=error)
