"""Typed facts in text: the dates, amounts, areas, counts, places, organisations and lists a
sentence states, with their positions.

Question generation turns each fact into a question; the ranker checks that a sentence holds
a fact of the asked type; the reply leads with it. The patterns describe how Chinese and
English write quantities and names in general (units, measure words, name suffixes), never
any particular article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cn2an import cn2an

ANSWER_TYPES = (
    "date", "amount", "area", "distance", "duration", "count", "percent", "place", "organisation", "list", "yesno",
    "definition",
)
FACT_TYPES = ("date", "amount", "area", "distance", "duration", "count", "percent", "place", "organisation", "list")
# The facts that answer "how many", "how much", "how far" and "how long".
QUANTITIES = ("count", "amount", "area", "distance", "duration", "percent")

_NUM = r"(?:(?<![\d.,])\d+(?:[.,]\d+)*|[一二两三四五六七八九十百千]{1,5})"  # a number starts once
_MAGNITUDE = r"(?:余|多)?(?:万|千|百|亿)?(?:余|多)?"
_CLASSIFIER = r"[个家所人名位项件座条种类处栋套间辆台期批]"
# Clauses end at punctuation, but not at the comma inside a number ("5,000").
_CLAUSE_RE = re.compile(r"(?:[^，。,；;！？!?：:\n]|(?<=\d),(?=\d{3}))+")
_EN_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
             r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")

_PATTERNS: dict[str, re.Pattern[str]] = {
    "date": re.compile(
        r"(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?(?:[上下]半年|底|初|年底)?"
        r"|\d{1,2}\s*月\s*\d{1,2}\s*日"
        rf"|\b{_EN_MONTH}\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d{{2}}\b|\b(?:in|since|by|from)\s+(?:19|20)\d{{2}}\b",
        re.I,
    ),
    "amount": re.compile(
        rf"{_NUM}\s*(?:余|多)?(?:万|千|百)?(?:亿)?\s*(?:元|美元|人民币)"
        r"|(?:RMB|USD|US\$|\$|¥|CNY)\s*\d[\d.,]*\s*(?:million|billion|thousand|[mbk]n?\b)?"
        r"|\d[\d.,]*\s*(?:million|billion|thousand)?\s*(?:yuan|dollars|RMB|USD)\b",
        re.I,
    ),
    "area": re.compile(
        rf"{_NUM}\s*{_MAGNITUDE}\s*(?:亩|平方公里|平方千米|平方米|公顷|平米)"
        r"|\d[\d.,]*\s*(?:square\s+(?:kilomet(?:re|er)s?|met(?:re|er)s?)|km2|km²|m2|m²|hectares?|acres?|mu)\b",
        re.I,
    ),
    # How far (not an area: "平方公里" and "square kilometres" are claimed by "area" first).
    "distance": re.compile(
        rf"{_NUM}\s*{_MAGNITUDE}\s*(?:公里|千米|米)(?!\s*[²2])"
        r"|\d[\d.,]*\s*(?:kilomet(?:re|er)s?|km|met(?:re|er)s?|miles?)\b",
        re.I,
    ),
    # How long: a span of time, not a date (dates are claimed first: "2024年" is no duration).
    "duration": re.compile(
        # Not "第3年" (the third year) nor "2月" (February): a span of months is "2个月".
        rf"(?<!第){_NUM}\s*(?:个)?\s*(?:多|余)?\s*(?:年|个月|周|星期|天|日|小时|分钟|工作日)"
        r"|\b\d+(?:\.\d+)?[\s-]*(?:years?|months?|weeks?|days?|hours?|minutes?|working\s+days?)\b",
        re.I,
    ),
    "percent": re.compile(r"\d+(?:\.\d+)?\s*%|百分之[一二三四五六七八九十百\d.]+|\d+(?:\.\d+)?\s*percent", re.I),
    "count": re.compile(
        rf"{_NUM}\s*{_MAGNITUDE}\s*{_CLASSIFIER}(?!\s*(?:元|亩|平方))"
        r"|\b\d[\d,]*\s+(?!yuan|dollars|square|percent|hectares?|acres?|million|billion)[a-z]{3,}s\b",
        re.I,
    ),
    "place": re.compile(
        r"(?:位于|坐落于|坐落在|地处|地址[：:为是]?)\s*[^，。,；;：:！!？?]{2,30}"
        r"|\b(?:located|situated)\s+(?:in|at|on|near)\s+[^,.;]{3,60}",
        re.I,
    ),
    "road": re.compile(r"[\u4e00-\u9fff]{2,6}(?:路|街|大道)(?:\d+号)?"),
    "organisation": re.compile(
        r"\b(?:[A-Z][A-Za-z&.-]+\s+){1,4}(?:Co\.|Ltd\.?|Group|University|Institute|Inc\.?|Corporation|Bank|Fund|Center|Centre|Park)\b",
    ),
    # Items joined by 、 or commas ("A、B、C", "A, B and C"); two are a list when 等 names their kind
    # ("重庆大学、陆军军医大学等高校16所"), and so is one with a count of its kind ("A等9个研发机构").
    "list": re.compile(
        r"[^，。,；;：:、！!？?]{1,24}(?:、[^，。,；;：:、！!？?]{1,24}){2,}"
        r"|[^，。,；;：:、！!？?]{1,24}、[^，。,；;：:、！!？?]{1,24}?等[^，。,；;：:、！!？?]{1,12}"
        # ("等3个月" is "wait three months": no list of months)
        rf"|[^，。,；;：:、！!？?等]{{2,24}}等{_NUM}{_MAGNITUDE}{_CLASSIFIER}(?!月|小时|工作日)[^，。,；;：:、！!？?]{{1,12}}"
        r"|(?:[^,.;:\s][^,.;:]{1,39},\s*){2,}(?:and|or)\s[^,.;:]{2,40}"  # an item starts at a non-space: linear
    ),
}


@dataclass(frozen=True)
class Fact:
    type: str
    text: str
    start: int
    end: int
    clause: tuple[int, int]  # the clause that holds it (between commas or stops)
    # The items a Chinese list sums up with 等 ("北京御芯微科技", "蔡司…实验室" in "签约了包含A、B等8个
    # 项目"), as (start, end) in the sentence; () for other facts and when no tagged words were given.
    items: tuple[tuple[int, int], ...] = ()

    def clause_text(self, sentence: str) -> str:
        return sentence[self.clause[0]:self.clause[1]]


def clauses(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _CLAUSE_RE.finditer(text)]


# A Chinese name is a run of nouns that ends in what the thing is: 公司, 集团, 大学, 研究院, …
ORG_SUFFIXES = (
    "公司", "集团", "大学", "学院", "研究院", "研究所", "实验室", "中心", "联盟", "协会", "商会", "银行", "基金",
    "医院", "委员会", "管委会", "政府", "基地", "产业园", "科技园", "园区", "工场", "平台", "孵化器", "加速器",
)
_NOMINAL_FLAGS = ("n", "nr", "ns", "nt", "nz", "j", "b", "eng")  # not verbal nouns: 合作建设 ends a name


def organisations(tagged: list[tuple[str, str]]) -> list[str]:
    """Names in jieba-tagged words: a run of nominal words ending in a name suffix, or an `nt` word."""
    names: list[str] = []
    run: list[str] = []
    for word, flag in [*tagged, ("。", "x")]:
        if flag.startswith(_NOMINAL_FLAGS) or word == "·":
            run.append(word)
            if flag == "nt" or word.endswith(ORG_SUFFIXES):
                name = "".join(run).strip("·")
                if len(name) >= 3:
                    names.append(name)
            continue
        run = []
    # Keep the longest of nested names ("重庆科技学院", not also "科技学院").
    return [n for n in names if not any(n != m and n in m for m in names)]


def find_facts(text: str, tagged: list[tuple[str, str]] | None = None) -> list[Fact]:
    """Every typed fact in `text`, in order of position (an area is not also a count).

    `tagged` (jieba words with part-of-speech flags) adds Chinese organisation names."""
    spans = clauses(text) or [(0, len(text))]
    found: list[Fact] = []
    taken: list[tuple[int, int]] = []
    # Specific shapes first: a span claimed by "area" or "amount" is not also a "count".
    for pattern in ("date", "amount", "area", "percent", "distance", "duration", "count", "place", "road", "organisation",
                    "list"):
        kind = "place" if pattern == "road" else pattern
        for m in _PATTERNS[pattern].finditer(text):
            a, b = m.span()
            if kind != "list" and any(a < y and x < b for x, y in taken):
                continue
            clause = next(((x, y) for x, y in spans if x <= a < y), (0, len(text)))
            raw = m.group(0)
            a, b = a + len(raw) - len(raw.lstrip()), b - len(raw) + len(raw.rstrip())  # span of the stripped text
            items = _item_spans(text, a, b, tagged) if kind == "list" and tagged else ()
            found.append(Fact(kind, text[a:b], a, b, clause, items))
            if kind != "list":
                taken.append((a, b))
    for name in dict.fromkeys(organisations(tagged or [])):  # each name once
        a = text.find(name)
        if a >= 0 and not any(a < y and x < a + len(name) for x, y in taken):
            clause = next(((x, y) for x, y in spans if x <= a < y), (0, len(text)))
            found.append(Fact("organisation", name, a, a + len(name), clause))
    return sorted(found, key=lambda f: (f.start, f.type))


# What stands before an enumeration and is no part of its first item: verbs, adverbs,
# prepositions, conjunctions, pronouns and particles (jieba's flags; not 'vn', a verbal noun).
_LEAD_FLAGS = frozenset({"v", "vd", "d", "p", "c", "r"})


def _item_spans(text: str, start: int, end: int, tagged: list[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
    """The items of the Chinese list text[start:end] that 等 sums up into a group ("A、B等8个项目"):
    the parts between 、 before 等; () for a list without 等. The first part may open with its
    clause's subject and verb ("园区已落地A等9个机构"): its item begins after the last verb,
    adverb or particle."""
    stop = text.rfind("等", start, end)
    if stop < 0:  # "在主板、科创板上市的企业" coordinates; only 等 sums items up into a group
        return ()
    body = text[start:stop]
    spans, at = [], start
    for part in body.split("、"):
        spans.append((at, at + len(part)))
        at += len(part) + 1
    first_start, first_end = spans[0]
    position = 0
    for word, flag in tagged:
        position += len(word)
        if first_start < position <= first_end and (flag in _LEAD_FLAGS or flag.startswith("u")):
            first_start = position
    spans[0] = (first_start, first_end)
    return tuple((a, b) for a, b in spans if b > a)


def in_unit(quantity: str, unit: str) -> bool:
    """Whether a stated quantity is counted or measured in `unit` ("9万余人" in 人)."""
    return re.search(rf"{_NUM}\s*{_MAGNITUDE}\s*{re.escape(unit)}", quantity) is not None


def measure_word(count: str) -> str:
    """The measure word a Chinese count is stated in ("16所" → 所, "9万余人" → 人; "" for others)."""
    return count[-1] if re.fullmatch(rf".*{_CLASSIFIER}", count) else ""


def fact_types(text: str) -> set[str]:
    return {f.type for f in find_facts(text)}


# A year is no quantity: "2000万", "2000平方米", "2000 square metres" are not the year 2000.
_YEAR_RE = re.compile(
    rf"(?<!\d)((?:19|20)\d{{2}})(?!\d|\s*(?:[万千百亿余多%]|{_CLASSIFIER}|元|亩|平方|平米|公里|千米|米|吨))"
    r"(?!\s+(?:square|sq|mu|km|kilomet|met(?:re|er)s|hectares?|acres?|yuan|rmb|million|billion|thousand)\b)",
    re.I,
)
_NUMBER_RE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?!\.?\d)")  # "78." at a sentence's end is 78


def years(text: str) -> set[str]:
    return set(_YEAR_RE.findall(text))


# "4月", "11月份", "2023年8月8日", "三月份"; not "3个月" (a span) nor "每月".
_MONTH_RE = re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])\s*月|(?<![一二三四五六七八九十百两几])(十[一二]|[一二三四五六七八九十])月")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Full names, and abbreviations written as such ("Aug.", "Nov 2023"); "may" only where it is the
# month ("in May", "May 2023"), not the verb ("may I ask").
_EN_MONTH_RE = re.compile(
    r"\b(?:(january|february|march|april|june|july|august|september|october|november|december)\b"
    r"|(jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)(?:\.|(?=\s+\d))"
    r"|(?:in|of|early|mid|late|since|by|until)\s+(may)\b|(may)(?=\s+\d))",
    re.I,
)
# Parts of a year name months as a month does ("2023年春天那次签约", "in the spring", "三季度");
# not "年中" nor "年初步", which are mostly "2023年中国…", "2023年初步建成".
_SEASON_MONTHS = {"春": (3, 4, 5), "夏": (6, 7, 8), "秋": (9, 10, 11), "冬": (12, 1, 2), "年初": (1, 2, 3),
                  "年底": (11, 12), "年末": (11, 12), "上半年": tuple(range(1, 7)),
                  "下半年": tuple(range(7, 13)), "spring": (3, 4, 5), "summer": (6, 7, 8), "autumn": (9, 10, 11),
                  "fall": (9, 10, 11), "winter": (12, 1, 2), "first half": tuple(range(1, 7)),
                  "second half": tuple(range(7, 13)), "year-end": (11, 12), "end of": (11, 12)}
_SEASON_RE = re.compile(
    r"([春夏秋冬])(?:天|季(?!度))|(年初(?!步)|年底|年末|[上下]半年)|第?([一二三四])季度"
    r"|\b(spring|summer|autumn|winter|first half|second half|year-end)\b|\b(?:in|the|this|last|next)\s+(fall)\b"
    r"|\b(end of)(?=\s+(?:the\s+year|(?:19|20)\d{2}))|\bq([1-4])\b|\b(first|second|third|fourth)\s+quarter\b",
    re.I,
)
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "first": 1, "second": 2, "third": 3, "fourth": 4}


def months(text: str) -> set[int]:
    """The months a text names: as numbers, in words, and by the part of the year they are in."""
    found = {int(digits) if digits else int(cn2an(words, "smart")) for digits, words in _MONTH_RE.findall(text)}
    for m in _EN_MONTH_RE.finditer(text):
        found.add(_EN_MONTHS.index(next(g for g in m.groups() if g).lower()[:3]) + 1)
    for m in _SEASON_RE.finditer(text):
        season, part, quarter_cn, season_en, fall, end_of, quarter_q, quarter_en = m.groups()
        if quarter := quarter_cn or quarter_q or quarter_en:
            q = int(quarter) if quarter.isdigit() else _QUARTERS[quarter.lower()]
            found.update(range(3 * q - 2, 3 * q + 1))
        else:
            found.update(_SEASON_MONTHS[(season or part or season_en or fall or end_of).lower()])
    return found


# A figure set as a goal for a later year ("力争到2027年入驻企业突破600家", "aims to attract 300
# companies by 2027") is not what there is now.
_TARGET_RE = re.compile(r"力争|到\s*20\d{2}\s*年|\baims?\s+to\b|\bby\s+(?:the\s+end\s+of\s+)?20\d{2}\b", re.I)


def is_target(fact: Fact, sentence: str) -> bool:
    """Whether the clause that states `fact` sets it as a goal rather than reports it."""
    return _TARGET_RE.search(fact.clause_text(sentence)) is not None


# "第六届", "前五届": editions and ranks written in Chinese numerals name which one is meant. A
# count in words ("这三个项目", "一家企业") describes rather than asks, and is left out.
_CN_ORDINAL_RE = re.compile(r"([第前后])([零一二两三四五六七八九十百千]+)(?=[个家所项届期名位次批年])")
_SCALED_RE = re.compile(r"(\d+(?:\.\d+)?)?\s*([万千亿])(?=[\u4e00-\u9fff])")
_SCALE = {"千": 1e3, "万": 1e4, "亿": 1e8}


def numbers(text: str) -> set[str]:
    """Numbers other than years, as written ("78", "3.08"), and the values Chinese magnitudes
    write ("9万" is also 90000, "每万人" 10000: "per 10,000 people" agrees with "万人"), and
    ordinals in Chinese numerals ("第六届" is 6)."""
    joined = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # "10,000" is one number; "3,4" two
    at_years = {m.start() for m in _YEAR_RE.finditer(joined)}
    found = {m.group(0) for m in _NUMBER_RE.finditer(joined) if m.start() not in at_years}
    for m in _SCALED_RE.finditer(joined):
        before = joined[m.start() - 1: m.start()]
        after = joined[m.end(): m.end() + 1]
        # A bare magnitude is a number only as "每万人" or after punctuation (",万人发明专利"),
        # not inside or at the start of a word ("千万", "万达广场").
        if m.group(1) is None and ((before != "每" and not re.match(r"[,，;；:：\s]", before)) or after in _SCALE):
            continue
        value = float(m.group(1) or 1) * _SCALE[m.group(2)]
        found.add(f"{value:.0f}" if value.is_integer() else f"{value:g}")
    for m in _CN_ORDINAL_RE.finditer(joined):
        try:
            found.add(str(int(cn2an(m.group(2), "smart"))))
        except (ValueError, KeyError):
            continue  # not a well-formed numeral ("十百")
    return found
