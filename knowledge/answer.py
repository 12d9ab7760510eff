"""From retrieved passages to an extractive answer, and the decision whether it is grounded.

Grounding combines two signals into one score (see README, "How grounding is decided"):
- term coverage: the weighted share of the question's key terms found in the top
  passages. An unanswerable question usually names something the articles never
  mention ("人才公寓", "股市"), which a cosine score alone does not reveal: with e5,
  unanswerable Chinese questions score as high as answerable ones.
- dense similarity of the best sentence to the question, the only signal that
  crosses languages (English question, Chinese article).
score = coverage + gain x (cosine - pivot); pivot and threshold differ when the
question's language is not the article's, since cross-lingual cosines run lower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.answer_types import asked_noun, counts, echoes, enumerates, expected_types, type_hits
from knowledge.index import KnowledgeIndex
from knowledge.retrieve import Hit
from knowledge.settings import Settings
from knowledge.terms import Term, coverage
from knowledge.text import has_cjk
from knowledge.types import Source

PASSAGES_FOR_SENTENCES = 4  # sentences are picked from this many top passages
COVERAGE_SENTENCE_WEIGHT = 0.25  # how much a sentence's own term coverage adds to its cosine
ANSWER_TYPE_BONUS = 0.04  # per expected answer type the sentence holds (date, area, list, ...)
ENUMERATION_BONUS = 0.10  # "哪些X" answered by "A、B等X" (half for one example, "A等X")
COUNT_BONUS = 0.10  # "多少X" answered by "X16所" / "16所X"
ECHO_PENALTY = 0.08  # "哪些平台" answered by "搭建优秀的平台": the question restated, no items
PHRASE_BONUS = 0.05  # two adjacent question words found together ("发展定位")
PREVIOUS_SENTENCE_CREDIT = 0.5  # terms named only in the sentence before count half


@dataclass(frozen=True)
class Candidate:
    passage: int
    sentence: int  # index within the passage
    text: str
    dense: float
    coverage: float
    type_hits: int = 0
    enumerates: int = 0  # items of the asked-about noun the sentence lists
    phrase: bool = False
    counts: bool = False
    echoes: bool = False

    @property
    def score(self) -> float:
        return (
            self.dense
            + COVERAGE_SENTENCE_WEIGHT * self.coverage
            + ANSWER_TYPE_BONUS * min(self.type_hits, 2)
            + ENUMERATION_BONUS * min(self.enumerates, 2) / 2
            + COUNT_BONUS * self.counts
            - ECHO_PENALTY * self.echoes
            + PHRASE_BONUS * self.phrase
        )


@dataclass(frozen=True)
class Decision:
    grounded: bool
    coverage: float
    best_dense: float
    reason: str
    score: float = 0.0
    cross_lingual: bool = False


def rank_sentences(
    index: KnowledgeIndex, hits: list[Hit], query_vector: np.ndarray, terms: list[Term],
    question: str = "", list_noun: str = "", phrases: tuple[str, ...] = (),
) -> list[Candidate]:
    kinds = expected_types(question)
    asked = asked_noun(question, terms, kinds)
    head = asked.forms() if asked else (list_noun,) if list_noun else ()
    words = [form for t in terms for form in t.forms()]
    pool = sentence_pool(hits)
    out: list[Candidate] = []
    seen: set[str] = set()
    # The pool's passages first, then the rest of the retrieved ones: a sentence there
    # is a candidate only when it has the asked-for shape (a list of the asked-about
    # noun, a number of it), which the passage ranking alone does not see.
    for hit in pool + [h for h in hits if h not in pool]:
        deep = hit not in pool
        if deep and not head:
            break
        passage = index.passages[hit.index]
        first = int(index.sentence_offsets[hit.index])
        sentences = passage.sentence_texts()
        for j, sentence in enumerate(sentences):
            if sentence in seen:  # overlapping passages repeat sentences
                continue
            listed = enumerates(sentence, head) if "list" in kinds else 0
            counted = "count" in kinds and counts(sentence, head)
            if deep and not (listed or counted):
                continue
            seen.add(sentence)
            dense = float(index.sentence_vectors[first + j] @ query_vector)
            # A sentence's subject is often named by its heading, or by the sentence before it.
            own = coverage(terms, f"{passage.section} {sentence}")
            with_previous = coverage(terms, f"{passage.section} {sentences[j - 1]} {sentence}") if j else own
            cov = own + PREVIOUS_SENTENCE_CREDIT * (with_previous - own)
            echo = bool(head) and not (listed or counted) and echoes(sentence, head, words)
            out.append(Candidate(hit.index, j, sentence, dense, cov, type_hits(sentence, kinds, head),
                                 listed, any(p in sentence for p in phrases), counted, echo))
    return sorted(out, key=lambda c: -c.score)


def sentence_pool(hits: list[Hit]) -> list[Hit]:
    """The top fused passages plus the best of each retriever: a passage one ranker
    puts first (a rare exact term for BM25, a paraphrase for the dense side) is kept
    even when the other ranker buries it."""
    pool = hits[:PASSAGES_FOR_SENTENCES]
    extra = [h for h in hits if (h.dense_rank or 99) <= 2 or (h.lexical_rank or 99) <= 2]
    return pool + [h for h in extra if h not in pool]


def compose(candidates: list[Candidate], index: KnowledgeIndex, max_sentences: int) -> str:
    """The best sentence, joined by the next best when it is nearly as good, in article order."""
    if not candidates:
        return ""
    best = candidates[0]
    chosen = [best]
    for cand in candidates[1:]:
        if len(chosen) >= max_sentences:
            break
        if cand.score >= best.score - 0.03 and cand.coverage >= best.coverage:
            chosen.append(cand)
    chosen.sort(key=lambda c: (index.passages[c.passage].start, c.sentence))
    sep = "" if has_cjk(best.text) else " "
    return sep.join(c.text for c in chosen)


def decide(
    settings: Settings, lang: str, terms: list[Term], hits: list[Hit], candidates: list[Candidate],
    index: KnowledgeIndex,
) -> Decision:
    if not hits or not candidates:
        return Decision(False, 0.0, 0.0, "nothing retrieved")
    missing = [t.text for t in terms if t.absent]
    if missing:  # "What is the rent …?": no article writes about rent in any wording
        return Decision(False, 0.0, 0.0, f"asks about {', '.join(missing)}: the articles never mention it")
    pool = sentence_pool(hits)
    # Grounding looks at the pool only: sentences drawn from deeper passages for their
    # shape choose the answer's wording, not whether the articles answer at all.
    in_pool = {h.index for h in pool}
    best_dense = max((c.dense for c in candidates if c.passage in in_pool), default=0.0)
    context = " ".join(
        f"{index.passages[h.index].title} {index.passages[h.index].section} {index.passages[h.index].text}"
        for h in pool
    )
    cov = coverage(terms, context)
    cross_lingual = (lang == "zh") != has_cjk(index.passages[hits[0].index].text)
    pivot, threshold = (
        (settings.grounding_pivot_cross, settings.grounding_threshold_cross)
        if cross_lingual
        else (settings.grounding_pivot, settings.grounding_threshold)
    )
    score = cov + settings.grounding_gain * (best_dense - pivot)
    reason = (
        f"{'cross-lingual ' if cross_lingual else ''}score {score:.2f} = coverage {cov:.2f} + "
        f"{settings.grounding_gain} x (cosine {best_dense:.3f} - {pivot}) vs threshold {threshold}"
    )
    return Decision(score >= threshold, cov, best_dense, reason, score, cross_lingual)


def sources_for(index: KnowledgeIndex, hits: list[Hit], k: int) -> list[Source]:
    out = []
    for hit in hits[:k]:
        p = index.passages[hit.index]
        out.append(Source(p.id, p.source, p.title, p.section, p.text, round(hit.fused, 6)))
    return out
