"""Expected answer types: a "when" question wants a date, "多大" an area, "哪些X" a list of X.

A classic question-answering cue: among sentences about the right subject, the
one holding an answer of the asked-for type is the answer. Patterns are about
how questions and facts are phrased in Chinese and English, not about any article.
"""

from __future__ import annotations

import re

_QUESTION_PATTERNS: dict[str, re.Pattern[str]] = {
    "date": re.compile(r"什么时候|何时|哪一?年|哪天|哪个月|时间|日期|成立于|when\b|what year|what date|since when", re.I),
    "area": re.compile(r"多大|面积|占地|多少亩|多少平方|规模多|how (large|big)|\barea\b|\bsize\b|acres?|square", re.I),
    "money": re.compile(r"多少钱|投资多少|总投资|投资额|多少亿|金额|资金|费用|invest|cost|how much money|budget|fund", re.I),
    "count": re.compile(r"多少[个家所人名位项件]|几[个家所项位]|数量|多少(?!钱|亩|平方)|how many|number of", re.I),
    "percent": re.compile(r"占比|比例|比重|百分之|percent|proportion|share of|relative to|ratio", re.I),
    "place": re.compile(r"哪里|在哪|位于|地址|位置|何处|哪儿|where|locat|address", re.I),
    "list": re.compile(
        r"哪些|有什么|包括什么|包括哪|由哪|哪几|what are|which are|\blist\b|what kinds?"
        # "What policies …", "Which industries …": a plural noun asked for (not "what does")
        r"|\b(?:what|which)\s+(?!does\b|has\b|was\b|is\b)(?:[a-z-]+\s+)?[a-z-]{2,}[^s\s']s\b",
        re.I,
    ),
}

_ANSWER_PATTERNS: dict[str, re.Pattern[str]] = {
    "date": re.compile(r"\d{4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|\b(19|20)\d{2}\b"),
    "area": re.compile(r"\d\s*(亩|平方(公里|千米|米)|公顷)|\d\s*(km2|km²|m2|m²|square|acres?|hectares?)", re.I),
    "money": re.compile(r"\d\s*(亿|万)?\s*(元|美元)|\$\s*\d|\d\s*(yuan|rmb|usd|million|billion)", re.I),
    "count": re.compile(r"\d+\s*(余|多)?\s*(万|千|百)?\s*[个家所人名位项件]|\d+\s+[a-z]+", re.I),
    "percent": re.compile(r"\d+(\.\d+)?\s*%|百分之"),
    "place": re.compile(r"位于|坐落|交汇|[路街镇]|located|road|street", re.I),
    "list": re.compile(r"、[^。；;]*、|(, [^.;]*){2,}(and|or) "),
}

_CJK_WORD_RE = re.compile(r"^[\u4e00-\u9fff]+$")


def expected_types(question: str) -> set[str]:
    return {name for name, pattern in _QUESTION_PATTERNS.items() if pattern.search(question)}


def list_head(words: list[str], stopwords: frozenset[str]) -> str:
    """The noun a "哪些X" question enumerates: the last of the (up to 3) words after 哪些."""
    if "哪些" not in words:
        return ""
    head = ""
    for word in words[words.index("哪些") + 1 :][:3]:
        if word in stopwords or not _CJK_WORD_RE.match(word):
            break
        head = word
    return head if len(head) >= 2 else ""


def type_hits(sentence: str, kinds: set[str]) -> int:
    """How many of the expected answer types the sentence holds an answer of."""
    return sum(1 for kind in kinds if _ANSWER_PATTERNS[kind].search(sentence))


def enumerates(sentence: str, head: str) -> bool:
    """"哪些X" is best answered by an enumeration of X: "A、B等项目" or "四大产业集群——A、B、C"."""
    if not head:
        return False
    h = re.escape(head)
    return bool(re.search(rf"等[^，。,；;]{{0,6}}{h}|{h}[^，。,；;]{{0,8}}(——|：|:)[^。；;]*、", sentence))
