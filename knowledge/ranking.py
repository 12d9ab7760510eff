"""Sentence ranking, the third stage: candidate sentences from the retrieved passages, each
described by features and ordered by a fitted model.

The features are what a reader checks: is the sentence close in meaning (cosines), does it
name what the question names (coverage of the terms the corpus knows, names in the sentence,
its section or its article's title), does it state a fact of the asked type next to those
words, do the question's years and numbers agree with it. The ranker learned their weights
on questions generated from the articles (knowledge.fit); nothing here is a hand-set bonus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.analysis import QuestionAnalysis, Term
from knowledge.facts import FACT_TYPES, QUANTITIES, Fact, in_unit, numbers, years
from knowledge.models import LogisticModel
from knowledge.retrieve import Hit
from knowledge.text import has_cjk

PASSAGES_FOR_SENTENCES = 4  # sentences come from this many fused passages, plus each retriever's top two

FEATURES = (
    "cos_sentence", "cos_margin", "cos_passage", "bm25", "fused_rank", "known_cov_sentence",
    "known_cov_passage", "unknown_share", "name_cov", "unknown_name", "type_fact", "type_fact_near",
    "year_agree", "number_agree", "cross_lingual", "cross_cos", "position", "context_cov", "title_cov",
    "with_previous_cov", "attr_cov_sentence", "focus_near", "focus_known", "list_head", "unit_agree", "cos_z",
    "name_in_article", "group_member",
)
NORM_SAMPLE = 2048  # sentences a question's cosines are standardised against (evenly spaced over a larger build)


@dataclass(frozen=True)
class Candidate:
    passage: int  # index of the passage in the build
    sentence: int  # index of the sentence within the passage
    row: int  # row of the sentence in the build's sentence vectors
    text: str
    features: np.ndarray  # in the order of FEATURES
    facts: tuple[Fact, ...]
    score: float = 0.0  # the ranker's probability that this sentence answers

    def feature(self, name: str) -> float:
        return float(self.features[FEATURES.index(name)])

    def explain(self) -> dict[str, float]:
        return {n: round(float(v), 3) for n, v in zip(FEATURES, self.features, strict=True)}


def coverage(terms: tuple[Term, ...], text: str, implied: tuple[Term, ...] = ()) -> float:
    """Share of the terms' weight found in `text`; `implied` terms count as found anyway."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 1.0
    lowered = text.lower()
    return sum(t.weight for t in terms if t in implied or t.found_in(lowered)) / total


def left_to_article(common: tuple[Term, ...], article: str, names: tuple[Term, ...] = (), title: str = "") -> tuple[Term, ...]:
    """The words a sentence may leave to its article: the `common` words (neither names nor
    attributes) the article uses, as investors add words of the topic ("园区", "项目"); and the
    `names` its `title` holds, as an article says "创新港…" of the 西永微电子创新港 its title names."""
    lowered = title.lower()
    return tuple(t for t in common if t.found_in(article)) + tuple(t for t in names if t.found_in(lowered))


def _agreement(asked: frozenset[str], stated: set[str]) -> float:
    """1 when the sentence states what the question names, -1 when it states only other values."""
    if not asked:
        return 0.0
    if asked & stated:
        return 1.0
    return -1.0 if stated else -0.5


def number_agreement(analysis: QuestionAnalysis, stated: set[str]) -> float:
    """As `_agreement` for the figures asked; the asker's own figures only agree, never contradict."""
    if analysis.numbers:
        return _agreement(analysis.numbers, stated)
    return 1.0 if analysis.own_numbers & stated else 0.0


def sentence_pool(hits: list[Hit]) -> list[Hit]:
    pool = hits[:PASSAGES_FOR_SENTENCES]
    extra = [h for h in hits if (h.dense_rank or 99) <= 2 or (h.lexical_rank or 99) <= 2]
    return pool + [h for h in extra if h not in pool]


def candidates(
    index, analysis: QuestionAnalysis, query_vector: np.ndarray, hits: list[Hit],
    facts_of: Callable[[str], tuple[Fact, ...]],
) -> list[Candidate]:
    """Every sentence of the pooled passages with its features (unranked)."""
    pool = sentence_pool(hits)
    if not pool:
        return []
    known = analysis.known_terms
    names = tuple(t for t in analysis.terms if t.name or (t.known and t.subject and t.weight >= 2.0))
    # What is asked about the subject ("产值" in "X的产值是多少"): the known words that are not names.
    attributes = tuple(t for t in known if t not in names) or known
    common = tuple(t for t in known if t.subject and t not in names)
    unknown_weight = sum(t.weight for t in analysis.terms if not t.known)
    total_weight = sum(t.weight for t in analysis.terms) or 1.0
    unknown_name = float(any(t.name and not t.known for t in analysis.terms))
    proper = tuple(t for t in known if t.name)  # places, parks, companies the corpus knows
    asked_forms = question_forms(analysis.terms)
    max_lexical = max((h.lexical or 0.0 for h in hits), default=0.0) or 1.0
    min_dense = min((h.dense for h in hits if h.dense is not None), default=0.0)
    q_zh = analysis.lang == "zh"
    baseline_mean, baseline_std = cosine_baseline(index.sentence_vectors, query_vector)
    rows: list[tuple] = []
    seen: set[str] = set()
    for rank, hit in enumerate(hits, start=1):
        if hit not in pool:
            continue
        passage = index.passages[hit.index]
        first = int(index.sentence_offsets[hit.index])
        passage_text = f"{passage.title} {passage.section} {passage.text}"
        cov_passage = coverage(known, passage_text)
        article = index.article_texts.get(passage.source, "")
        implied = left_to_article(common, article, names, passage.title)  # once per passage
        # Another park's or company's name: its figures are not this article's.
        named_here = coverage(proper, article) if proper else 1.0
        passage_years, passage_numbers = years(passage.text), numbers(passage.text)
        sentences = passage.sentence_texts()
        for j, sentence in enumerate(sentences):
            if sentence in seen:  # overlapping passages repeat sentences
                continue
            seen.add(sentence)
            cos = float(index.sentence_vectors[first + j] @ query_vector)
            facts = facts_of(sentence)
            answers = tuple(f for f in facts if not restates_question(f, asked_forms))
            own = f"{passage.section} {sentence}"
            type_fact, near = _type_match(analysis, answers, sentence, attributes)
            previous = sentences[j - 1] if j else ""
            s_years = years(sentence) or passage_years
            rows.append((hit, rank, first + j, j, sentence, facts, [
                cos, 0.0, hit.dense if hit.dense is not None else min_dense, (hit.lexical or 0.0) / max_lexical,
                1.0 / rank, coverage(known, own, implied), cov_passage, unknown_weight / total_weight,
                coverage(names, f"{passage.title} {passage.section} {previous} {sentence}") if names else 1.0,
                unknown_name, type_fact, near,
                _agreement(analysis.years, s_years), number_agreement(analysis, numbers(sentence) | passage_numbers),
                float(q_zh != has_cjk(sentence)), float(q_zh != has_cjk(sentence)) * cos, 1.0 / (1 + j),
                coverage(analysis.context_terms, own) if analysis.context_terms else 0.0,
                coverage(known, passage.title), coverage(known, f"{passage.section} {previous} {sentence}"),
                coverage(attributes, sentence), _focus_near(analysis, answers, sentence, f"{passage.section} {previous}"),
                float(analysis.focus is not None and analysis.focus.known),
                list_head(analysis.kind or analysis.focus, sentence),  # "多少所高校" counts a kind too
                unit_agreement(analysis.unit, facts),
                (cos - baseline_mean) / baseline_std,
                named_here,
                group_member(proper, sentence, facts, f"{passage.title} {passage.section}"),
            ]))
    best_cos = max(r[6][0] for r in rows) if rows else 0.0
    out = []
    for hit, _rank, row, j, sentence, facts, values in rows:
        values[1] = values[0] - best_cos
        out.append(Candidate(hit.index, j, row, sentence, np.asarray(values, dtype=np.float32), facts))
    return out


def cosine_baseline(sentence_vectors: np.ndarray, query_vector: np.ndarray) -> tuple[float, float]:
    """Mean and spread of the question's cosines over the build's sentences. A cosine means
    something only against them: an English question's cosines with Chinese sentences all run
    lower, and the right sentence stands out from that lower crowd as far as a Chinese one does."""
    step = max(1, len(sentence_vectors) // NORM_SAMPLE)
    cosines = sentence_vectors[::step] @ query_vector
    if len(cosines) < 2:
        return 0.0, 1.0
    return float(cosines.mean()), float(cosines.std()) or 1.0


ENTITY_TYPES = ("organisation", "place")  # facts that are a name, which the answer must add


def question_forms(terms: tuple[Term, ...]) -> tuple[str, ...]:
    """Every form of the question's terms, the longest first (once per question)."""
    return tuple(sorted((f for t in terms for f in t.forms), key=len, reverse=True))


def restates_question(fact: Fact, forms: tuple[str, ...]) -> bool:
    """True for a name made only of the question's own words (`forms`, from question_forms): in
    "科创中心由哪家公司承建" the organisation "科创中心" is what is asked about, not who built it."""
    if fact.type not in ENTITY_TYPES:
        return False
    rest = fact.text.lower()
    for form in forms:
        rest = rest.replace(form, " ")
    return not re.search(r"[\u4e00-\u9fff]{2}|[a-z0-9]{3}", rest)


def _type_match(
    analysis: QuestionAnalysis, facts: tuple[Fact, ...], sentence: str, attributes: tuple[Term, ...],
) -> tuple[float, float]:
    """(probability mass of the asked types the sentence states a fact of; the same, each fact
    weighted by how much of what is asked its clause names: "工业产值突破400亿元" for "产值多少",
    and a list by whether it lists the kind asked for)."""
    scores = analysis.type_scores
    stated = {f.type for f in facts}
    near: dict[str, float] = {}
    kind = analysis.kind or analysis.focus
    for f in facts:
        clause = f.clause_text(sentence)
        # A list answers "哪些高校" when 高校 is what it lists ("…等高校16所"), not one of its items
        # ("高校、企业、研发机构等84家会员").
        close = list_head(kind, clause) if f.type == "list" and kind is not None else coverage(attributes, clause)
        near[f.type] = max(near.get(f.type, 0.0), close)
    # "What is X" and "is there X" are answered by any sentence about X.
    descriptive = sum(p for t, p in scores.items() if t not in FACT_TYPES)
    return (
        sum(scores.get(t, 0.0) for t in stated) + descriptive,
        sum(scores.get(t, 0.0) * v for t, v in near.items()) + descriptive,
    )


def _focus_near(analysis: QuestionAnalysis, facts: tuple[Fact, ...], sentence: str, context: str) -> float:
    """1 when the thing asked about stands next to a fact of the asked type ("12个测试台" for
    "多少个测试台"), 0.5 when it is only somewhere in the sentence or the heading or sentence
    before it, 0 when absent."""
    focus = analysis.focus
    if focus is None:
        return 1.0
    asked = {t for t, p in analysis.type_scores.items() if p >= 0.2}
    clauses = [f.clause_text(sentence).lower() for f in facts if f.type in asked]
    if any(focus.found_in(c) for c in clauses):
        return 1.0
    # A Chinese word sharing two characters with the clause is often another wording of it
    # ("用地面积" for "占地面积"); a word sharing none ("测试台" against "机器人一批") is not.
    pairs = {focus.text[i:i + 2] for i in range(len(focus.text) - 1)} if has_cjk(focus.text) else set()
    if any(pair in c for pair in pairs for c in clauses):
        return 0.75
    return 0.5 if focus.found_in(f"{context} {sentence}".lower()) else 0.0


def list_head(kind: Term | None, sentence: str) -> float:
    """1 when the sentence lists things of the asked kind: "重庆大学、陆军军医大学等高校16所" for
    "有哪些高校" (Chinese names its list's kind after 等, head last: "等科技创新实体平台" for
    "平台", or before a colon or dash that opens the items: "四大产业集群——A、B、C"),
    "… and other universities", "industries: A, B and C"; 0 when "高校" is only one item of a
    list of members."""
    if kind is None:
        return 0.0
    lowered = sentence.lower()
    for form in kind.forms:
        head = re.escape(form[-2:] if has_cjk(form) else form)
        if has_cjk(form) and (re.search(rf"等[^，。；、,;]{{0,10}}?{head}", lowered)
                              or re.search(rf"{head}[^，。；、,;：:]{{0,6}}(?:——|：|:)[^。；;]*、", lowered)):
            return 1.0
        if not has_cjk(form) and (re.search(rf"\band other (?:\w+ ){{0,3}}{head}", lowered)
                                  or re.search(rf"\b{head}\w*(?: \w+){{0,2}}(?::| such as| including) [^.;]*,", lowered)):
            return 1.0
    return 0.0


def group_member(names: tuple[Term, ...], sentence: str, facts: tuple[Fact, ...], heading: str) -> float:
    """1 when a name the question gives (a company, a place) stands in the sentence only as one
    item of a group ("签约了A、B、C等8个项目，总投资40亿元" for "A投了多少"): the sentence's
    figures are the group's, not that item's. A name in the passage's `heading` (its title and
    section) is what the article is about, whatever item it also begins ("西永…研究院")."""
    spans = [span for f in facts for span in f.items]
    lowered_heading = heading.lower()
    names = tuple(t for t in names if not t.found_in(lowered_heading))
    if not spans or not names:
        return 0.0
    outside = sentence
    for a, b in spans:  # the spans index the sentence as written: lowercase after cutting
        outside = outside[:a] + " " * (b - a) + outside[b:]
    items = [sentence[a:b].lower() for a, b in spans]
    outside = outside.lower()
    return float(any(not t.found_in(outside) and any(t.found_in(item) for item in items) for t in names))


# "作为大学城科技产业园内的研发创新基地": a place (the run before 内的 / 里的 / 中的) and the thing in it.
_PLACE_AND_THING_RE = re.compile(r"([\u4e00-\u9fff]{2,12}?)(?:[内里]的|中的)([\u4e00-\u9fff]{2,12})")
_ASKS_INSIDE_RE = re.compile(r"[内里]的|中的|里[有面]|\b(?:in|inside|within) (?:the|it)\b", re.I)


def located_in(subjects: tuple[Term, ...], sentence: str, asked: str) -> bool:
    """True when the sentence names what the question is about only as the place of something
    else the question does not name ("它将作为X园区内的研发基地，占地约300亩" for "X园区占地多大"):
    its figures are that thing's. False when the question asks about what is inside a place
    itself ("园区里有哪些企业"), or names the thing ("X园区的研发基地占地多少")."""
    if _ASKS_INSIDE_RE.search(asked):
        return False
    return any(
        any(t.found_in(place) for t in subjects) and not any(t.found_in(thing) for t in subjects)
        for place, thing in _PLACE_AND_THING_RE.findall(sentence.lower())
    )


def unit_agreement(unit: str, facts: tuple[Fact, ...]) -> float:
    """1 when the sentence states a quantity in the unit asked ("9万余人" for "多少人", "80分" for
    "多少分"), -1 when it states quantities only in other units, 0 when no unit is asked."""
    if not unit:
        return 0.0
    quantities = [f.text for f in facts if f.type in QUANTITIES]
    if any(in_unit(q, unit) for q in quantities):
        return 1.0
    return -1.0 if quantities else 0.0


def rank(cands: list[Candidate], model: LogisticModel | None) -> list[Candidate]:
    """Candidates best first by the ranker's probability (by cosine when no model is fitted)."""
    if not cands:
        return []
    if model is None:
        scores = [c.feature("cos_sentence") for c in cands]
    else:
        scores = model.prob(np.stack([c.features for c in cands])).tolist()
    ranked = [Candidate(c.passage, c.sentence, c.row, c.text, c.features, c.facts, float(s))
              for c, s in zip(cands, scores, strict=True)]
    return sorted(ranked, key=lambda c: -c.score)
