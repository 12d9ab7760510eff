"""Expected answer types: a "when" question wants a date, "多大" an area, "哪些X" a list of X.

A classic question-answering cue: among sentences about the right subject, the
one holding an answer of the asked-for type is the answer. Patterns are about
how questions and facts are phrased in Chinese and English, not about any article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from knowledge.terms import Term

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
    # A number starts where a run of digits does: a long run must not be retried at every digit.
    "count": re.compile(
        r"(?<![\d.])\d+(\.\d+)?\s*(余|多)?\s*(万|千|百)?\s*[个家所人名位项件]|(?<![\d.])\d+\s+[a-z]+", re.I
    ),
    "percent": re.compile(r"(?<![\d.])\d+(\.\d+)?\s*%|百分之"),
    "place": re.compile(r"位于|坐落|交汇|[路街镇]|located|road|street", re.I),
    # Items hold no comma, so "A, B, C" splits one way only (no backtracking on a long list).
    "list": re.compile(r"、[^。；;]*、|(?:, [^,.;]*){2,}(?:and|or) "),
}

_CJK_WORD_RE = re.compile(r"^[\u4e00-\u9fff]+$")


# Numerals and measure words: "16所", "9万余人", "三大板块", "84 members".
_NUM = r"(?:(?<![\d.])\d[\d.,]{0,15}|[一二两三四五六七八九十百千]{1,6})"
_CLASSIFIER = r"[个家所人名位项件座条种类处大]"
_CLAUSE_END = r"，。,；;！？!?"

# How a question asks for a set or a number of things, right before the noun it asks about.
_ZH_ASKS_RE = re.compile(
    r"哪些|哪几[个项家所种类大位]?|哪[一二两三四五六七八九十]+[个项家所种类大位]|有什么|什么"
    r"|多少[个家所位名项件种类座条处]?|几[个家所位名项件种类座条处大]"
)
_ZH_ASKS_AFTER_RE = re.compile(r"(?:有|是|共有|一共有|总共有)?(?:多少|几)[个家所位名项件种类座条处]?")
_EN_LIST_ASK_RE = re.compile(r"\b(?:what|which)\b", re.I)
_EN_COUNT_ASK_RE = re.compile(r"\bhow many\b|\bnumber of\b", re.I)
_EN_SKIP = frozenset(
    "are is were was the a an main key major some all other kinds kind types type of"
    " two three four five six seven eight nine ten several".split()
)
_EN_WORD_RE = re.compile(r"[a-z][a-z'-]*", re.I)


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


def asked_noun(question: str, terms: Sequence[Term], kinds: set[str]) -> Term | None:
    """The key term a list or count question asks about ("哪些平台", "多少个科研院所",
    "what policies", "how many universities"), or None when the question names none.

    Found by position: the content words right after the asking words, else, for
    "X有多少个", the word right before them. In Chinese the last of a run of words is
    taken, as the head noun comes last ("哪些科技创新平台" → 平台), but not an attribute
    word ("哪几大板块组成" → 板块); in English the first plural ("what innovation
    platforms", not the verb in "what policies support companies").
    """
    if not terms or not kinds & {"list", "count"}:
        return None
    return _zh_asked_noun(question, terms, kinds) or _en_asked_noun(question, terms, kinds)


def _zh_asked_noun(question: str, terms: Sequence[Term], kinds: set[str]) -> Term | None:
    for match in _ZH_ASKS_RE.finditer(question):
        run = _run_of_terms(question, match.end(), terms)
        if run:
            return ([t for t in run if t.subject] or run)[-1]
    if "count" in kinds:  # "研发平台有多少个？": the noun comes first
        for match in _ZH_ASKS_AFTER_RE.finditer(question):
            before = [t for t in terms if question[: match.start()].endswith(t.text)]
            if before:
                return max(before, key=lambda t: len(t.text))
    return None


def _run_of_terms(question: str, start: int, terms: Sequence[Term]) -> tuple[Term, ...]:
    """The key terms (up to 3) that follow each other from `start`, across "的"."""
    run: list[Term] = []
    pos = start
    while len(run) < 3:
        if question.startswith("的", pos):
            pos += 1
        following = [t for t in terms if question.startswith(t.text, pos)]
        if not following:
            break
        run.append(max(following, key=lambda t: len(t.text)))
        pos += len(run[-1].text)
    return tuple(run)


def _en_asked_noun(question: str, terms: Sequence[Term], kinds: set[str]) -> Term | None:
    by_text = {t.text: t for t in terms}
    text = " ".join(w.lower() for w in _EN_WORD_RE.findall(question))
    ask = _EN_COUNT_ASK_RE if "count" in kinds and "list" not in kinds else _EN_LIST_ASK_RE
    for match in ask.finditer(text):
        run: list[Term] = []
        for word in text[match.end():].split()[:6]:
            if not run and (word in _EN_SKIP or word.endswith(("'s", "'"))):  # "the park's key …"
                continue
            if word in _EN_SKIP or word not in by_text:
                break
            run.append(by_text[word])
        # The things asked for are named in the plural ("what innovation platforms", "how many
        # research institutes"), unlike a verb after them ("support") or "what talent policy".
        plural = [t for t in run if t.text.endswith("s") and not t.text.endswith("ss")]
        if plural:
            return plural[0]
        if run and "count" in kinds:
            return run[0]
    return None


def type_hits(sentence: str, kinds: set[str], head: str | Iterable[str] = ()) -> int:
    """How many of the expected answer types the sentence holds an answer of.

    When the question names what it lists or counts ("哪些平台", "多少所高校"), only a list
    or a number of that counts: "好平台、好企业、好项目" is a list, but not of platforms."""
    forms = _forms(head)
    tied = {"list": enumerates, "count": counts} if forms else {}
    return sum(
        1 for kind in kinds
        if (tied[kind](sentence, forms) if kind in tied else _ANSWER_PATTERNS[kind].search(sentence))
    )


ECHO_MAX_NEW_CHARS = 4  # "搭建优秀的科技创新平台" adds only "优秀的" to "搭建…科技创新平台"
_CLAUSE_SPLIT_RE = re.compile(r"[，。,；;！？!?：:]")
_CONTENT_CHAR_RE = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+", re.I)


def echoes(sentence: str, head: str | Iterable[str], question_words: Iterable[str]) -> bool:
    """The clause that names the asked-about thing says little beyond the question's own
    words ("搭建优秀的科技创新平台" for "搭建了哪些科技创新平台"): it restates the question
    rather than answers it."""
    forms = [f.lower() for f in _forms(head)]
    words = sorted({w.lower() for w in question_words if w}, key=len, reverse=True)
    for clause in _CLAUSE_SPLIT_RE.split(sentence.lower()):
        if not any(f in clause for f in forms):
            continue
        for word in words:
            clause = clause.replace(word, " ")
        if len(_CONTENT_CHAR_RE.findall(clause)) <= ECHO_MAX_NEW_CHARS:
            return True
    return False


def _forms(head: str | Iterable[str]) -> list[str]:
    forms = [head] if isinstance(head, str) else list(head)
    return [f for f in forms if f]


_ZH_ITEM_SEP_RE = re.compile(r"、|和|及")
_EN_ITEM_SEP_RE = re.compile(r",|\band\b|\bor\b")
_ZH_CLAUSE_RE = re.compile(rf"[{_CLAUSE_END}]")
_SENTENCE_END_RE = re.compile(r"[。；;.]")


def enumerates(sentence: str, head: str | Iterable[str]) -> int:
    """"哪些X" is best answered by an enumeration of X, the list tied to the word X:
    "A、B等X", "A、B三大X", "X——A、B、C", "X包括A、B", "X such as A, B and C".
    A list that merely contains X ("好平台、好企业") is not one.

    Returns how many items the list names (0: no list of X; 1: one example, "A等X").
    Each shape is found by its anchor and the list read around it, with no unbounded
    nested pattern (a long run of "、" must not make the regex engine backtrack).
    """
    text = sentence.lower()
    best = 0
    for form in _forms(head):
        h = re.escape(form.lower())
        for m in re.finditer(rf"等(?:在内的)?[^{_CLAUSE_END}、]{{0,10}}?{h}", text):  # A、B等X
            best = max(best, _zh_items(_clause_before(text, m.start())))
        for m in re.finditer(rf"{_NUM}\s*{_CLASSIFIER}{h}", text):  # A、B、C三大X
            before = _clause_before(text, m.start())
            if "、" in before:
                best = max(best, _zh_items(before))
        for m in re.finditer(rf"{h}[^{_CLAUSE_END}]{{0,8}}?(?:——|—|：|:|包括|包含|涵盖|如)", text):  # X——A、B
            after = _SENTENCE_END_RE.split(text[m.end():], maxsplit=1)[0]
            if "、" in after:
                best = max(best, _zh_items(after))
        for m in re.finditer(rf"{h}\w*,?\s+(?:include|including|such as|are|:)\s", text):
            after = _SENTENCE_END_RE.split(text[m.end():], maxsplit=1)[0]  # X include A, B and C
            if "," in after and re.search(r"\b(?:and|or)\b", after):
                best = max(best, len(_EN_ITEM_SEP_RE.findall(after)) + 1)
        for m in re.finditer(rf"\b(?:and|or)\s[^.;]{{0,40}}?\b{h}", text):  # A, B and C X
            before = _SENTENCE_END_RE.split(text[: m.start()])[-1]
            if "," in before:
                best = max(best, len(_EN_ITEM_SEP_RE.findall(before)) + 2)
    return best


def _clause_before(text: str, end: int) -> str:
    return _ZH_CLAUSE_RE.split(text[:end])[-1]


def _zh_items(items: str) -> int:
    return len(_ZH_ITEM_SEP_RE.findall(items)) + 1


def counts(sentence: str, head: str | Iterable[str]) -> bool:
    """"How many X" is best answered by a number attached to X: "高校16所", "16所高校",
    "9个新型研发机构", "院士都有12人", "16 universities" (not "高校、企业等84家会员")."""
    text = sentence.lower()
    number = rf"{_NUM}\s*(?:余|多)?\s*(?:万|千|百|亿)?\s*{_CLASSIFIER}"
    for form in _forms(head):
        h = re.escape(form.lower())
        if re.search(
            # "高校16所" / "院士都有12人", but in "A、B等84家会员" the number counts 会员
            rf"{h}[^{_CLAUSE_END}、\d等]{{0,3}}?{number}"
            rf"|{number}[^{_CLAUSE_END}、\d]{{0,5}}?{h}"  # 16所高校 / 9个新型研发机构
            rf"|(?<![\d.])\d[\d,.]{{0,15}}\s+(?:[a-z-]+\s+)?{h}",  # 16 universities
            text,
        ):
            return True
    return False
