"""Curated answers: list, write, edit, delete, CSV export and import."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import UploadFile
from starlette.responses import Response

from console.web import Visit, page
from store import faq, faq_csv


def _form_entry(visit: Visit) -> dict:
    return {"questions": [q for q in visit.field("questions", 30_000).splitlines()],
            "answer": visit.field("answer", faq.MAX_ANSWER_CHARS + 10),
            "source_article": visit.field("source_article", 512),
            "expires_on": visit.field("expires_on", 20)}


def path_id(visit: Visit) -> int | None:
    """The entry id of the path; None for /faq/new; FaqError for anything that is not one."""
    raw = visit.request.path_params.get("entry_id")
    if raw is None:
        return None
    if not (raw.isdigit() and len(raw) <= 10 and 0 < int(raw) <= faq.MAX_ID):
        raise faq.FaqError(f"no curated answer #{raw[:20]}")
    return int(raw)


@page()
async def faq_list(visit: Visit) -> Response:
    with visit.console.db.session() as db:
        entries = [faq.entry_fields(e) for e in faq.list_entries(db)]
    return visit.render("faq.html", entries=entries, today=date.today())


@page()
async def faq_edit(visit: Visit) -> Response:
    try:
        entry_id = path_id(visit)
    except faq.FaqError as exc:
        return visit.render("message.html", status=404, message=str(exc))
    if visit.request.method == "GET":
        values: dict = {"questions": [], "answer": "", "source_article": "", "expires_on": ""}
        if entry_id is not None:
            try:
                with visit.console.db.session() as db:
                    values = faq.entry_fields(faq.get_entry(db, entry_id))
            except faq.FaqError as exc:
                return visit.render("message.html", status=404, message=str(exc))
        return visit.render("faq_edit.html", entry_id=entry_id, values=values, error="")
    values = _form_entry(visit)
    try:
        with visit.console.db.session() as db:
            kwargs = {"source_article": values["source_article"], "expires_on": faq.parse_date(values["expires_on"])}
            if entry_id is None:
                entry = faq.create_entry(db, values["questions"], values["answer"], visit.user.username, **kwargs)
            else:
                entry = faq.update_entry(db, entry_id, values["questions"], values["answer"], visit.user.username,
                                         **kwargs)
            saved = entry.id
    except faq.FaqError as exc:
        return visit.render("faq_edit.html", status=400, entry_id=entry_id, values=values, error=str(exc))
    return visit.redirect("/faq", f"curated answer #{saved} saved: the bot uses it from the next question")


@page()
async def faq_delete(visit: Visit) -> Response:
    try:
        with visit.console.db.session() as db:
            faq.delete_entry(db, path_id(visit) or 0)
    except faq.FaqError as exc:
        return visit.render("message.html", status=404, message=str(exc))
    return visit.redirect("/faq", "curated answer deleted")


@page()
async def faq_export(visit: Visit) -> Response:
    with visit.console.db.session() as db:
        text = faq_csv.export_csv(db)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="curated-answers.csv"'})


@page(max_body=None)  # CONSOLE_MAX_UPLOAD_BYTES
async def faq_import(visit: Visit) -> Response:
    limit = visit.console.cfg.max_upload_bytes
    upload = visit.form.get("file") if visit.form is not None else None
    if not isinstance(upload, UploadFile):
        return visit.redirect("/faq", "choose a CSV file to import")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return visit.render("faq_import.html", status=413, result=None,
                            errors=[(0, f"the file is larger than {limit // 1024} KB")])
    with visit.console.db.session() as db:  # one transaction: a failure on any row writes nothing
        result = faq_csv.import_csv(db, data, visit.user.username)
    if not result.ok:
        return visit.render("faq_import.html", status=400, result=result, errors=result.errors)
    return visit.redirect("/faq", f"imported: {result.created} new, {result.updated} replaced")
