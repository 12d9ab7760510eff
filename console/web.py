"""What every console page shares: the console's parts, sign-in and CSRF checks, rendering.

Every route is wrapped by `page`: without a signed-in user a GET is sent to the sign-in page and a
POST refused (403); a POST must carry the session's CSRF token and, when the browser says where
it comes from (Origin), come from the console itself.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from console.accounts import session_stamp
from console.knowledge_link import KnowledgeLink
from console.rebuild import Rebuilder
from console.sessions import COOKIE, SessionCodec, SessionData, new_session, same_token
from knowledge.articles import ArticleStore
from knowledge.settings import ConsoleEnv
from store.db import Database
from store.faq_matcher import LiveFaq
from store.models import StaffUser

HERE = Path(__file__).resolve().parent
MAX_FORM_BYTES = 256 * 1024  # forms are a few fields of text; only CSV uploads are larger
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",  # pages show questions and leads: not for shared caches
}


@dataclass
class Console:
    cfg: ConsoleEnv
    db: Database
    codec: SessionCodec
    knowledge: KnowledgeLink
    faq: LiveFaq
    templates: Jinja2Templates
    articles: ArticleStore
    rebuilder: Rebuilder


@dataclass
class Visit:
    """One request's signed-in user, session and (for POST) form."""

    request: Request
    console: Console
    session: SessionData
    user: StaffUser | None
    form: FormData | None = None
    flash_out: str = ""

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        flash, self.session = self.session_flash()
        response = self.console.templates.TemplateResponse(
            self.request, template, {"user": self.user, "csrf": self.session.csrf, "flash": flash, **context},
            status_code=status)
        return response

    def session_flash(self) -> tuple[str, SessionData]:
        return self.session.flash, replace(self.session, flash="")

    def redirect(self, url: str, flash: str = "") -> Response:
        self.session = replace(self.session, flash=flash[:300]) if flash else self.session
        return RedirectResponse(url, status_code=303)

    def field(self, name: str, limit: int = 10_000) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value[:limit] if isinstance(value, str) else ""


Handler = Callable[[Visit], Awaitable[Response]]


def console_of(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def read_session(request: Request, console: Console) -> tuple[SessionData, StaffUser | None]:
    session = console.codec.loads(request.cookies.get(COOKIE)) or new_session()
    if session.user_id is None:
        return session, None
    with console.db.session() as db:
        user = db.get(StaffUser, session.user_id)
    if user is None or not secrets.compare_digest(session_stamp(user), session.stamp):
        return replace(session, user_id=None, stamp=""), None  # deleted, or the password changed since
    return session, user


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not a browser's cross-site request (browsers send Origin with every POST)
        return True
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def page(*, signed_in: bool = True, admin: bool = False,
         max_body: int | Callable[[Console], int] | None = MAX_FORM_BYTES) -> Callable[[Handler], Callable]:
    """`max_body`: the largest request (None: a CSV upload, CONSOLE_MAX_UPLOAD_BYTES and the form around it;
    a function: the limit it reads from the console's settings, e.g. an article's)."""
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            console = console_of(request)
            session, user = read_session(request, console)
            visit = Visit(request, console, session, user)
            if signed_in and user is None:
                if request.method != "GET":
                    return finish(visit, PlainTextResponse("sign in first", status_code=403))
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return finish(visit, RedirectResponse(f"/signin?next={quote(target)}", status_code=303))
            if admin and not (user and user.is_admin):
                return finish(visit, PlainTextResponse("only an admin may do this", status_code=403))
            if request.method == "POST":
                limit = (console.cfg.max_upload_bytes + 16 * 1024 if max_body is None
                         else max_body(console) if callable(max_body) else max_body)
                refused = await read_form(visit, limit)
                if refused is not None:
                    return finish(visit, refused)
            return finish(visit, await handler(visit))

        return endpoint

    return wrap


async def read_form(visit: Visit, max_body: int) -> Response | None:
    request = visit.request
    if not same_origin(request):
        return PlainTextResponse("cross-site request refused", status_code=403)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return PlainTextResponse("a form must say its length (Content-Length)", status_code=411)
    if int(length) > max_body:
        return PlainTextResponse(f"request too large (at most {max_body // 1024} KB)", status_code=413)
    try:
        visit.form = await request.form(max_files=1, max_fields=50, max_part_size=max_body)
    except Exception:  # a malformed multipart or urlencoded body
        return PlainTextResponse("malformed form", status_code=400)
    if not same_token(visit.form.get("csrf"), visit.session.csrf):
        return PlainTextResponse("the form has expired or did not come from this console: reload the page and "
                                 "try again", status_code=403)
    return None


def finish(visit: Visit, response: Response) -> Response:
    """The session goes back in the cookie (new visitors get one: the sign-in form needs its token)."""
    cfg = visit.console.cfg
    secure = cfg.secure_cookies or visit.request.url.scheme == "https"
    response.set_cookie(COOKIE, visit.console.codec.dumps(visit.session), max_age=visit.console.codec.max_age,
                        httponly=True, samesite="strict", secure=secure, path="/")
    return response
