"""The console as a Starlette application; `create_app` wires the parts, `python -m console` serves it."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import routes_articles, routes_auth, routes_faq, routes_figures, routes_inbox, routes_misc
from console.knowledge_link import KnowledgeLink
from console.rebuild import Rebuilder, index_build
from console.sessions import SessionCodec, load_secret
from console.web import HERE, SECURITY_HEADERS, Console
from knowledge.articles import ArticleStore
from knowledge.settings import PROJECT_ROOT, ConsoleEnv, Settings
from store.db import Database
from store.faq_matcher import LiveFaq

if TYPE_CHECKING:
    from knowledge.embed import Embedder
    from knowledge.service import KnowledgeService

SECRET_FILE = PROJECT_ROOT / "var" / "console.secret"


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")  # says nothing but "up": for the supervisor


async def home(request: Request) -> Response:
    return RedirectResponse("/inbox", status_code=303)  # /inbox itself asks for sign-in


class SecurityHeaders:
    """Every response, pages and static files alike, gets the same security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def routes() -> list[Route | Mount]:
    both = ["GET", "POST"]
    return [
        Route("/health", health),
        Route("/", home),
        Route("/signin", routes_auth.signin, methods=both),
        Route("/signout", routes_auth.signout, methods=["POST"]),
        Route("/users", routes_auth.users, methods=both),
        Route("/inbox", routes_inbox.inbox_page),
        Route("/inbox/answer", routes_inbox.inbox_answer, methods=["POST"]),
        Route("/inbox/approve", routes_inbox.inbox_approve, methods=["POST"]),
        Route("/inbox/close", routes_inbox.inbox_close, methods=["POST"]),
        Route("/faq", routes_faq.faq_list),
        Route("/faq/new", routes_faq.faq_edit, methods=both),
        Route("/faq/export.csv", routes_faq.faq_export),
        Route("/faq/import", routes_faq.faq_import, methods=["POST"]),
        # A string, parsed by the page: Starlette's int convertor fails (500) on a 5000-digit id.
        Route("/faq/{entry_id}", routes_faq.faq_edit, methods=both),
        Route("/faq/{entry_id}/delete", routes_faq.faq_delete, methods=["POST"]),
        Route("/articles", routes_articles.articles_page),
        Route("/articles/upload", routes_articles.articles_upload, methods=["POST"]),
        Route("/articles/import", routes_articles.articles_import, methods=["POST"]),
        Route("/articles/rebuild", routes_articles.articles_rebuild, methods=["POST"]),
        Route("/articles/status.json", routes_articles.build_status),
        # Article names are file names (any characters): taken from the query, not the path.
        Route("/articles/edit", routes_articles.article_edit, methods=both),
        Route("/articles/delete", routes_articles.article_delete, methods=["POST"]),
        Route("/figures", routes_figures.figures_page),
        Route("/figures/{name}", routes_figures.figures_csv),
        Route("/hittest", routes_misc.hittest),
        Route("/leads", routes_misc.leads),
        Route("/leads.csv", routes_misc.leads_csv),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def default_service(settings: Settings) -> Callable[[], KnowledgeService]:
    def load() -> KnowledgeService:
        from knowledge.service import KnowledgeService

        return KnowledgeService.from_settings(settings)

    return load


def build_embedder(knowledge: KnowledgeLink, settings: Settings) -> Callable[[], Embedder]:
    """The loaded service's embedder (one model in memory), or a new one when no index loads yet."""
    def get() -> Embedder:
        try:
            return knowledge.service().embedder
        except RuntimeError:  # e.g. the very first build: there is no index to load
            from knowledge.embed import make_embedder

            return make_embedder(settings)

    return get


def create_app(cfg: ConsoleEnv, db: Database, service_factory: Callable[[], KnowledgeService] | None = None,
               secret: str | None = None, settings: Settings | None = None,
               rebuilder: Rebuilder | None = None) -> Starlette:
    """`settings`: the knowledge base's (articles folder, index, limits); from the environment if None.
    `rebuilder`: runs the index build after a change (default: `knowledge build`'s, in a thread)."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["when"] = lambda t: t.strftime("%Y-%m-%d %H:%M") if isinstance(t, dt.datetime) else (t or "")
    settings = settings or Settings.from_env()
    knowledge = KnowledgeLink(service_factory or default_service(settings))
    rebuilder = rebuilder or Rebuilder(index_build(settings, build_embedder(knowledge, settings)))
    codec = SessionCodec(secret or load_secret(cfg.secret_key, SECRET_FILE), cfg.session_hours * 3600)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        knowledge.load_in_background()  # the model loads while staff sign in
        yield

    app = Starlette(routes=routes(), lifespan=lifespan)
    app.state.console = Console(cfg, db, codec, knowledge, LiveFaq(db), templates, ArticleStore(settings), rebuilder)
    app.add_middleware(SecurityHeaders)
    return app
