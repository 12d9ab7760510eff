"""The hit test (what the library does with a question) and the leads list."""

from __future__ import annotations

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from console.web import Visit, page
from knowledge.errors import InvalidQuestionError
from store.faq_csv import write_csv
from store.models import Lead

LEADS_SHOWN = 500
LEAD_COLUMNS = ("created_at", "company", "industry", "needs", "contact", "contact_kind", "preferred_time",
                "channel", "lang", "questions", "notify_status", "consent_text")


@page()
async def hittest(visit: Visit) -> Response:
    question = visit.request.query_params.get("q", "")
    result, error = None, ""
    if question.strip():
        try:
            result = await run_in_threadpool(visit.console.knowledge.explain, question)
        except InvalidQuestionError as exc:
            error = str(exc)
        except RuntimeError as exc:
            error = str(exc)
    curated = None
    if question.strip() and not error:
        curated = await run_in_threadpool(visit.console.knowledge.curated, visit.console.faq, question)
    return visit.render("hittest.html", question=question[:2000], result=result, error=error, curated=curated)


def _leads(visit: Visit, limit: int | None) -> list[Lead]:
    query = select(Lead).order_by(Lead.created_at.desc(), Lead.id.desc())
    with visit.console.db.session() as db:
        return list(db.scalars(query.limit(limit) if limit else query))


@page()
async def leads(visit: Visit) -> Response:
    return visit.render("leads.html", leads=_leads(visit, LEADS_SHOWN), shown=LEADS_SHOWN)


@page()
async def leads_csv(visit: Visit) -> Response:
    rows = ([getattr(lead, c).isoformat() if c == "created_at" else
             " | ".join(lead.questions or []) if c == "questions" else getattr(lead, c) for c in LEAD_COLUMNS]
            for lead in _leads(visit, None))
    return Response(write_csv(LEAD_COLUMNS, rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="leads.csv"'})
