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


async def _matching_entry(visit: Visit, wordings: list[str]) -> int | None:
    """The curated answer one of these wordings already matches (as the bot would match it)."""
    for wording in wordings:
        found = await run_in_threadpool(visit.console.knowledge.curated, visit.console.faq, wording)
        if found is not None:
            return found.entry.id
    return None


async def _curate(visit: Visit, ids: list[int], existing: int | None, answer: str, source_article: str = "",
                  expires_on: date | None = None) -> Response:
    """A curated answer for the chosen questions: a new entry, or, when they already match one
    (`existing`), their wordings added to it as paraphrases (and its answer replaced by `answer`
    when one was written)."""
    author = visit.user.username if visit.user else ""
    with visit.console.db.session() as db:
        rows = inbox.rows_for(db, ids)
        wordings = Group(rows).wordings
        if existing is None:
            entry = faq.create_entry(db, wordings, answer, author, source_article=source_article, expires_on=expires_on)
            message = f"curated answer #{entry.id} created"
        else:
            entry = faq.get_entry(db, existing)
            added = [w for w in wordings if w not in {q.text for q in entry.questions}]
            replace_answer = bool(answer.strip()) and answer.strip() != entry.answer
            faq.update_entry(db, entry.id, [q.text for q in entry.questions] + added,
                             answer if replace_answer else entry.answer, author,
                             source_article=source_article or entry.source_article,
                             expires_on=expires_on or entry.expires_on)
            message = (f"the question matches curated answer #{entry.id}: added as {len(added)} more wording(s)"
                       + ("; its answer was replaced" if replace_answer else ""))
        inbox.close(rows, "answered", faq_id=entry.id)
    return visit.redirect("/inbox", message + " — the bot uses it from the next question")


def _wordings(visit: Visit, ids: list[int]) -> Group:
    with visit.console.db.session() as db:
        return Group(inbox.rows_for(db, ids))


@page()
async def inbox_answer(visit: Visit) -> Response:
    try:
        ids = inbox.parse_ids(visit.field("ids", 100_000))
        answer = faq.clean_answer(visit.field("answer", faq.MAX_ANSWER_CHARS + 10))
        expires_on = faq.parse_date(visit.field("expires_on", 20))
        existing = await _matching_entry(visit, _wordings(visit, ids).wordings)
        return await _curate(visit, ids, existing, answer, visit.field("source_article", 512), expires_on)
    except (inbox.InboxError, faq.FaqError) as exc:
        return visit.redirect("/inbox", f"not saved: {exc}")


@page()
async def inbox_approve(visit: Visit) -> Response:
    """The passage closest to the question becomes its curated answer, citing its article."""
    try:
        ids = inbox.parse_ids(visit.field("ids", 100_000))
        group = _wordings(visit, ids)
        existing = await _matching_entry(visit, group.wordings)
        if existing is not None:  # already answered: this wording joins that entry
            return await _curate(visit, ids, existing, "")
        shown = next((s for s in (group.latest.sources or []) if isinstance(s, dict)), None)
        passage = shown or await run_in_threadpool(visit.console.knowledge.closest_passage, group.question)
        if not passage or not (passage.get("sentence") or passage.get("text")):
            return visit.redirect("/inbox", "no passage is close to this question: write an answer instead")
        return await _curate(visit, ids, None, str(passage.get("sentence") or passage.get("text")),
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
