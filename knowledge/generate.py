"""Training questions generated from the articles themselves, never from a question set.

Each sentence's typed facts (knowledge.facts) become questions by replacing the fact with
the matching question word, in Chinese and, through the glossary, in English; realistic
noise is added (courtesies, the asker's own business, fillers, homophone typos, synonyms,
dropped particles). Negatives come from perturbation: an attribute no sentence gives for
the subject, a year the passage does not mention, a subject no article names, a thing the
corpus never mentions. A fixed seed makes the set reproducible.

The word lists below describe how investors ask in general (question words per answer
type, courtesies, industries, common asks); none is taken from a question set.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import dropwhile, takewhile

from knowledge.facts import ORG_SUFFIXES, Fact, find_facts, measure_word, years
from knowledge.glossary import dictionary_order, surface_words
from knowledge.lexical import Tokenizer
from knowledge.spelling import sound_table
from knowledge.text import has_cjk

ZH_ASK: dict[str, tuple[str, ...]] = {
    "date": ("什么时候", "哪一年", "哪年", "啥时候", "何时", "什么时间", "几月几号"),
    "amount": ("多少钱", "多少", "多少亿", "投了多少钱", "是多少"),
    "area": ("多大", "多少亩", "面积多大", "有多大", "多少平方米", "多大面积"),
    "distance": ("多远", "有多远", "距离多远", "多少公里", "离得远不远"),
    "duration": ("多久", "多长时间", "要多久", "几年", "多少天", "几个月"),
    "count": ("多少个", "几个", "多少", "多少家", "有多少", "几家"),
    "percent": ("占比多少", "百分之多少", "比例是多少", "占多少比例", "几个点", "占百分之几"),
    "place": ("在哪里", "在哪", "位置在哪", "在什么地方", "地址在哪", "具体在哪儿"),
    "organisation": ("哪家单位", "哪个机构", "谁", "哪家公司", "哪所学校", "哪个单位"),
    "list": ("有哪些", "包括哪些", "都有啥", "有什么", "哪几个", "都有哪些", "是哪几大", "指哪些", "包含什么"),
    "yesno": ("有没有", "是否有", "有无"),
    "definition": ("是什么", "是啥", "是干什么的", "什么意思"),
}
# "Which" agrees with what the named thing is: a school is asked with 哪所, a company with 哪家.
ZH_ORG_ASK: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("大学", "学院", "学校", "院校"), ("哪所学校", "哪所高校", "哪个学校")),
    (("公司", "集团", "企业"), ("哪家公司", "哪家企业", "谁")),
    ((), ("哪家单位", "哪个机构", "谁", "哪个单位")),
)
ZH_COUNT_ASK = ("多少{}", "几{}", "有多少{}", "有几{}", "一共多少{}")
# "Which X" for a list that names its kind X after 等.
ZH_KIND_ASK = ("{s}有哪些{k}", "{s}都有哪些{k}", "{s}有什么{k}", "{s}的{k}有哪些", "{s}有哪几个{k}")
EN_KIND_ASK = ("Which {k} does {s} have?", "What {k} are there in {s}?", "which {k} are in {s}")
_KIND_TAIL_RE = re.compile(r"等(?:[\d一二三四五六七八九十百千万余多]+\s*[个家所项位名种类条批大])?([^，。,；;：:、！!？?]{1,12})")
# "四大产业集群——A、B、C", "主要包括三类平台：A、B、C": the kind before the dash or colon that opens the items.
KIND_LEAD_CHARS = 16  # at most this many characters of a kind before its dash or colon
_KIND_LEAD_RE = re.compile(rf"([^，。,；;：:、——]{{1,{KIND_LEAD_CHARS}}}?)(?:——|：|:)[^。；;]*、")
ZH_ABOUT = ("介绍一下{s}", "{s}是什么", "{s}是做什么的", "说说{s}", "{s}怎么样", "{s}的情况")
# Each type also asked the way casual English asks for any figure ("What's the {k}?", "{k}?"):
# with only its own wordings, "What's the site area" looked like a list to the classifier.
EN_ASK: dict[str, tuple[str, ...]] = {
    "date": ("When was {k}?", "What year was {k}?", "when did {k} start", "What's the date of {k}?",
             "since when {k}", "{k} - when?"),
    "amount": ("How much is the {k}?", "How much money {k}?", "what is the investment in {k}", "What's the total {k}?",
               "how much did {k} cost", "{k} - how much?"),
    "area": ("How big is {k}?", "What is the area of {k}?", "how large is {k}", "What's the {k} area?",
             "how much land does {k} cover", "{k} - how many square metres?"),
    "distance": ("How far is {k}?", "how far {k}", "What is the distance to {k}?", "what's the distance of {k}",
                 "how many km {k}"),
    "duration": ("How long {k}?", "how long does {k} take", "For how many years {k}?", "what's the time frame of {k}",
                 "how many days {k}"),
    "count": ("How many {k}?", "how many {k} are there", "What is the number of {k}?", "What's the number of {k}?",
              "{k} - how many?", "total number of {k}"),
    "percent": ("What percentage {k}?", "what share of {k}", "What's the ratio of {k}?", "what percent {k}",
                "What is the rate of {k}?"),
    "place": ("Where is {k}?", "where is {k} located", "What is the location of {k}?", "What's the address of {k}?",
              "which road is {k} on", "{k} - where?"),
    "organisation": ("Which organisation {k}?", "Who {k}?", "which company {k}", "who is behind {k}",
                     "What's the name of the company {k}?"),
    "list": ("What {k} are there?", "Which {k}?", "list the {k}", "What are the {k}?", "what kinds of {k}"),
    "yesno": ("Is there {k}?", "Does the park have {k}?", "any {k}?"),
    "definition": ("What is {k}?", "Tell me about {k}", "what does {k} do", "What's {k} for?"),
}
# The attribute asked for when a subject lacks it (negatives): how investors word such asks.
ZH_MISSING: dict[str, tuple[str, ...]] = {
    "date": ("{s}是什么时候建成的", "{s}哪一年成立的", "{s}什么时候投入使用", "{s}哪年开工的"),
    "amount": ("{s}总投资多少", "{s}花了多少钱", "{s}的投资额是多少"),
    "area": ("{s}占地多大", "{s}面积有多少平方米"),
    "organisation": ("{s}是哪家公司建的", "{s}由谁运营", "{s}的承建单位是哪家"),
    "place": ("{s}在哪里", "{s}的地址是什么"),
    "distance": ("{s}离机场有多远", "{s}离市中心多远"),
    "duration": ("{s}建设周期多久", "{s}要多久才能建成"),
}
EN_MISSING: dict[str, tuple[str, ...]] = {
    "date": ("When will {s} be completed?", "what year was {s} founded"),
    "amount": ("How much was invested in {s}?",),
    "area": ("How big is {s}?",),
    "organisation": ("Which company built {s}?",),
    "place": ("Where is {s}?",),
    "distance": ("How far is {s} from the airport?",),
    "duration": ("How long will {s} take to build?",),
}
# Things investors ask about that a knowledge base may or may not mention (general asks).
COMMON_ASKS = (
    "员工", "停车位", "租金", "水价", "税率", "宿舍", "地铁站", "注册资本", "营业收入",
    "产值", "利润", "房价", "工资", "社保", "贷款", "厂房", "写字楼", "物业费", "电话", "学校", "医院",
    "酒店", "机场", "高铁站", "外资企业", "上市公司", "博士后工作站", "孵化面积", "补贴标准", "办理流程",
)
INDUSTRIES = (
    "储能设备", "锂电池", "芯片封装", "医疗器械", "工业软件", "跨境电商", "新材料", "汽车零部件", "食品加工",
    "物流", "机器人", "光伏组件", "生物制药", "无人机", "检测服务", "人工智能", "精密模具", "环保设备",
)
ZH_PREFIXES = ("", "", "", "", "你好，", "请问", "您好，请问", "麻烦问一下，", "想了解一下，", "我们是做{i}的，",
               "我司主要做{i}，想问下", "老师好，", "咨询一下，", "我们公司做{i}，")
ZH_SUFFIXES = ("？", "？", "?", "", "呢？", "啊？", "？谢谢", "，谢谢！", "呀", "？😊")
EN_PREFIXES = ("", "", "", "Hi, ", "Hello, ", "Quick question: ", "We are a {i} company, ", "Could you tell me: ")
EN_INDUSTRIES = ("battery", "chip packaging", "medical device", "software", "robotics", "logistics", "new materials")
# How the asks above are put (the thing asked about next to the question word).
_ABSENT_TEMPLATES = (
    ("{s}有多少{c}{a}", "count"), ("{s}有没有{a}", "yesno"), ("{s}的{a}是多少", "amount"), ("{s}{a}怎么样", "definition"),
    ("{s}有几{c}{a}", "count"), ("{s}的{a}在哪里", "place"),
)
# Plain questions for related-question buttons (readable()): one per fact type that reads well
# with any subject; amounts only when they are money.
PLAIN_ZH = {"place": "{s}在哪里？", "area": "{s}占地多大？", "amount": "{s}总投资多少？"}
_FILLERS = ("大概", "目前", "一般", "现在", "大约")
_EDGE_WORDS_RE = re.compile(r"^(?:约|达|为|预计|规划|已经|已|有|共|其中|目前|还|都|并|同时|此外|另外|而且)+|(?:约|达|为|等|的)+$")
TOPIC_WORDS = 5  # per article: the common nouns a question may add from its topic
_FAKE_NAME_CHARS = "青岚星河云锦天麓龙泉金凤翠湖银杉华阳沧澜紫荆蓝湾松岭鹤鸣"


@dataclass(frozen=True)
class SentenceRef:
    row: int  # the sentence's row in the index (sentence_vectors)
    passage: int
    text: str
    section: str
    title: str
    source: str


@dataclass(frozen=True)
class GeneratedQuestion:
    text: str
    lang: str
    answer_type: str
    row: int  # the sentence it was generated from
    answerable: bool
    kind: str  # which template or perturbation made it, for reports
    answer: str = ""  # the fact that answers it ("" for negatives and descriptions)
    # Words a sentence must all hold to answer it as well as its source does (a description of
    # a subject is answered by any sentence about the subject); () = only the source sentence.
    evidence: tuple[str, ...] = ()


class QuestionGenerator:
    def __init__(
        self, tokenizer: Tokenizer, glossary: Mapping[str, list[str]], corpus_text: str, seed: int = 13,
        paraphrases: Mapping[str, list[str]] | None = None, dictionary: Iterable[str] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.rng = random.Random(seed)
        self.corpus_text = corpus_text
        self.english = _reverse_glossary(glossary, dictionary)  # `dictionary`: CC-CEDICT lines, None = bundled
        # Other wordings of corpus words: the glossary's, and words the corpus never uses
        # (`paraphrases`, from a dictionary) so that a user's unfamiliar word is no sure sign of
        # an unanswerable question.
        self.synonyms = {k: list(v) for k, v in glossary.items() if has_cjk(k) and v}
        for word, others in (paraphrases or {}).items():
            self.synonyms.setdefault(word, []).extend(others)
        self._homophones = _homophone_table(corpus_text)
        self._titles: dict[str, str] = {}
        self._topics: dict[str, list[str]] = {}  # source -> the common nouns its sentences use most

    def readable(self, sentences: Sequence[SentenceRef]) -> list[GeneratedQuestion]:
        """Answerable questions worded as a user would read them (related questions): a named
        subject of the sentence with one plain question per fact it states, no noise, no negatives.
        Chinese sentences only: their English wordings go through the glossary word by word."""
        out: list[GeneratedQuestion] = []
        for ref in sentences:
            if not has_cjk(ref.text):
                continue
            tagged = self.tokenizer.tagged(ref.text)
            facts = find_facts(ref.text, tagged)
            subject = self._subject(ref, facts, tagged)
            if not (len(subject) >= 4 or subject.endswith(ORG_SUFFIXES)) or subject not in ref.text:
                continue  # "城市", "特点": not a name anyone would ask about
            out.append(GeneratedQuestion(f"介绍一下{subject}？", "zh", "definition", ref.row, True, "plain-about",
                                         evidence=(subject,)))
            for fact in facts:
                template = PLAIN_ZH.get(fact.type)
                if template and not (fact.type == "amount" and not fact.text.endswith("元")):
                    out.append(GeneratedQuestion(template.format(s=subject), "zh", fact.type, ref.row, True,
                                                 "plain-fact", fact.text))
        return out

    def generate(self, sentences: Sequence[SentenceRef], per_sentence: int = 80) -> list[GeneratedQuestion]:
        prepared = []
        nouns: dict[str, Counter[str]] = defaultdict(Counter)  # per article: in how many sentences
        for ref in sentences:
            if not has_cjk(ref.text) and len(ref.text) < 20:
                continue
            tagged = self.tokenizer.tagged(ref.text) if has_cjk(ref.text) else []
            facts = find_facts(ref.text, tagged)
            prepared.append((ref, facts, self._subject(ref, facts, tagged)))
            # Each noun once per sentence, in order (not a set: ties must break alike in every run).
            nouns[ref.source].update(dict.fromkeys(w for w, flag in tagged if flag == "n" and len(w) >= 2).keys())
        # The common nouns (no names) the most sentences of an article use: the words of its topic.
        self._topics = {source: [w for w, _ in c.most_common(TOPIC_WORDS)] for source, c in nouns.items()}
        by_subject: dict[str, set[str]] = defaultdict(set)  # subject -> fact types any sentence naming it states
        for subject in {s for _, _, s in prepared if s}:
            for ref, facts, _ in prepared:
                # An article says "园区…" of the park its title names: what any of its sentences
                # states may be about that park.
                owner = self._title_name(ref.title)
                if subject in ref.text or subject in ref.section or (owner and (subject in owner or owner in subject)):
                    by_subject[subject].update(f.type for f in facts)
        out: list[GeneratedQuestion] = []
        for ref, facts, subject in prepared:
            made = self._positives(ref, facts, subject) + self._negatives(ref, facts, subject, by_subject)
            self.rng.shuffle(made)
            positives = [q for q in made if q.answerable][: max(2, per_sentence * 2 // 3)]
            negatives = [q for q in made if not q.answerable][: max(1, per_sentence // 3)]
            out.extend(positives + negatives)
        return out

    # --- positives

    def _positives(self, ref: SentenceRef, facts: list[Fact], subject: str) -> list[GeneratedQuestion]:
        out: list[GeneratedQuestion] = []
        zh = has_cjk(ref.text)
        owner = self._title_name(ref.title)
        for fact in facts:
            if fact.type == "organisation" and (fact.text in subject or subject in fact.text):
                continue  # the subject itself is no answer to a question about it
            clause = fact.clause_text(ref.text)
            rest = _EDGE_WORDS_RE.sub("", (clause[: fact.start - fact.clause[0]] + clause[fact.end - fact.clause[0]:]).strip())
            if len(self.tokenizer.words(rest)) < 2:
                # A fact alone in its clause ("2017年3月16日，园区…成立"): the rest of the sentence says what it is of.
                rest = _EDGE_WORDS_RE.sub("", (ref.text[: fact.start] + ref.text[fact.end:]).strip(" ，,。.；;"))
            if zh:
                for _ in range(10):
                    # Half the time the question names what the article is about (the park in its
                    # title), as an investor would, rather than the sentence's own subject.
                    who = owner if owner and owner not in subject and (not subject or self.rng.random() < 0.5) else subject
                    stem = rest if who and who in rest else f"{who}{rest}"
                    if len(stem) < 2:
                        break
                    ask = self.rng.choice(_zh_asks(fact))
                    text = self._with_topic(self._with_year(self._zh_question(stem, ask, who), who, ref.text, fact), ref)
                    out.append(GeneratedQuestion(self._noisy_zh(text), "zh", fact.type, ref.row, True, "fact", fact.text))
            # English: the subject and a word or two of what is asked, as in `_zh_question`.
            who = self._english_words(subject) if zh else []
            asked = [w for w in self._english_words(rest) if w not in who]
            for _ in range(6 if who or asked else 0):
                picked = sorted(self.rng.sample(range(len(asked)), min(len(asked), self.rng.choice((1, 1, 2)))))
                words = who + [asked[i] for i in picked] if zh else asked
                text = self.rng.choice(EN_ASK[fact.type]).format(k=" ".join(words))
                out.append(GeneratedQuestion(self._noisy_en(text), "en", fact.type, ref.row, True, "fact-en", fact.text))
            kind = self._list_kind(ref.text, fact) if fact.type == "list" and zh else ""
            if kind and kind not in subject:
                # "…等高校16所" answers "沙坪坝有哪些高校": the kind the list names, asked for.
                for template in self.rng.sample(ZH_KIND_ASK, 2):
                    text = template.format(s=owner if owner and self.rng.random() < 0.5 else subject, k=kind)
                    out.append(GeneratedQuestion(self._noisy_zh(text), "zh", "list", ref.row, True, "list-kind", fact.text))
                english, who = self._english_words(kind), self._english_words(subject)
                if english and who:
                    text = self.rng.choice(EN_KIND_ASK).format(s=" ".join(who), k=" ".join(english))
                    out.append(GeneratedQuestion(self._noisy_en(text), "en", "list", ref.row, True, "list-kind-en", fact.text))
        if subject and zh:
            text = self.rng.choice(ZH_ABOUT).format(s=subject)
            out.append(GeneratedQuestion(self._noisy_zh(text), "zh", "definition", ref.row, True, "about",
                                         evidence=(subject,)))
            english = self._english_words(subject)
            if english:
                text = self.rng.choice(EN_ASK["definition"]).format(k=" ".join(english))
                out.append(GeneratedQuestion(self._noisy_en(text), "en", "definition", ref.row, True, "about-en",
                                             evidence=(subject,)))
            word = self._present_word(ref.text, subject)
            if word:
                text = f"{subject}{self.rng.choice(ZH_ASK['yesno'])}{word}"
                out.append(GeneratedQuestion(self._noisy_zh(text), "zh", "yesno", ref.row, True, "yesno",
                                             evidence=(subject, word)))
        return out

    def _zh_question(self, stem: str, ask: str, subject: str) -> str:
        if ask in ZH_ASK["date"] and subject and stem.startswith(subject) and len(stem) > len(subject) + 1:
            return f"{subject}{ask}{stem[len(subject):]}的"  # "园区什么时候成立的"
        words = [w for w in self.tokenizer.words(stem) if len(w) >= 2 and w not in subject]
        if words and (len(words) > 3 or self.rng.random() < 0.6):
            # People name the subject and a word or two of what they want, never a whole clause.
            picked = sorted(self.rng.sample(range(len(words)), min(len(words), self.rng.choice((1, 1, 2, 3)))))
            stem = (subject if self.rng.random() < 0.8 else "") + "".join(words[i] for i in picked)
        return f"{stem}{ask}"

    def _with_year(self, question: str, subject: str, sentence: str, fact: Fact) -> str:
        """Half the time the question names the year its sentence states ("X2023年产值多少"), as
        people ask about a year's figures: the ranker learns that the year must agree."""
        stated = sorted(years(sentence) - years(fact.text))
        if not stated or fact.type == "date" or self.rng.random() < 0.5:
            return question
        year = f"{self.rng.choice(stated)}年"
        at = len(subject) if subject and question.startswith(subject) else 0
        return f"{question[:at]}{year}{question[at:]}"

    def _with_topic(self, question: str, ref: SentenceRef) -> str:
        """A quarter of the time the question also names a word of its article's topic that the
        sentence leaves implicit ("园区…", "项目…"), as investors do."""
        topics = [w for w in self._topics.get(ref.source, ()) if w not in question and w not in ref.text]
        if not topics or self.rng.random() >= 0.25:
            return question
        return f"{self.rng.choice(topics)}{question}"

    def _list_kind(self, sentence: str, fact: Fact) -> str:
        """The kind a Chinese list names after 等, head last: "…等高校16所" → 高校, "…等9个新型研发机构"
        → 机构, "…等84家会员共同参与" → 会员; or before the dash or colon that opens its items:
        "重点发展四大产业集群——A、B、C" → 集群 (jieba cuts 产业/集群); "" when it names none."""
        at = sentence.rfind("等", fact.start, fact.clause[1])
        match = _KIND_TAIL_RE.match(sentence, at) if at >= 0 else None
        if match:  # the first run of kind words after 等
            tagged = dropwhile(lambda wf: not _in_kind(wf[1]), self.tokenizer.tagged(match.group(1)))
            return _kind_noun(list(takewhile(lambda wf: _in_kind(wf[1]), tagged)))
        # The colon ends a clause: the kind may stand just before the list's own clause.
        lead = _KIND_LEAD_RE.search(sentence, max(0, fact.clause[0] - KIND_LEAD_CHARS - 1), fact.clause[1])
        if not lead:
            return ""
        # The run of kind words next to the dash or colon.
        run = list(takewhile(lambda wf: _in_kind(wf[1]), reversed(self.tokenizer.tagged(lead.group(1)))))
        return _kind_noun(run[::-1])

    # --- negatives

    def _negatives(
        self, ref: SentenceRef, facts: list[Fact], subject: str, by_subject: Mapping[str, set[str]],
    ) -> list[GeneratedQuestion]:
        out: list[GeneratedQuestion] = []
        if not has_cjk(ref.text):
            return out
        if subject:
            stated = by_subject.get(subject, set())
            for kind in [k for k in ZH_MISSING if k not in stated]:
                text = self.rng.choice(ZH_MISSING[kind]).format(s=subject)
                out.append(GeneratedQuestion(self._noisy_zh(text), "zh", kind, ref.row, False, "missing-attribute"))
                english = self._english_words(subject)
                if english and self.rng.random() < 0.8:
                    text = self.rng.choice(EN_MISSING[kind]).format(s=" ".join(english))
                    out.append(GeneratedQuestion(self._noisy_en(text), "en", kind, ref.row, False, "missing-attribute-en"))
            absent = [a for a in self.rng.sample(COMMON_ASKS, len(COMMON_ASKS)) if a not in self.corpus_text][:2]
            for ask, (template, kind) in zip(absent, self.rng.sample(_ABSENT_TEMPLATES, 2), strict=False):
                text = template.format(s=subject, a=ask, c=self.rng.choice("个家所人项"))
                out.append(GeneratedQuestion(self._noisy_zh(text), "zh", kind, ref.row, False, "absent-thing"))
            fake = self._fake_name(subject)
            positives = self._positives(ref, facts, subject)
            if positives and fake:
                q = self.rng.choice([p for p in positives if p.lang == "zh"] or positives)
                if subject in q.text:
                    out.append(GeneratedQuestion(q.text.replace(subject, fake), q.lang, q.answer_type, ref.row, False,
                                                 "unknown-subject"))
        counted = [f for f in facts if f.type in ("count", "amount", "area")]
        if counted:
            fact = self.rng.choice(counted)
            year = self._absent_year(ref.text)
            base = _EDGE_WORDS_RE.sub("", fact.clause_text(ref.text).replace(fact.text, "")) or subject
            if year and base:
                text = f"{subject if subject not in base else ''}{year}年{base}{self.rng.choice(ZH_ASK[fact.type])}"
                out.append(GeneratedQuestion(self._noisy_zh(text), "zh", fact.type, ref.row, False, "other-year"))
        return out

    def _absent_year(self, text: str) -> str:
        stated = set(re.findall(r"(?:19|20)\d{2}", self.corpus_text if len(self.corpus_text) < 200_000 else text))
        options = [str(y) for y in range(2005, 2026) if str(y) not in stated]
        return self.rng.choice(options) if options else ""

    def _fake_name(self, subject: str) -> str:
        suffix = next((s for s in ORG_SUFFIXES if subject.endswith(s)), "科技园")
        for _ in range(5):
            name = "".join(self.rng.sample(_FAKE_NAME_CHARS, 2)) + suffix
            if name not in self.corpus_text:
                return name
        return ""

    # --- wording

    def _subject(self, ref: SentenceRef, facts: list[Fact], tagged: list[tuple[str, str]]) -> str:
        """What the sentence is about: its first name; else the name its article's title gives
        (a sentence says "园区…" where the question names the park); else its first noun."""
        names = [f.text for f in facts if f.type == "organisation" and len(f.text) <= 16]
        if names:
            return names[0]
        for word, flag in tagged:
            if flag in ("ns", "nt", "nz") and len(word) >= 2:
                return word
        title = self._title_name(ref.title)
        if title:
            return title
        nouns = [w for w, flag in tagged if flag == "n" and len(w) >= 2]
        return nouns[0] if nouns else ""

    def _title_name(self, title: str) -> str:
        if title not in self._titles:
            tagged = self.tokenizer.tagged(title) if has_cjk(title) else []
            names = [f.text for f in find_facts(title, tagged) if f.type == "organisation" and len(f.text) <= 16]
            self._titles[title] = names[0] if names else ""
        return self._titles[title]

    def _present_word(self, sentence: str, subject: str) -> str:
        words = [w for w, flag in self.tokenizer.tagged(sentence)
                 if flag in ("n", "nz", "vn") and len(w) >= 2 and w not in subject]
        return self.rng.choice(words) if words else ""

    def _english_words(self, text: str) -> list[str]:
        if not has_cjk(text):
            return [w for w in re.findall(r"[A-Za-z][A-Za-z-]+", text)][:6]
        out: list[str] = []
        for word, flag in self.tokenizer.tagged(text):
            english = self.english.get(word)
            # A pinyin spelling stands for a place or person name only ("Shapingba"), never for
            # a word that has a translation the glossary lacks ("Jianzhumianji").
            if english and english[:1].isupper() and not flag.startswith(("ns", "nr")):
                continue
            if english and english not in out:
                out.append(english)
        return out[:5]

    def _noisy_zh(self, text: str) -> str:
        r = self.rng
        if r.random() < 0.3:
            text = text.replace("的", "", 1) if r.random() < 0.5 else text.replace("了", "", 1)
        if r.random() < 0.4:
            text = self._synonym(text)
        if r.random() < 0.15:
            at = r.randrange(len(text)) if text else 0
            text = text[:at] + r.choice(_FILLERS) + text[at:]
        if r.random() < 0.15:
            text = self._typo_zh(text)
        prefix = r.choice(ZH_PREFIXES).format(i=r.choice(INDUSTRIES))
        return f"{prefix}{text}{r.choice(ZH_SUFFIXES)}"

    def _noisy_en(self, text: str) -> str:
        r = self.rng
        if r.random() < 0.12:
            words = text.split()
            long = [i for i, w in enumerate(words) if len(w) > 4]
            if long:
                i = r.choice(long)
                w = words[i]
                j = r.randrange(1, len(w) - 2)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]  # swapped letters: "whcih", "investmnet"
                text = " ".join(words)
        if r.random() < 0.3:
            text = text.lower().rstrip("?")
        return r.choice(EN_PREFIXES).format(i=r.choice(EN_INDUSTRIES)) + text

    def _synonym(self, text: str) -> str:
        words = [w for w in self.tokenizer.words(text) if w in self.synonyms]
        if not words:
            return text
        word = self.rng.choice(words)
        return text.replace(word, self.rng.choice(self.synonyms[word]), 1)

    def _typo_zh(self, text: str) -> str:
        spots = [i for i, ch in enumerate(text) if ch in self._homophones]
        if not spots:
            return text
        i = self.rng.choice(spots)
        return text[:i] + self.rng.choice(self._homophones[text[i]]) + text[i + 1:]


def _in_kind(flag: str) -> bool:
    """Whether a tagged word may be part of a list's kind: a compound noun may hold a verb
    ("科技创新实体平台"); names are items, not kinds."""
    return flag.startswith(("n", "v", "b", "j")) and not flag.startswith(("nr", "ns", "nt"))


def _kind_noun(run: list[tuple[str, str]]) -> str:
    """The kind a run of tagged words names: its last noun (Chinese is head-last), "" for none."""
    nouns = [w for w, flag in run if flag.startswith("n") and len(w) >= 2]
    return nouns[-1] if nouns else ""


def _zh_asks(fact: Fact) -> tuple[str, ...]:
    measure = measure_word(fact.text) if fact.type == "count" else ""
    if measure:  # a count is asked in its own measure word: "16所" with "几所", "84家" with "多少家"
        return tuple(template.format(measure) for template in ZH_COUNT_ASK)
    if fact.type != "organisation":
        return ZH_ASK[fact.type]
    return next(asks for suffixes, asks in ZH_ORG_ASK if not suffixes or fact.text.endswith(suffixes))


def _reverse_glossary(glossary: Mapping[str, list[str]], lines: Iterable[str] | None = None) -> dict[str, str]:
    """Corpus word → an English word for it: a translation first, its pinyin spelling only
    when there is none (names: "Shapingba"). Of several translations, the one the word's own
    dictionary entry gives first (its usual sense), then the one that lists the word first."""
    options: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    spelled: dict[str, str] = {}
    for english, words in glossary.items():
        if has_cjk(english) or not english.isascii() or len(english) < 3:
            continue
        for rank, word in enumerate(words):
            if _is_pinyin_of(english, word):
                spelled.setdefault(word, english.capitalize())
            else:
                options[word].append((rank, len(english), english))
    order = dictionary_order(set(options), lines)
    surfaces = surface_words()
    out: dict[str, str] = {}
    for word, found in options.items():
        usual = order.get(word, [])
        # Not the shortest English: that is often a rare sense (平台 "terrace", 创新 "trail").
        _, _, english = min(found, key=lambda o: (usual.index(o[2]) if o[2] in usual else len(usual), *o))
        out[word] = surfaces.get(english, english)  # a word, not its stem
    return {**spelled, **out}


def _is_pinyin_of(english: str, word: str) -> bool:
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - a declared dependency
        return False
    return english == "".join(lazy_pinyin(word))


def _homophone_table(text: str) -> dict[str, list[str]]:
    """Characters of the corpus that sound alike (a typed pinyin picks the wrong one), by the
    same character sounds the typo fixer reads (knowledge.spelling)."""
    sounds = sound_table()
    groups: dict[str, list[str]] = defaultdict(list)
    for ch in sorted({ch for ch in text if "\u4e00" <= ch <= "\u9fff"}):
        groups[sounds.get(ch, ch)].append(ch)
    return {ch: [o for o in group if o != ch] for group in groups.values() for ch in group if len(group) > 1}


def sentence_refs(passages: Iterable, offsets) -> list[SentenceRef]:
    """One record per indexed sentence (rows as in the index's sentence vectors)."""
    out: list[SentenceRef] = []
    for i, p in enumerate(passages):
        for j, text in enumerate(p.sentence_texts()):
            out.append(SentenceRef(int(offsets[i]) + j, i, text, p.section, p.title, p.source))
    return out
