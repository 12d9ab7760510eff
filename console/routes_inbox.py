"""The inbox: open unanswered or disliked questions grouped by meaning, and the four things the
staff do with a group: write an answer, approve the closest passage, mark it out of scope, or
note the article to be written."""

from __future__ import annotations

from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from console import inbox
from console.grouping import Group, group_rows
from console.web import Visit, page
from knowledge.errors import InvalidQuestionError
from store import faq


@page()
async def inbox_page(visit: Visit) -> Response:
    with visit.console.db.session() as db:
        rows = inbox.open_questions(db)
        disliked = inbox.disliked_ids(db, rows)
    warning = ""
    try:
        vectors = await run_in_threadpool(visit.console.knowledge.embed, [r.question for r in rows])
        groups = group_rows(rows, vectors, visit.console.faq.calibration)
    except RuntimeError as exc:  # no model: every question on its own row, still actionable
        warning = f"{exc} — questions are shown ungrouped"
        groups = [Group([r]) for r in rows]
    return visit.render("inbox.html", groups=groups, disliked=disliked, warning=warning, total=len(rows),
                        limit=inbox.MAX_ROWS)


async def _curate(visit: Visit, answer: str, source_article: str = "", expires_on: date | None = None) -> Response:
    """A curated answer for the chosen questions: a new entry, or, when they already match one,
    their wordings added to it as paraphrases (and its answer replaced by the one written now)."""
    ids = inbox.parse_ids(visit.field("ids", 100_000))
    with visit.console.db.session() as db:
        wordings = Group(inbox.rows_for(db, ids)).wordings
    existing = None
    for wording in wordings:
        found = await run_in_threadpool(visit.console.faq.match, wording, visit.console.knowledge.embed)
        if found is not None:
            existing = found.entry
            break
    author = visit.user.username if visit.user else ""
    with visit.console.db.session() as db:
        rows = inbox.rows_for(db, ids)
        if existing is None:
            entry = faq.create_entry(db, wordings, answer, author, source_article=source_article, expires_on=expires_on)
            message = f"curated answer #{entry.id} created"
        else:
            entry = faq.get_entry(db, existing.id)
            added = [w for w in wordings if w not in {q.text for q in entry.questions}]
            replace_answer = answer.strip() and answer.strip() != entry.answer
            faq.update_entry(db, entry.id, [q.text for q in entry.questions] + added,
                             answer if replace_answer else entry.answer, author,
                             source_article=source_article or entry.source_article,
                             expires_on=expires_on or entry.expires_on)
            message = (f"the question matches curated answer #{entry.id}: added as {len(added)} more wording(s)"
                       + ("; its answer was replaced" if replace_answer else ""))
        inbox.close(rows, "answered", faq_id=entry.id)
    return visit.redirect("/inbox", message + " — the bot uses it from the next question")


@page()
async def inbox_answer(visit: Visit) -> Response:
    try:
        return await _curate(visit, visit.field("answer", faq.MAX_ANSWER_CHARS + 10),
                             visit.field("source_article", 512), faq.parse_date(visit.field("expires_on", 20)))
    except (inbox.InboxError, faq.FaqError) as exc:
        return visit.redirect("/inbox", f"not saved: {exc}")


@page()
async def inbox_approve(visit: Visit) -> Response:
    """The passage closest to the question becomes its curated answer, citing its article."""
    try:
        ids = inbox.parse_ids(visit.field("ids", 100_000))
        with visit.console.db.session() as db:
            group = Group(inbox.rows_for(db, ids))
            shown = next((s for s in (group.latest.sources or []) if isinstance(s, dict)), None)
            question = group.question
        passage = shown or await run_in_threadpool(visit.console.knowledge.closest_passage, question)
        if not passage or not (passage.get("sentence") or passage.get("text")):
            return visit.redirect("/inbox", "no passage is close to this question: write an answer instead")
        return await _curate(visit, str(passage.get("sentence") or passage.get("text")),
                             str(passage.get("source") or ""))
    except (inbox.InboxError, faq.FaqError, InvalidQuestionError, RuntimeError) as exc:
        return visit.redirect("/inbox", f"not saved: {exc}")


@page()
async def inbox_close(visit: Visit) -> Response:
    try:
        ids = inbox.parse_ids(visit.field("ids", 100_000))
        with visit.console.db.session() as db:
            inbox.close(inbox.rows_for(db, ids), visit.field("status", 20), visit.field("note", inbox.MAX_NOTE_CHARS + 1))
    except inbox.InboxError as exc:
        return visit.redirect("/inbox", f"not saved: {exc}")
    return visit.redirect("/inbox", "marked")
