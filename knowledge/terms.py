"""What a question is about: its key terms, their weights, and whether a text covers them."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from knowledge.glossary import stem
from knowledge.lexical import Tokenizer
from knowledge.lexicon import (
    EN_ANAPHORA,
    EN_ATTRIBUTE_WORDS,
    ZH_ANAPHORA,
    ZH_ATTRIBUTE_WORDS,
)
from knowledge.text import has_cjk

ATTRIBUTE_WEIGHT = 0.35  # an attribute word ("占地", "where") matters less than the subject
# Question morphemes jieba leaves glued to content words ("哪些项目", "哪三大", "建了").
# "10,000" is one number, which the glossary can translate (万), not the words "10" and "000".
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# Numbers, in digits or words: the vocabulary maps them for matching, not as subjects.
_NUMBER_RE = re.compile(
    r"^(\d[\d.]*|one|two|three|four|five|six|seven|eight|nine|ten|hundreds?|thousands?|millions?|billions?)$"
)
# Question forms inside a word; "多不多", "大不大" (A-not-A) ask "how many/how big".
_QUESTION_MORPHEME_RE = re.compile(
    r"([\u4e00-\u9fff]{1,2})[不没]\1|哪[些个里儿家所位种类]?|什么样?|多少|多大|几[个项家所种]?|怎么样?|怎样|如何|谁"
    r"|[了过着个吗呢吧]"
)


@dataclass(frozen=True)
class Term:
    text: str
    weight: float
    subject: bool  # False for words that ask for an attribute
    alternatives: tuple[str, ...] = ()  # corpus words that translate it (English terms)
    # The vocabulary knows how this English word is written in Chinese ("rent" → 租金, 租赁, …)
    # and the articles use none of those words: they cannot answer a question about it.
    absent: bool = False

    def forms(self) -> tuple[str, ...]:
        return (self.text, *self.alternatives)


def key_terms(
    question: str,
    tokenizer: Tokenizer,
    df: Mapping[str, int],
    n_docs: int,
    glossary: Mapping[str, list[str]] | None = None,
) -> list[Term]:
    """Content words of a question, weighted by rarity in the corpus (unseen words weigh most).

    Words carry the corpus words the glossary gives for them (translations of an
    English word, other wordings of a Chinese one) and weigh as much as the most
    common of their forms (or as an unseen word when the corpus has none).
    """
    glossary = glossary or {}
    terms: dict[str, Term] = {}
    for raw in tokenizer.words(_THOUSANDS_RE.sub("", question)):
        word = _QUESTION_MORPHEME_RE.sub("", raw) if has_cjk(raw) else raw
        if has_cjk(word) and len(word) < 2:
            continue  # single characters match everywhere and mean little alone
        if not has_cjk(word) and (len(word) < 2 or word in EN_ANAPHORA):
            continue
        subject = word not in ZH_ATTRIBUTE_WORDS and word not in EN_ATTRIBUTE_WORDS
        key = word if has_cjk(word) else stem(word)
        alternatives = tuple(glossary.get(key, ()))
        seen = max((df.get(w, 0) for w in (word, *alternatives)), default=0)
        idf = math.log(1.0 + n_docs / (seen + 0.5))
        absent = (not has_cjk(word) and key in glossary and not alternatives and not seen
                  and not _NUMBER_RE.match(word))  # fmt: skip
        terms[word] = Term(word, idf * (1.0 if subject else ATTRIBUTE_WEIGHT), subject, alternatives, absent)
    return list(terms.values())


def coverage(terms: Iterable[Term], text: str) -> float:
    """Weighted share of the terms that occur in `text` (1.0 when there are no terms to check)."""
    terms = list(terms)
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    lowered = text.lower()
    return sum(t.weight for t in terms if any(form in lowered for form in t.forms())) / total


def leans_on_previous(question: str, tokenizer: Tokenizer, terms: list[Term]) -> bool:
    """A follow-up points back ("它", "it", "当时") or names no subject of its own: only
    attribute words ("占地多大？") or actions ("建成以后主要用来做什么？")."""
    if set(tokenizer.segment(question)) & (ZH_ANAPHORA | EN_ANAPHORA):
        return True
    subjects = [t for t in terms if t.subject]
    if not subjects:
        return True
    verbs = tokenizer.verbs(question)
    return all(t.text in verbs for t in subjects)
