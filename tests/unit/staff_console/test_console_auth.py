"""Nothing of the console without signing in; CSRF on every form; lock-out; admin-only pages;
the session cookie's flags."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from console_client import PASSWORD, Console, make_console
from starlette.routing import Route

from console import accounts
from knowledge.settings import ConsoleEnv, load
from store.models import StaffUser

PUBLIC = {"/health", "/signin"}  # and /static: the stylesheet and the small script


def routes(console: Console, method: str) -> list[str]:
    out = []
    for route in console.client.app.routes:
        if isinstance(route, Route) and method in (route.methods or ()) and route.path not in PUBLIC:
            out.append(route.path.replace("{entry_id}", "1"))
    return out


def test_every_page_asks_for_sign_in_and_every_post_is_refused(console: Console) -> None:
    gets, posts = routes(console, "GET"), routes(console, "POST")
    assert "/inbox" in gets and "/inbox/answer" in posts and "/faq/import" in posts  # the list is the app's own
    for path in gets:
        response = console.client.get(path, follow_redirects=False)
        if path == "/":
            assert response.headers["location"] == "/inbox"
            continue
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next="), path
    for path in posts:
        response = console.client.post(path, data={"csrf": console.csrf(), "answer": "x", "ids": "1"})
        assert response.status_code == 403, path


def test_every_form_needs_the_sessions_csrf_token(console: Console) -> None:
    assert console.sign_in().status_code == 303
    for path in routes(console, "POST"):
        assert console.client.post(path, data={"ids": "1", "answer": "x"}).status_code == 403, path
        assert console.client.post(path, data={"csrf": "forged", "ids": "1"}).status_code == 403, path
    # The token of the page works; from another site (Origin) it does not.
    token = console.csrf("/faq/new")
    hostile = console.client.post("/faq/new", data={"csrf": token, "questions": "Q?", "answer": "A"},
                                  headers={"origin": "https://evil.example"})
    assert hostile.status_code == 403
    ok = console.client.post("/faq/new", data={"csrf": token, "questions": "Q?", "answer": "A"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/faq"


def test_the_sign_in_form_itself_needs_its_token(console: Console) -> None:
    response = console.client.post("/signin", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 403
    assert console.client.get("/inbox", follow_redirects=False).status_code == 303  # not signed in


def test_wrong_passwords_lock_the_account_even_against_the_right_one(console: Console) -> None:
    for _ in range(console.cfg.max_failed_logins - 1):
        response = console.sign_in(password="wrong password!")
        assert response.status_code == 401 and "wrong user name or password" in response.text
    response = console.sign_in(password="wrong password!")
    assert response.status_code == 401 and "locked" in response.text
    response = console.sign_in()  # the right password, during the lock
    assert response.status_code == 401 and "locked" in response.text
    with console.db.session() as db:
        user = db.query(StaffUser).filter_by(username="admin").one()
        assert user.locked_until is not None


def test_the_lock_ends_and_a_success_resets_the_count(tmp_path: Path) -> None:
    cfg = load(ConsoleEnv, {"CONSOLE_ADMIN_PASSWORD": PASSWORD, "CONSOLE_MAX_FAILED_LOGINS": "2",
                            "CONSOLE_LOCKOUT_MINUTES": "10"})
    c = make_console(tmp_path, CONSOLE_MAX_FAILED_LOGINS="2", CONSOLE_LOCKOUT_MINUTES="10")
    now = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)
    with c.db.session() as db:
        assert accounts.sign_in(db, "admin", "nope nope nope", cfg, now).user is None
        assert accounts.sign_in(db, "admin", PASSWORD, cfg, now).user is not None  # resets the count
        assert accounts.sign_in(db, "admin", "nope nope nope", cfg, now).user is None
        assert "locked" in accounts.sign_in(db, "admin", "nope nope nope", cfg, now).problem
        assert accounts.sign_in(db, "admin", PASSWORD, cfg, now + timedelta(minutes=9)).user is None
        assert accounts.sign_in(db, "admin", PASSWORD, cfg, now + timedelta(minutes=11)).user is not None
        # An unknown name gets the same answer as a wrong password.
        assert accounts.sign_in(db, "nobody", PASSWORD, cfg, now).problem == "wrong user name or password"
    c.db.dispose()


def test_only_admins_manage_accounts(console: Console) -> None:
    with console.db.session() as db:
        accounts.create_user(db, "clerk", "clerk password 1")
    console.sign_in("clerk", "clerk password 1")
    assert console.client.get("/inbox").status_code == 200
    assert console.client.get("/users").status_code == 403
    assert console.client.post("/users", data={"csrf": console.csrf("/inbox"), "action": "create",
                                               "username": "mallory", "password": "x" * 12}).status_code == 403
    console.client.post("/signout", data={"csrf": console.csrf("/inbox")})
    console.sign_in()
    page = console.client.post("/users", data={"csrf": console.csrf("/users"), "action": "create",
                                               "username": "clerk2", "password": "short"})
    assert page.status_code == 400 and "at least 10 characters" in page.text
    made = console.client.post("/users", data={"csrf": console.csrf("/users"), "action": "create",
                                               "username": "clerk2", "password": "long enough pw"})
    assert made.status_code == 200 and "account clerk2 created" in made.text


def test_signing_out_or_changing_the_password_ends_the_session(console: Console) -> None:
    console.sign_in()
    assert console.client.get("/faq").status_code == 200
    with console.db.session() as db:
        user = db.query(StaffUser).filter_by(username="admin").one()
        user.password_hash = accounts.HASHER.hash("a brand new password")
    assert console.client.get("/faq", follow_redirects=False).status_code == 303
    console.sign_in(password="a brand new password")
    console.client.post("/signout", data={"csrf": console.csrf("/inbox")})
    assert console.client.get("/faq", follow_redirects=False).status_code == 303


def test_a_tampered_cookie_is_no_session(console: Console) -> None:
    console.sign_in()
    cookie = console.client.cookies["console_session"]
    assert console.client.get("/faq", follow_redirects=False).status_code == 200
    console.client.cookies.clear()
    console.client.cookies.set("console_session", cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    assert console.client.get("/faq", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("public_url", "secure"), [("", False), ("https://console.park.example", True)])
def test_session_cookie_flags(tmp_path: Path, public_url: str, secure: bool) -> None:
    c = make_console(tmp_path, **({"CONSOLE_PUBLIC_URL": public_url} if public_url else {}))
    cookie = c.client.get("/signin").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert ("; secure" in cookie) is secure
    c.db.dispose()


def test_sign_in_never_redirects_to_another_site(console: Console) -> None:
    response = console.client.post("/signin?next=//evil.example/x", follow_redirects=False, data={
        "csrf": console.csrf(), "username": "admin", "password": PASSWORD, "next": "https://evil.example"})
    assert response.status_code == 303 and response.headers["location"] == "/inbox"


def test_first_admin_only_while_no_account_exists(console: Console) -> None:
    cfg = load(ConsoleEnv, {"CONSOLE_ADMIN_PASSWORD": "another password", "CONSOLE_ADMIN_USER": "root"})
    with console.db.session() as db:
        assert accounts.ensure_admin(db, cfg) is None  # "admin" exists: the variable creates nothing more
        assert db.query(StaffUser).count() == 1


def test_hostile_sign_in_input_gets_an_answer_not_a_crash(console: Console) -> None:
    for username, password in [("", ""), ("a" * 10_000, "b"), ("admin", "x" * 100_000), ("\x00'; drop", "\ud7ff")]:
        response = console.client.post("/signin", data={"csrf": console.csrf(), "username": username,
                                                         "password": password})
        assert response.status_code in (401, 413), (username[:10], response.status_code)
    assert console.client.post("/signin", content=b"\xff\xfe garbage", headers={
        "content-type": "multipart/form-data; boundary=x"}).status_code in (400, 403)
