from knowledge.facts import numbers
from knowledge.lexical import Tokenizer
from knowledge.spelling import ChineseHomophones, EnglishSpelling, english_words, sound_table


def test_typos_become_the_question_words_and_glossary_words_they_misspell():
    fixer = EnglishSpelling(["industry", "academician", "investment"], dictionary=frozenset({"park", "focus"}))
    text, fixes = fixer.fix("whcih investmnet does the park focus on? how mnay academicians")
    assert text == "which investment does the park focus on? how many academicians"
    assert ("investmnet", "investment") in fixes and ("mnay", "many") in fixes


def test_dictionary_words_are_never_changed_even_when_the_articles_never_use_them():
    # "rent" is one edit from "rest"; changing it would answer a question the articles cannot.
    fixer = EnglishSpelling(["rest", "investment"])
    assert "rent" in english_words()
    assert fixer.fix("What is the monthly rent?") == ("What is the monthly rent?", ())


def test_short_and_distant_words_are_left_alone():
    fixer = EnglishSpelling(["park"], dictionary=frozenset())
    assert fixer.fix("prk") == ("prk", ())  # three letters: too many neighbours to guess
    assert fixer.fix("Jinglan") == ("Jinglan", ())  # a name no target is near


def test_chat_shorthand_for_a_function_word_is_that_word():
    # Typed without vowels, "wht", "pls", "hav" weighed as the rarest words of the question.
    fixer = EnglishSpelling(["park", "area"], dictionary=frozenset({"planned", "got"}))
    text, fixes = fixer.fix("wht is the planned area pls? hav u got it")
    assert text == "what is the planned area please? have u got it"
    assert ("pls", "please") in fixes
    # Only a function word's skeleton, and only when the letters come in its order: "prk" may be
    # anything; "gdp" and "ibm" skeleton no function word.
    assert fixer.fix("prk gdp ibm") == ("prk gdp ibm", ())


def test_names_in_pinyin_are_not_typos_of_other_names():
    # "Xiyong" is one edit from the name "liyong"; written in pinyin syllables, it is a name of its own.
    syllables = {"xi", "yong", "li", "ge", "le", "lei", "feng", "ming", "ding"}
    fixer = EnglishSpelling(["liyong", "gelei", "fengding", "investment"], dictionary=frozenset(), syllables=syllables)
    assert fixer.fix("Xiyong and Gele, Fengming") == ("Xiyong and Gele, Fengming", ())
    assert fixer.fix("investmnet")[0] == "investment"  # a typo is still one
    assert EnglishSpelling(["liyong"], dictionary=frozenset()).fix("Xiyong")[0] == "liyong"  # without syllables


def test_british_spellings_and_derived_words_of_dictionary_words_are_words():
    fixer = EnglishSpelling(["location", "could", "priorities", "conducting"],
                            dictionary=frozenset({"relocate", "conduct", "mold", "priority", "center"}))
    for word in ("relocation", "conductive", "mould", "prioritise", "centre"):
        assert fixer.fix(f"any {word} award") == (f"any {word} award", ()), word
    assert fixer.fix("locaton")[0] == "location"  # derived from nothing: a typo


def test_chinese_magnitudes_are_numbers_too():
    assert "10000" in numbers("2017年,万人发明专利拥有量36.45件")  # agrees with "per 10,000 people"
    assert {"9", "90000"} <= numbers("科技工作者9万余人")
    assert numbers("万达广场千万不要去") == set()  # a magnitude inside a word is no number
    assert numbers("第六届大赛") == {"6"} and numbers("前五届累计1600余个项目") == {"5", "1600"}
    assert numbers("这三个项目里有没有一家做芯片的企业") == set()  # counts in words describe; 一家 is "a"


def test_a_chinese_sound_alike_that_is_no_word_becomes_the_corpus_word(tmp_path):
    fixer = ChineseHomophones(["占地", "孵化器", "孵化", "产业园", "园区", "专利", "拥有", "利用", "研发", "基地"], Tokenizer(tmp_path), sound_table())
    assert fixer.fix("物流园展地多少亩？") == ("物流园占地多少亩？", (("展地", "占地"),))
    assert fixer.fix("有木有研发基低、产业圆")[0] == "有木有研发基地、产业园"
    # Real words stay, however they sound: 公式 is a word, not a typo of anything.
    assert fixer.fix("园区有没有公式？") == ("园区有没有公式？", ())
    # A window across two corpus words is no typo: "专利拥有" holds 利拥, which sounds like 利用.
    assert fixer.fix("发明专利拥有量在全市排第几？") == ("发明专利拥有量在全市排第几？", ())
    assert ChineseHomophones(["十一"], Tokenizer(tmp_path), sound_table()).fix("我们是一家小公司")[1] == ()  # numbers are no typos


def test_a_window_taking_part_of_two_dictionary_words_is_no_typo(tmp_path):
    # "分成|几个" holds 成几, which sounds like the corpus's 成绩; "供电|可靠" holds 电可 (电科).
    fixer = ChineseHomophones(["成绩", "电科", "面积", "园区"], Tokenizer(tmp_path), sound_table())
    assert fixer.fix("园区分成几个板块？") == ("园区分成几个板块？", ())
    assert fixer.fix("供电可靠率是多少") == ("供电可靠率是多少", ())
    assert fixer.fix("园区面基多大？")[0] == "园区面积多大？"  # a typo inside one word is still fixed
