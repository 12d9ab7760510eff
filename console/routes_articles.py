"""The articles page: list, upload, import from a URL, replace, delete, edit metadata, and the
background rebuild each change starts (its progress polled from /articles/status.json).

Every change goes through knowledge.articles.ArticleStore, which checks uploads (type, size,
active content, names that would leave the folder); its refusals are shown as they are worded.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response

from console.quotes import quote_counts
from console.web import Console, Visit, page
from knowledge.errors import KnowledgeError
from knowledge.meta import ArticleMeta
from knowledge.upload_checks import SUPPORTED_SUFFIXES

META_KEYS = ("title", "publisher", "published", "url", "expires")
FORM_OVERHEAD = 16 * 1024  # the fields around an uploaded file


def upload_limit(console: Console) -> int:
    return console.articles.settings.max_article_bytes + FORM_OVERHEAD  # KB_MAX_ARTICLE_BYTES


def _meta_fields(visit: Visit) -> dict[str, str]:
    return {key: visit.field(key, 600).strip() for key in META_KEYS}


def _form_meta(visit: Visit) -> ArticleMeta:
    """The metadata typed with an upload or import (empty fields: unset); KnowledgeError if invalid."""
    return ArticleMeta.from_dict({k: v for k, v in _meta_fields(visit).items() if v}, "the form")


async def _articles_view(visit: Visit, status: int = 200, error: str = "") -> Response:
    store = visit.console.articles
    try:
        articles = await run_in_threadpool(store.list)
    except KnowledgeError as exc:  # e.g. no articles folder yet (the first upload creates it)
        articles, error = [], error or str(exc)
    with visit.console.db.session() as db:
        quoted = quote_counts(db)
    return visit.render("articles.html", status=status, articles=articles, quoted=quoted, error=error,
                        build=visit.console.rebuilder.status(), suffixes=", ".join(SUPPORTED_SUFFIXES),
                        limit_mib=store.settings.max_article_bytes / 2**20)


def _changed(visit: Visit, message: str) -> Response:
    visit.console.rebuilder.request(message)
    return visit.redirect("/articles", f"{message}: the index is being rebuilt")


@page()
async def articles_page(visit: Visit) -> Response:
    return await _articles_view(visit)


@page(max_body=upload_limit)
async def articles_upload(visit: Visit) -> Response:
    """A new article, or (with `replace`, the name of an existing one) a new version of it."""
    upload = visit.form.get("file") if visit.form is not None else None
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _articles_view(visit, 400, "choose a file to upload")
    store = visit.console.articles
    target = visit.field("replace", 300)  # the article a new version replaces; "" for a new one
    data = await upload.read(store.settings.max_article_bytes + 1)
    try:
        if target:
            meta = (await run_in_threadpool(store.get, target)).meta  # a new version keeps its metadata
            name = await run_in_threadpool(store.add_bytes, target, data, meta, replace=True)
        else:
            name = await run_in_threadpool(store.add_bytes, upload.filename, data, _form_meta(visit))
    except KnowledgeError as exc:
        return await _articles_view(visit, 400, str(exc))
    return _changed(visit, f"{name} {'replaced' if target else 'added'}")


@page()
async def articles_import(visit: Visit) -> Response:
    url = visit.field("source_url", 2000).strip()
    if not url:
        return await _articles_view(visit, 400, "give the URL of the page to import")
    try:
        name = await run_in_threadpool(visit.console.articles.add_url, url, _form_meta(visit))
    except KnowledgeError as exc:
        return await _articles_view(visit, 400, str(exc))
    return _changed(visit, f"{name} imported from {url[:100]}")


@page()
async def article_delete(visit: Visit) -> Response:
    name = visit.field("name", 300)
    try:
        await run_in_threadpool(visit.console.articles.remove, name)
    except KnowledgeError as exc:
        return await _articles_view(visit, 404, str(exc))
    return _changed(visit, f"{name} deleted")


@page()
async def article_edit(visit: Visit) -> Response:
    store = visit.console.articles
    if visit.request.method == "GET":
        name = visit.request.query_params.get("name", "")[:300]
        try:
            article = await run_in_threadpool(store.get, name)
        except KnowledgeError as exc:
            return visit.render("message.html", status=404, message=str(exc))
        return visit.render("article_edit.html", name=name, values=article.meta.to_dict(), error="")
    name = visit.field("name", 300)
    values = _meta_fields(visit)
    try:
        await run_in_threadpool(lambda: store.set_meta(name, **values))  # "" clears a key
    except KnowledgeError as exc:
        return visit.render("article_edit.html", status=400, name=name, values=values, error=str(exc))
    return _changed(visit, f"{name}: details saved")


@page()
async def articles_rebuild(visit: Visit) -> Response:
    visit.console.rebuilder.request("rebuild asked for")
    return visit.redirect("/articles", "the index is being rebuilt")


@page()
async def build_status(visit: Visit) -> Response:
    return JSONResponse(visit.console.rebuilder.status().to_dict())
