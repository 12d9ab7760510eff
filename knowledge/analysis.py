"""Question analysis, the first stage: what is asked, about what, in which language.

One pass over the user's text gives a typed `QuestionAnalysis`: the asking part apart from
courtesies and the user's own self-description ("我们是做储能设备的，…" names an industry to
match, not words an answer must contain), its embedding (retrieval searches with it), the
answer type the question asks for (small classifiers of its characters and its embedding,
fitted on questions generated from the articles), the key terms weighted by
rarity in the corpus (a word the corpus never uses is marked unknown: it is judged by the
dense side, it does not veto), years and numbers, and whether it leans on the previous turn.
Later stages read this result; none of them analyses the question again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from knowledge.facts import months, numbers, years
from knowledge.glossary import PARTICLES, phrase_key, spelled_in_pinyin, stem
from knowledge.lexical import Tokenizer
from knowledge.lexicon import (
    EN_ANAPHORA,
    EN_ATTRIBUTE_WORDS,
    EN_STOPWORDS,
    ZH_ANAPHORA,
    ZH_ATTRIBUTE_WORDS,
    ZH_STOPWORDS,
)
from knowledge.models import TypeClassifier
from knowledge.spelling import Spelling, english_words
from knowledge.text import detect_lang, has_cjk

# Courtesies carry no question: greetings, thanks, praise and emoji around the asking part.
_COURTESY_RE = re.compile(
    r"^(?:(?:你好|您好|哈喽|嗨|(?:hi|hello|hey|dear)\b|老师|客服|小助手|请问一下|请问|麻烦问一下|麻烦问下|麻烦|打扰了|打扰一下|想问一下|想问下|问一下|问下|咨询一下|我想咨询一下|我想了解一下|想了解一下)[\s,，!！~～。.、:：]*)+"
    # Each separator belongs to one side only: the pattern stays linear on "谢谢，谢谢，…".
    r"|[\s,，!！~～。.]*(?:(?:谢谢|多谢|感谢|谢啦|thanks|thank you|thx|太好了|好的|好滴|辛苦了|please)[\s,，!！~～。.]*)+$",
    re.I,
)
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+")
# "我们是做储能设备的，" / "我司主要从事…" / "We are a battery maker,": who is asking, not what.
_SELF_RE = re.compile(
    r"(?<![告诉帮给让])(?:我们|我司|本公司|我公司|我们公司|我们企业|我们团队|我家|我)(?:是|主要|目前|现在|这边)*"
    r"(?:做|从事|生产|经营|搞|研发|一家|家)[^，,。.!！？?]{1,30}?(?:的|企业|公司)?[，,。.!！]\s*"
    r"|^\s*(?:我们|我司|我公司|我们公司|我们企业|我们团队)是(?![否不])[^，,。.!！？?\d]{2,20}[，,。.!！]\s*"
    r"|^\s*(?:we|i)(?:'re| are| am|'m)\s+(?:a|an)?\s*(?:\w+\s+){0,5}?(?:company|maker|manufacturer|startup|firm|business|supplier)\b[^,.;?]*[,.;]\s*"
    r"|\bour (?:company|firm|startup|business)\s+(?:makes|does|builds|produces)\s+[^,.;?]*[,.;]\s*",
    re.I,
)
# Words by which the asker speaks of itself: a clause holding one, and the clauses after it up to
# the one that asks, state the asker's own situation ("我们实缴3000万", "设备大概投6000万",
# "We need about 500 sqm."). Not 我国/我市/我区: the country or city, as officials write.
_FIRST_PERSON_RE = re.compile(r"我们|我司|我公司|本公司|咱们|我(?![国市区省县])|\b(?:we|our|us|i|my)\b", re.I)
# Clause ends: Chinese punctuation, a comma not inside "10,000", an English full stop, a dash.
_CLAUSE_END_RE = re.compile(r"([，。；;！!？?]|,(?!\d{3})|\.(?=\s|$)|\s[-–—]+\s)")
_EN_FIRST_PERSON_RE = re.compile(r"\s*(?:we|i|our\s+\w+|my\s+\w+)\b", re.I)
_STATEMENT_END_RE = re.compile(r"[.;!,]\s+|\s[-–—]+\s*|—+")  # a full stop, comma or dash ends it
_EN_NAMED_RE = re.compile(r"\b[A-Z][a-z]+|\d")
# Words by which a question points back to what was said before it (not "there": "is there …").
_POINTS_BACK_RE = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those)\b", re.I)
_SPLIT_RE = re.compile(r"(?<=[？?])\s*|[；;]\s*(?=\S)|[，,]\s*(?:另外|还有|以及|顺便问一下|顺便问下|另外问一下|also|and also)[，,]?\s*", re.I)
# A clause asks something when it holds a question word (general Chinese and English interrogatives;
# the Southwestern Mandarin forms knowledge.lexicon lists: 好多, 好大, 没得, 啷个).
_ASK_RE = re.compile(r"多少|几[个家所项年月天位种条]|哪|什么|啥|吗|有没有|是否|怎么|咋|如何|多大|多久|多远|好多|好[大久远]|没得|啷个|\b(?:how|what|when|where|which|who)\b", re.I)
_QUESTION_MORPHEME_RE = re.compile(
    r"([\u4e00-\u9fff]{1,2})[不没]\1|哪一?[些个里儿家所位种类]?|什么样?|多少|[多好]大|好多|几[个项家所种]?|怎么样?|怎样|咋样?|如何|谁"
    r"|[了过着个吗呢吧啊呀嘛]"
)
# "哪个占地最大", "which has the largest site": the extreme of several stated values is asked.
_SUPERLATIVE_RE = re.compile(
    r"最(?P<zmax>[大多高长贵])|最(?P<zmin>[小少低短])"
    r"|\b(?P<emax>largest|biggest|most|highest|greatest|longest)\b|\b(?P<emin>smallest|least|lowest|fewest|shortest)\b",
    re.I,
)
_QUANTITY_ASK_RE = re.compile(r"多少|几|[多好][大久长高]|好多|\bhow\s+(?:much|many|long|big|large)\b", re.I)
_WHICH_RE = re.compile(r"哪|\bwhich\b", re.I)
# "多少人", "几所", "多少亩": the unit a quantity is asked in (not the generic 个, which counts anything).
_ASKED_UNIT_RE = re.compile(r"(?:多少|好多|几)\s*(平方公里|平方米|公顷|公里|小时|分钟|[家所人名位项件座条种类处栋套间辆台期批亩分届次倍年天])")
# Words that ask about the present (not a plan, not a past year's figure).
_NOW_RE = re.compile(r"现在|目前|如今|眼下|至今|截至目前|已经|\b(?:now|currently|so far|at present|already|to date)\b", re.I)
# "17年那次签约": a year written with two digits (not "满10年", "10年以上", "第10年").
_SHORT_YEAR_RE = re.compile(r"(?<![\d.第前后近满每共])(\d{2})(?=\s*年(?![以内期限]))")
_EN_PAIR_RE = re.compile(r"(?=\b([A-Za-z]+)\s+([A-Za-z]+)\b)")  # every two words in a row
# "how big", "how far", "how soon": the word after "how" is the dimension asked, which the answer
# type carries, as Chinese "多远" "多久" put it in a question morpheme.
_HOW_RE = re.compile(r"\bhow\s+([A-Za-z]+)", re.IGNORECASE)
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NAME_FLAGS = ("nr", "ns", "nt", "nz")
# Word classes that carry no topic (jieba's tags): conjunctions, adverbs, pronouns, directions,
# particles, prepositions, interjections. A word of these the corpus never uses ("或者", "大概")
# says nothing about what is asked; numerals and time words may ("去年"): they stay.
_FUNCTION_FLAGS = ("c", "d", "r", "f", "u", "p", "y", "e", "o", "zg")
ATTRIBUTE_WEIGHT = 0.35  # a word that asks for an attribute ("占地", "where") matters less than a subject
UNTYPED = {"definition": 1.0}  # no classifier (a corpus too small to fit one): any sentence about it


@dataclass(frozen=True)
class Term:
    text: str
    weight: float  # rarity in the corpus (idf)
    known: bool  # the corpus uses the word, or a glossary form of it
    subject: bool  # False for words that ask for an attribute
    name: bool  # a proper name (jieba's person, place, organisation and other name tags)
    forms: tuple[str, ...] = ()  # the word and the corpus words that say the same
    # Corpus words the (English) word is the head of ("town": 大学城): they show the word is
    # there, but are not its translations (retrieval does not search them).
    compounds: tuple[str, ...] = ()

    def found_in(self, lowered: str) -> bool:
        return any(form in lowered for form in self.forms) or any(c in lowered for c in self.compounds)


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str  # as asked, sanitised
    asked: str  # the asking part: courtesies and the user's self-description removed
    context: str  # the user's self-description, if any
    lang: str
    answer_type: str
    type_scores: Mapping[str, float]
    terms: tuple[Term, ...]
    years: frozenset[str]
    numbers: frozenset[str]
    months: frozenset[int] = frozenset()  # "4月份那场签约": the month names which event is meant
    followup: bool = False
    query: str = ""  # what retrieval searches: the asked part, after the previous subject for a follow-up
    context_terms: tuple[Term, ...] = field(default=())
    focus: Term | None = None  # the thing asked about, next to the question word ("多少个测试台")
    superlative: str = ""  # "max" or "min" when the extreme of several values is asked ("哪个占地最大")
    extreme_of: Term | None = None  # the attribute whose extreme is asked ("占地")
    kind: Term | None = None  # what the answer is a kind of: "哪些高校", "which policies", "平台有哪些"
    corrections: tuple[tuple[str, str], ...] = ()  # typos replaced ("whcih" → "which", "展地" → "占地")
    unit: str = ""  # the unit a quantity is asked in ("多少人" → 人, "多少亩" → 亩)
    now: bool = False  # asks what there is at present ("现在入驻了多少家", "so far")
    # Figures the asker states of itself ("我们实缴3000万"): no answer must state them, though a
    # policy's condition that does ("实缴注册资本3000万元以上的") speaks to the asker's case.
    own_numbers: frozenset[str] = frozenset()
    # The embedding of `query`, what retrieval searches (None until embedded; the type is read
    # from the asked part's, the same unless this is a follow-up).
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def known_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.known)

    def to_dict(self) -> dict[str, object]:
        return {
            "asked": self.asked, "context": self.context, "lang": self.lang, "answer_type": self.answer_type,
            "type_scores": {k: round(v, 3) for k, v in sorted(self.type_scores.items(), key=lambda kv: -kv[1])[:3]},
            "terms": [{"text": t.text, "weight": round(t.weight, 2), "known": t.known, "subject": t.subject,
                       "name": t.name} for t in self.terms],
            "focus": self.focus.text if self.focus else None,
            "years": sorted(self.years), "numbers": sorted(self.numbers), "own_numbers": sorted(self.own_numbers),
            "months": sorted(self.months), "followup": self.followup,
            "unit": self.unit, "kind": self.kind.text if self.kind else None, "corrections": [list(c) for c in self.corrections],
            "superlative": self.superlative, "extreme_of": self.extreme_of.text if self.extreme_of else None,
            "query": self.query, "now": self.now,
        }


def split_questions(text: str) -> list[str]:
    """The separate questions of one message ("A？B？", "A，另外B", "占地多少亩、总投资多少"), each
    with enough words; a clause joins the next question only when both ask something."""
    parts: list[str] = []
    for part in (p.strip(" ，,。") for p in _SPLIT_RE.split(text) if p and p.strip(" ，,。")):
        if parts and (_joins_previous(part) or _joins_previous(parts[-1])):
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    parts = [q for p in parts for q in _split_asks(p)]
    parts = [p for p in parts if len(re.findall(r"[\u4e00-\u9fff]|[A-Za-z]+", p)) >= 3]
    return parts if len(parts) > 1 else [text]


def _split_asks(text: str) -> list[str]:
    """"X占地多少亩、总投资多少" → "X占地多少亩", "X总投资多少": clauses that each ask, the later
    ones given the first one's subject (the words before its question word)."""
    clauses = [c for c in re.split(r"[，、]|,(?!\d{3})", text) if c.strip()]
    if len(clauses) < 2 or not all(_ASK_RE.search(c) and _asks(c) for c in clauses):
        return [text]
    subject = clauses[0][: _ASK_RE.search(clauses[0]).start()]
    head = re.match(r"^[\u4e00-\u9fff·]{2,}?(?=[\u4e00-\u9fff]{2}(?:多少|几|哪|什么|有没有|是否))", clauses[0])
    prefix = head.group(0) if head else subject
    if _FIRST_PERSON_RE.search(prefix):
        prefix = ""  # "我们能…": the asker is no subject the later clauses leave out
    return [clauses[0]] + [c if prefix and c.startswith(prefix) else f"{prefix}{c}" for c in clauses[1:]]


_A_NOT_A_RE = re.compile(r"([\u4e00-\u9fff])[不没]\1")  # "算不算", "搭不搭": a yes/no question


# "招了几个", "是几个", "挖几个": of the asker, 几 is "a few", not "how many" (asked of itself, a
# question has its question mark: "我们能申请几个名额？").
_A_FEW_RE = re.compile(r"几(?=[个位名家项条种])")


def _asks(clause: str, end: str = "") -> bool:
    if _FIRST_PERSON_RE.search(clause):
        clause = _A_FEW_RE.sub("", clause)  # "我们刚招了几个博士": what the asker did, not a question
    return bool(_ASK_RE.search(clause) or _A_NOT_A_RE.search(clause)) or end in ("？", "?")


def _joins_previous(part: str) -> bool:
    """A part that asks nothing and speaks of the asker ("…一亩？我们大概要拿50亩") is said about the
    question beside it, not a question of its own."""
    return not _asks(part, part[-1:]) and bool(_FIRST_PERSON_RE.search(part))


def _clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, the mark that ends it included."""
    ends = [m.end() for m in _CLAUSE_END_RE.finditer(text)]
    return list(zip([0, *ends], [*ends, len(text)], strict=True))


def split_trailing_statement(text: str) -> tuple[str, str]:
    """(the question, what the asker says of itself after it): "…多少钱一亩？我们大概要拿50亩",
    "How big is the valley? We need roughly 50 mu." The statement tells who asks, as a
    self-description before the question does; its words are not what the answer must hold."""
    asking = [end for start, end in _clauses(text) if _asks(text[start:end], text[end - 1:end])]
    rest = text[asking[-1]:] if asking else ""
    if not rest.strip(" ，,。.！!") or not _FIRST_PERSON_RE.search(rest):
        return text, ""
    return text[:asking[-1]].strip(" ，,"), rest.strip(" ，,。.！!")


def asker_numbers(text: str) -> set[str]:
    """The numbers the asker states only of itself: in a clause that speaks of the asker, or in one
    after it before the clause that asks ("我们准备上一条产线，设备投资大概6000万，补助按几个点算？").
    They describe the business, not the fact asked, so no answer has to state them."""
    own: set[str] = set()
    elsewhere: set[str] = set()
    speaking_of_itself = False
    for start, end in _clauses(text):
        clause = text[start:end]
        if _asks(clause, clause[-1:]):
            speaking_of_itself = False
        elif _FIRST_PERSON_RE.search(clause):
            speaking_of_itself = True
        (own if speaking_of_itself else elsewhere).update(numbers(clause))
    return own - elsewhere


def strip_courtesy(text: str) -> str:
    text = _EMOJI_RE.sub("", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _COURTESY_RE.sub("", text).strip()
    return text


def split_self_description(text: str) -> tuple[str, str]:
    """(asked part, self-description)."""
    match = _SELF_RE.search(text)
    if not match:
        return _english_statement(text)
    asked = (text[: match.start()] + text[match.end():]).strip()
    return (asked or text), match.group(0).strip(" ，,。.")


def _english_statement(text: str) -> tuple[str, str]:
    """An English first-person statement before the question says who asks, whatever its verb
    ("We supply EV parts. Which …?", "We design power chips - what …"), as `_SELF_RE`'s Chinese
    verbs do; not when it names something (a capitalised word, a figure: "We plan to move to
    Bishan, …") or the question points back to it ("We make chargers, is that one of …?")."""
    first = _EN_FIRST_PERSON_RE.match(text)
    end = _STATEMENT_END_RE.search(text, first.end()) if first else None
    if end is None:
        return text, ""
    statement, rest = text[: end.start()], text[end.end():].strip()
    asks = _ASK_RE.search(rest) or rest.endswith("?")
    if _ASK_RE.search(statement) or _EN_NAMED_RE.search(statement, first.end()) or not asks or _POINTS_BACK_RE.search(rest):
        return text, ""
    return rest, statement.strip()


_HOW_ADJECTIVE_RE = re.compile(r"多[久远长高]")  # "how long", "how far": asked of the thing before
# Question words before which the next noun is the kind of thing the answer is ("哪家企业",
# "什么项目", "哪一年", "which industries"), not a word the answering sentence must contain.
_KIND_ASK_RE = re.compile(r"哪|什么|啥|\b(?:which|what)\b", re.I)
# "what is the X of Y" / "which are the X": the noun phrase after the verb is the attribute asked.
_EN_COPULA_RE = re.compile(r"(?:\s+(?:is|are|was|were)|'s)\b", re.I)
# "how large", "how old": the adjective is the attribute; only "how many/much X" names a thing.
_EN_HOW_RE = re.compile(r"\bhow\s+(?!many\b|much\b)\w+", re.I)
_EN_MUCH_MANY_RE = re.compile(r"\s+(?:much|many)\b", re.I)
# Words that ask for the kind of the answer (as 哪/什么/谁 do): the noun after them is no focus.
_EN_KIND_ASK_RE = re.compile(r"\b(?:which|what|who)\b", re.I)
_EN_NP_END_RE = re.compile(r"\s+(?:of|for|in|at|on|by|from|with|to|does|do|did|has|have|will|can|and|or)\b|[?,.]", re.I)


def _positions(asked: str, terms: tuple[Term, ...]) -> list[tuple[int, Term]]:
    """(where it stands in the question, term), for the terms written in it."""
    lowered = asked.lower()
    return [(lowered.find(t.text.lower()), t) for t in terms if t.text.lower() in lowered]


def _first_after(spans: list[tuple[int, Term]], start: int, reach: int) -> Term | None:
    """The first term that starts at most `reach` characters after `start`."""
    after = [(pos, t) for pos, t in spans if start <= pos <= start + reach]
    return min(after, key=lambda pt: pt[0])[1] if after else None


def _last_before(spans: list[tuple[int, Term]], end: int) -> Term | None:
    """The term that ends last at or before `end`."""
    before = [(pos + len(t.text), t) for pos, t in spans if pos + len(t.text) <= end]
    return max(before, key=lambda pt: pt[0])[1] if before else None


def focus_of(asked: str, terms: tuple[Term, ...]) -> Term | None:
    """The thing a quantity or attribute question asks about, which the answering sentence must
    name: the counted thing after the question word ("多少个测试台", "how many companies"), or the
    attribute before it ("产值是多少", "what is the total investment of X" → investment).
    None for a question that names only the kind of its answer ("哪家企业", "什么项目",
    "which industries", "who built", "how much money") or asks with an adjective ("how large"):
    any sentence of that kind answers."""
    match = _ASK_RE.search(asked)
    if not match or not terms:
        return None
    spans = _positions(asked, terms)
    if not has_cjk(match.group(0)):
        found = _english_focus(asked.lower(), match, spans)
    else:
        # "多少个X": the counted thing stands in the clause that asks ("最长几年，最多补多少" counts no 补).
        # "多久能办下来", "多远能到": how long or far is asked of what comes before; a verb follows.
        clause_end = re.search(r"[，,。；;？?！!、]", asked[match.end():])
        reach = min(3, clause_end.start() - 1) if clause_end else 3
        counted = None if _HOW_ADJECTIVE_RE.fullmatch(match.group(0)) else _first_after(spans, match.end(), reach)
        if counted is not None:
            found = None if _KIND_ASK_RE.match(match.group(0)) else counted
        else:
            found = _last_before(spans, match.start())
    # An attribute word no article uses names only the kind of answer ("how much money", "what
    # was the number", "投资金额是多少"): no sentence names it, and none needs to.
    return None if found is not None and not found.known and not found.subject else found


def kind_of(asked: str, terms: tuple[Term, ...]) -> Term | None:
    """The kind of thing a "which" question asks for: the noun after 哪些/什么/which ("有哪些高校",
    "which policies"), else the one before it ("平台有哪些")."""
    match = _KIND_ASK_RE.search(asked)
    if not match:
        return None
    spans = _positions(asked, terms)
    cjk = has_cjk(match.group(0))
    kind = _first_after(spans, match.end(), 4 if cjk else 16)
    if kind is None:
        return _last_before(spans, match.start()) if cjk else None
    if not cjk:
        return kind  # "which policies support …": the first noun
    # Chinese is head-last: "哪些科技创新平台" asks for 平台, the end of the run of words.
    pos = next(p for p, t in spans if t is kind)
    for nxt, term in sorted(spans, key=lambda pt: pt[0]):
        if nxt == pos + len(kind.text):
            pos, kind = nxt, term
    return kind


def superlative_of(asked: str, terms: tuple[Term, ...]) -> tuple[str, Term | None]:
    """("max" | "min" | "", the attribute compared): the word before "最大" in Chinese ("占地最大"),
    the word after "largest" in English ("the largest investment")."""
    match = _SUPERLATIVE_RE.search(asked)
    if not match:
        return "", None
    if _QUANTITY_ASK_RE.search(asked) and not _WHICH_RE.search(asked):
        # "最高奖励多少", "最多能补几年", "how much at most": the cap one sentence states is asked,
        # not the largest of several values.
        return "", None
    kind = "max" if match.group("zmax") or match.group("emax") else "min"
    spans = _positions(asked, terms)
    if has_cjk(match.group(0)):
        return kind, _last_before(spans, match.start())
    return kind, _first_after(spans, match.end(), 20)


def unit_of(asked: str) -> str:
    match = _ASKED_UNIT_RE.search(asked)
    return match.group(1) if match else ""


def _english_focus(lowered: str, match: re.Match[str], spans: list[tuple[int, Term]]) -> Term | None:
    if _EN_HOW_RE.match(lowered, match.start()):
        return None
    start = match.end()
    quantity = _EN_MUCH_MANY_RE.match(lowered, start)
    copula = _EN_COPULA_RE.match(lowered, quantity.end() if quantity else start)  # "how much is the X"
    if _EN_KIND_ASK_RE.match(match.group(0)) and not copula:
        return None  # "which industries …", "who launched …": the answer's kind is asked
    if copula:  # the head of the noun phrase after the verb: its last word before "of", "in", …
        start = copula.end()
        end = _EN_NP_END_RE.search(lowered, start)
        inside = [(pos, t) for pos, t in spans if start <= pos < (end.start() if end else len(lowered))]
        return max(inside, key=lambda pt: pt[0])[1] if inside else None
    return _first_after(spans, start, 16)  # "how many (big) Xs"


_CONTRACTION_RE = re.compile(r"(.+?)(?:n'?t|'?s|'?re|'?m|'?ve|'?ll|'?d)")
_CONTRACTED = EN_STOPWORDS | {"ca", "wo"}  # "can't", "won't"


def is_english_function_word(word: str) -> bool:
    """An English word that says how, not what, like the Chinese function words jieba tags: an
    -ly adverb made of a dictionary word ("roughly", "exactly", "officially"; not "supply",
    "family", "July"), or a function word contracted, with or without its apostrophe ("doesnt",
    "whats", "theyre")."""
    lowered = word.lower()
    if has_cjk(lowered):
        return False
    contracted = _CONTRACTION_RE.fullmatch(lowered)
    if contracted and contracted.group(1) in _CONTRACTED:
        return True
    if not lowered.endswith("ly"):
        return False
    base = f"{lowered[:-3]}y" if lowered.endswith("ily") else lowered[:-2]
    return len(base) >= 4 and base in english_words()  # not "Italy", "apply", "reply"


def with_type(analysis: QuestionAnalysis, classifier: TypeClassifier | None, asked: np.ndarray,
              query: np.ndarray) -> QuestionAnalysis:
    """The analysis with what `classifier` reads its asked part (`asked`: that part's embedding)
    to ask for, and the embedding of its query (`query`) for retrieval."""
    scores = classifier.scores(analysis.asked, asked) if classifier else UNTYPED
    return replace(analysis, vector=query, type_scores=scores, answer_type=max(scores, key=scores.__getitem__))


class Analyzer:
    """Analyses questions against one built index (its word statistics and glossary)."""

    def __init__(
        self, tokenizer: Tokenizer, df: Mapping[str, int], n_docs: int,
        glossary: Mapping[str, list[str]], classifier: TypeClassifier | None = None,
        spelling: Spelling | None = None, compounds: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.df = df
        self.n_docs = max(n_docs, 1)
        self.glossary = glossary
        self.classifier = classifier
        self.spelling = spelling  # typos; None leaves the words as typed
        self.compounds = compounds or {}  # English stem -> corpus words it heads (knowledge.glossary)

    def analyse(self, text: str, previous: QuestionAnalysis | None = None,
                embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                same_message: bool = False) -> QuestionAnalysis:
        """`same_message`: `previous` is an earlier part of the same message, not the turn before.
        `embed`: queries' embeddings. Without it the analysis is left untyped and unembedded: a
        previous turn's (only its query and terms carry over), and the build's fit's, which embeds
        its thousands of questions in batches and then types them (`with_type`)."""
        cleaned = strip_courtesy(text) or text
        cleaned, corrections = self.spelling.fix(cleaned) if self.spelling else (cleaned, ())
        cleaned, expanded = self.full_years(cleaned)
        corrections += expanded
        asked, context = split_self_description(cleaned)
        asked, after = split_trailing_statement(asked)
        context = " ".join(c for c in (context, after) if c)
        lang = detect_lang(asked)
        of_itself = asker_numbers(cleaned)
        terms = tuple(t for t in self.terms(asked) if t.text not in of_itself)  # no answer need state them
        followup = previous is not None and self.leans_on_previous(asked, terms)
        superlative, extreme_of = superlative_of(asked, terms)
        query = asked
        if followup and previous is not None:
            query = f"{previous.query} {asked}"
            own = {t.text for t in terms}
            # The previous question supplies the subject; this one the attribute asked for.
            terms = terms + tuple(t for t in previous.terms if t.subject and t.text not in own)
        elif same_message and previous is not None and not any(t.name for t in terms):
            # "<a park>哪年成立的？占地多大？": the place or body a message names holds for its
            # later parts until one names another; what else the first part asks does not. The
            # name is checked in the answer's article, not searched: the part's own words find it.
            terms = terms + tuple(t for t in previous.terms if t.name)
        asked_years, asked_months, now = years(asked), months(asked), _NOW_RE.search(asked) is not None
        if followup and previous is not None and not (asked_years or asked_months or now):
            # "17年那次签约是几号？一共投了多少？": the time the conversation is about holds until
            # the question names another.
            asked_years, asked_months, now = previous.years, previous.months, previous.now
        analysis = QuestionAnalysis(
            text=text, asked=asked, context=context, lang=lang, answer_type="definition", type_scores=UNTYPED,
            terms=terms, years=frozenset(asked_years), numbers=frozenset(numbers(asked) - of_itself),
            own_numbers=frozenset(of_itself),
            months=frozenset(asked_months),
            followup=followup, query=query, context_terms=self.terms(context) if context else (),
            focus=focus_of(asked, terms), superlative=superlative, extreme_of=extreme_of,
            kind=kind_of(asked, terms), corrections=corrections, unit=unit_of(asked), now=now,
        )
        if embed is None:
            return analysis
        vectors = embed([asked] if query == asked else [asked, query])  # a follow-up's two in one batch
        return with_type(analysis, self.classifier, vectors[0], vectors[-1])

    def full_years(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """"17年那次签约" → "2017年那次签约" when the articles state the year 2017: people write
        years with two digits, the articles with four; a two-digit number would be asked as a number.
        Returns the text and the (as written, as read) replacements."""
        found: list[tuple[str, str]] = []

        def expand(match: re.Match[str]) -> str:
            year = f"20{match.group(1)}"
            if not self.df.get(year):
                return match.group(0)
            found.append((match.group(1) + "年", year + "年"))
            return year

        return _SHORT_YEAR_RE.sub(expand, text), tuple(found)

    def terms(self, text: str) -> tuple[Term, ...]:
        """Content words weighted by rarity in the corpus; glossary forms let English words match."""
        tagged = self.tokenizer.tagged(text)
        names = {w for w, flag in tagged if flag.startswith(_NAME_FLAGS)}
        function = {w for w, flag in tagged if flag.startswith(_FUNCTION_FLAGS) and has_cjk(w)}
        phrasal = self.phrasal_senses(text)
        asked_dimension = {w.lower() for w in _HOW_RE.findall(text)}
        out: dict[str, Term] = {}
        for raw in self._dictionary_pieces(self.tokenizer.words(_THOUSANDS_RE.sub("", text)), names):
            word = _QUESTION_MORPHEME_RE.sub("", raw) if has_cjk(raw) else raw.replace(".", "")  # "ph.d" is "phd"
            if len(word) < 2 or (not has_cjk(word) and word in EN_ANAPHORA) or _SUPERLATIVE_RE.fullmatch(word):
                continue  # single characters match everywhere and mean little alone; "最大" asks
            if has_cjk(word) and raw not in names and not self.df.get(word):
                word = self.corpus_core(word)
            forms = tuple(dict.fromkeys((word, *phrasal.get(word, ()), *self.senses(word))))
            seen = max(self.df.get(w, 0) for w in forms)
            if not seen and (raw in function or is_english_function_word(word) or word.lower() in asked_dimension
                             or _NOW_RE.fullmatch(word)):
                # An unknown function word, asked dimension ("how far") or time of asking ("now", the
                # analysis's `now`) would weigh the most and read as something the articles lack; a
                # known one is kept ("一期", "how reliable").
                continue
            subject = word not in ZH_ATTRIBUTE_WORDS and word not in EN_ATTRIBUTE_WORDS
            idf = math.log(1.0 + self.n_docs / (seen + 0.5))
            # An English capital also starts sentences and titles: an English word is a name when it
            # spells a corpus word in pinyin ("Bishan" for 璧山, "Jiangbei" for 江北).
            is_name = raw in names or (not has_cjk(word) and any(spelled_in_pinyin(word, f) for f in forms[1:]))
            heads = () if has_cjk(word) else tuple(self.compounds.get(stem(word), ()))
            out[word] = Term(word, idf * (1.0 if subject else ATTRIBUTE_WEIGHT), seen > 0, subject, is_name,
                             tuple(f.lower() for f in forms), heads)
        return tuple(out.values())

    def _dictionary_pieces(self, words: list[str], names: set[str]) -> list[str]:
        """jieba's HMM glues characters it cannot place into new words ("最多能", "想租", "能建好");
        a word neither its dictionary nor the corpus knows, and not a name, is cut by the
        dictionary alone ("最多" "能"): the guessed word would count as an unknown subject, the
        heaviest term of the question."""
        out: list[str] = []
        for word in words:
            if has_cjk(word) and len(word) > 1 and word not in names and not self.df.get(word) \
                    and not self.tokenizer.is_word(word):
                out.extend(p for p in self.tokenizer.dictionary_words(word) if p not in ZH_STOPWORDS)
            else:
                out.append(word)
        return out

    def phrasal_senses(self, text: str) -> dict[str, tuple[str, ...]]:
        """An English verb → what it means with the particle that follows it ("set up" → 设立,
        成立; "moved in" → 迁入): the glossary's phrases, read before the verb's own senses
        ("set" alone is 系列), which stay for a verb used without one."""
        out: dict[str, tuple[str, ...]] = {}
        for verb, particle in _EN_PAIR_RE.findall(text):
            if particle.lower() in PARTICLES and (found := self.glossary.get(phrase_key(verb, particle))):
                out[verb.lower()] = (*out.get(verb.lower(), ()), *found)
        return out

    def senses(self, word: str) -> tuple[str, ...]:
        """The corpus wordings the glossary gives for `word`. English words are looked up stemmed,
        names spelled in pinyin as written ("chongqing"); a hyphenated compound the glossary lacks
        means what its head, the last part, does ("sci-tech" → tech's 科技, "e-commerce" → commerce's;
        the other parts modify it, and their own senses mislead: "duty-free" is not about duty)."""
        if has_cjk(word):
            return tuple(self.glossary.get(word, ()))
        found = (*self.glossary.get(stem(word), ()), *self.glossary.get(word.lower(), ()))
        head = word.rsplit("-", 1)[-1]
        if not found and head != word and head:
            found = self.senses(head)
        return tuple(dict.fromkeys(f for f in found if f != word))

    def corpus_core(self, word: str) -> str:
        """A word the corpus never uses that is a corpus word with one character glued on in front
        by the segmenter ("大面积" in "有多大面积") is that corpus word; else the word itself. Only
        in front: a Chinese word's last character is its head ("光刻机" is no "光刻"). The caller
        leaves names whole."""
        core = word[1:]
        return core if len(core) >= 2 and self.df.get(core) else word

    def leans_on_previous(self, asked: str, terms: tuple[Term, ...]) -> bool:
        """A follow-up points back ("它", "it", "当时") or names no subject of its own: only
        attribute words ("占地多大？") or actions ("建成以后主要用来做什么？")."""
        if set(self.tokenizer.segment(asked)) & (ZH_ANAPHORA | EN_ANAPHORA):
            return True
        subjects = [t for t in terms if t.subject]
        if not subjects:
            return True
        verbs = self.tokenizer.verbs(asked)
        return all(t.text in verbs for t in subjects)
