"""How a grounded answer is shown: the article's snippet, introduced in the user's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from knowledge.citation import citation_line
from knowledge.curated import CuratedMatch
from knowledge.phrases import answer_notes
from knowledge.text import has_cjk
from knowledge.types import Answer, Source


def format_answer(answer: Answer, *, citation: bool = False) -> str:
    """'根据《title》（section）：snippet' or 'According to 《title》 (section): snippet', with the
    publication date when the article is older than KB_STALE_AFTER_DAYS; with `citation`
    (channels without source cards, e.g. the shell) a last line names articles, dates and URLs.

    The snippet stays in the article's language: it is a quotation, not a translation.
    """
    text = _answer_text(answer) + answer_notes(answer.lang, answer.unanswered, answer.stale_published)
    if citation:
        line = citation_line([s.to_dict() for s in answer.sources], answer.lang)
        text += f"\n{line}" if line else ""
    return text


def _answer_text(answer: Answer) -> str:
    source = answer.sources[0] if answer.sources else None
    title = source.title.strip() if source else ""
    section = _section(source)
    if answer.lang == "en":
        # A quotation, not a translation: say so when the article is Chinese.
        note = " (quoted from the article in Chinese)" if has_cjk(answer.answer) else ""
        if not title:
            return f"From the park's articles: {answer.answer}{note}"
        where = f"《{title}》 ({section})" if section else f"《{title}》"
        return f"According to {where}: {answer.answer}{note}"
    if not title:
        return f"根据园区发布的文章：{answer.answer}"
    where = f"《{title}》（{section}）" if section else f"《{title}》"
    return f"根据{where}：{answer.answer}"


def answer_payload(answer: Answer | None, suggestions: Sequence[str] = ()) -> dict[str, Any]:
    """The custom payload sent with every answer turn, for widgets that show citations.

    An answer that is not grounded cites nothing: passages that did not answer the
    question would only look like evidence. The closest passage, when the learned
    judge found one, goes under `related`, labelled as such by every channel. Questions
    the articles answer near this one (knowledge/suggest.py) go under `suggestions`; the
    questions of the message an answer leaves unanswered, under `unanswered`.
    """
    more = {"suggestions": list(suggestions)} if suggestions else {}
    if answer is None or not answer.grounded:
        related = [s.to_dict() for s in answer.related] if answer is not None else []
        return {"grounded": False, "sources": [], **({"related": related} if related else {}), **more}
    unanswered = {"unanswered": list(answer.unanswered)} if answer.unanswered else {}
    return {"grounded": True, "sources": [s.to_dict() for s in answer.sources], **unanswered, **more}


def question_buttons(questions: Sequence[str]) -> list[dict[str, str]]:
    """Suggested questions as quick replies: a click asks the question."""
    return [{"title": q, "payload": q} for q in questions]


def format_related(answer: Answer, park: str) -> str:
    """The closest passage, said plainly not to be an answer."""
    source = answer.related[0]
    where = f"《{source.title.strip()}》" if source.title.strip() else ""
    quote = source.sentence or source.text
    if answer.lang == "en":
        return (f"The articles of {park} don't answer this directly. The closest passage, from {where or 'an article'}"
                f"{' (in Chinese)' if has_cjk(quote) else ''}: {quote}")
    return f"{park}发布的文章没有直接回答这个问题。最接近的内容{('来自' + where) if where else ''}：{quote}"


def _section(source: Source | None) -> str:
    if source is None:
        return ""
    section = source.section.strip()
    # A section named like the article adds nothing to the citation.
    return "" if section == source.title.strip() else section


def curated_title(park: str, lang: str) -> str:
    return f"{park}'s answer" if lang == "en" else f"{park}的答复"


def format_curated(match: CuratedMatch, park: str, lang: str) -> str:
    """A curated answer, cited as the park's own with the date it was written or last edited."""
    when = match.entry.updated_at.date().isoformat()
    if lang == "en":
        return f"{curated_title(park, lang)[:1].upper()}{curated_title(park, lang)[1:]} ({when}): {match.entry.answer}"
    return f"{curated_title(park, lang)}（{when}）：{match.entry.answer}"


def curated_payload(match: CuratedMatch, park: str, lang: str) -> dict[str, Any]:
    """The same payload shape as an article's answer, its one source being the park's answer."""
    entry = match.entry
    when = entry.updated_at.date().isoformat()
    source = {"id": f"faq-{entry.id}", "source": entry.source_article or f"faq/{entry.id}",
              "title": curated_title(park, lang), "section": when, "text": entry.answer,
              "score": round(match.probability, 4), "sentence": entry.answer, "date": when, "published": when,
              "url": "", "publisher": "", "link": "", "stale": False}  # the keys an article source has
    return {"grounded": True, "curated": True, "sources": [source]}
