"""The reply, the last stage: from judged parts to the `Answer` channels show.

Only sentences that answer are quoted, each with its own passage as the source, all from
one article per question. An attribute question (amount, area, date, …) leads with the
fact ("总投资22亿元") before the quoted sentence. Leading connectives ("此外，") are trimmed:
a quotation stands alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from knowledge.analysis import QuestionAnalysis
from knowledge.catalog import Catalog
from knowledge.compare import Compared
from knowledge.facts import Fact
from knowledge.index import KnowledgeIndex
from knowledge.links import fragment_link
from knowledge.meta import ArticleMeta
from knowledge.pipeline import PartResult
from knowledge.ranking import Candidate
from knowledge.text import has_cjk
from knowledge.types import Answer, Source

_CONNECTIVE_RE = re.compile(
    r"^(?:此外|另外|同时|而且|并且|并(?=[,，、])|其中|因此|所以|但是|不过|然而|首先|其次|再次|最后|总之|与此同时|除此之外|还有|目前|"
    r"also|moreover|furthermore|in addition|meanwhile|however)\s*[,，、:：]?\s*",
    re.I,
)
LEAD_TYPES = ("date", "amount", "area", "distance", "duration", "count", "percent", "place")


def trim(sentence: str) -> str:
    trimmed = _CONNECTIVE_RE.sub("", sentence.strip())
    return trimmed[:1].upper() + trimmed[1:] if trimmed and not has_cjk(trimmed[:1]) else trimmed


def lead(analysis: QuestionAnalysis, top: Candidate) -> str:
    """The clause stating the asked-for fact, next to the question's own words if possible."""
    if analysis.answer_type not in LEAD_TYPES:
        return ""
    facts: list[Fact] = [f for f in top.facts if f.type == analysis.answer_type]
    if not facts or len(facts) > 3:
        return ""
    known = analysis.known_terms
    near = [f for f in facts if any(t.found_in(f.clause_text(top.text).lower()) for t in known)]
    fact = (near or facts)[0]
    clause = _CONNECTIVE_RE.sub("", fact.clause_text(top.text).strip())
    return clause if clause != top.text.strip("。.；; ") else ""


def comparison(analysis: QuestionAnalysis, compared: tuple[Compared, ...]) -> str:
    """"占地约315亩：文中给出的3个数值里最大（其余：占地约78亩；占地约300亩）": the extreme and
    what it was compared with, so the reader can check the comparison."""
    best = _CONNECTIVE_RE.sub("", compared[0].clause)
    others = list(dict.fromkeys(c.clause for c in compared[1:]))
    if analysis.lang == "zh":
        extreme = "最大" if analysis.superlative == "max" else "最小"
        return f"{best}：文中给出的{len(compared)}个数值里{extreme}（其余：{'；'.join(others)}）"
    extreme = "largest" if analysis.superlative == "max" else "smallest"
    return f"{best}: the {extreme} of the {len(compared)} figures the article gives (the others: {'; '.join(others)})"


def _source(index: KnowledgeIndex, candidate: Candidate, catalog: Catalog | None = None,
           stale_after_days: int = 0) -> Source:
    p = index.passages[candidate.passage]
    meta = catalog.meta(p.source) if catalog else index.articles.get(p.source, ArticleMeta())
    age = meta.age_days(catalog.today() if catalog else date.today())
    return Source(
        p.id, p.source, p.title, p.section, p.text, round(candidate.score, 4), candidate.text,
        url=meta.url, published=meta.published.isoformat() if meta.published else "", publisher=meta.publisher,
        link=fragment_link(meta.url, candidate.text),
        stale=bool(stale_after_days and age is not None and age > stale_after_days),
    )


def compose(index: KnowledgeIndex, question: str, parts: list[PartResult], catalog: Catalog | None = None,
            stale_after_days: int = 0, not_taken_up: Sequence[str] = ()) -> Answer:
    """One Answer for a message: every answered part quoted, the other questions of the message
    (`not_taken_up`: those beyond the parts answered at all) named as unanswered; else the
    closest passage as related."""

    def source(candidate: Candidate) -> Source:
        return _source(index, candidate, catalog, stale_after_days)

    answered = [r for r in parts if r.judgement.grounded]
    first = parts[0].analysis
    if answered:
        texts: list[str] = []
        sources: list[Source] = []
        for r in answered:
            top = r.ranked[0]
            quote = trim(top.text)
            compared = r.judgement.compared
            head = comparison(r.analysis, compared) if compared else lead(r.analysis, top)
            if head and quote.startswith(head):
                head = ""  # the quotation already opens with the fact
            texts.append(f"{head}。{quote}" if head and has_cjk(quote) else f"{head}. {quote}" if head else quote)
            sources.append(source(top))
            sources.extend(source(c.candidate) for c in compared[1:])  # what the extreme was compared with
        sep = "" if has_cjk(texts[0]) else " "
        unique = list({s.id: s for s in sources}.values())
        return Answer(question, sep.join(texts), True, unique, first.lang, first.query, "answer", [],
                      first.followup,
                      [r.analysis.text.strip() for r in parts if not r.judgement.grounded]
                      + [q.strip() for q in not_taken_up])
    related = [source(r.ranked[0]) for r in parts if r.judgement.outcome == "related" and r.ranked]
    outcome = "related" if related else "decline"
    return Answer(question, "", False, [], first.lang, first.query, outcome, related[:1], first.followup)
