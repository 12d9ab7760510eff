import pytest

from knowledge.facts import find_facts, months, numbers, organisations, years
from knowledge.lexical import Tokenizer


def types(text: str) -> dict[str, str]:
    return {f.type: f.text for f in find_facts(text)}


def test_quantities_are_typed_by_their_units():
    found = types("示范园2019年5月成立，占地约850亩，总投资68亿元，引进企业120家，研发投入占比4.5%。")
    assert found["date"] == "2019年5月"
    assert found["area"] == "850亩"
    assert found["amount"] == "68亿元"
    assert found["count"] == "120家"
    assert found["percent"] == "4.5%"


def test_an_area_or_amount_is_not_also_a_count():
    facts = find_facts("建筑面积约27万平方米，投资3亿元。")
    assert [f.type for f in facts] == ["area", "amount"]


def test_english_facts():
    found = types("Founded in 2018, the valley covers 4.6 square kilometres and hosts 134 companies, with RMB 36 billion invested.")
    assert found["date"] == "in 2018"
    assert found["area"].startswith("4.6 square")
    assert found["count"] == "134 companies"
    assert "36 billion" in found["amount"]


def test_distances_and_spans_of_time_are_their_own_kinds_not_counts_or_areas():
    distances = [f.text for f in find_facts("物流园距机场约35公里，离地铁站800米。") if f.type == "distance"]
    assert distances == ["35公里", "800米"]
    durations = [f.text for f in find_facts("车程约40分钟，前2年免租，免租3个月，3个工作日内办结。") if f.type == "duration"]
    assert durations == ["40分钟", "2年", "3个月", "3个工作日"]
    assert "count" not in types("免租3个月")  # a span of months is no count of things
    assert types("占地12平方公里")["area"] == "12平方公里"  # square kilometres stay an area
    assert "duration" not in types("2023年开工，第3年租金减半")  # a date and an ordinal year are no spans
    assert "duration" not in types("今年2月份来园区调研")  # February, not two months
    english = types("The hub lies 42 kilometres from the airport, a 50-minute drive; start-ups pay no rent for 2 years.")
    assert english["distance"] == "42 kilometres" and "count" not in english
    assert [f.text for f in find_facts("a 50-minute drive; no rent for 2 years") if f.type == "duration"] == ["50-minute", "2 years"]


def test_place_and_clause():
    text = "服务中心位于滨江路与学府大道交汇处，总投资5亿元。"
    place = next(f for f in find_facts(text) if f.type == "place")
    assert place.text.startswith("位于滨江路")
    assert place.clause_text(text) == "服务中心位于滨江路与学府大道交汇处"


def test_organisation_names_from_tagged_words(tmp_path):
    tagged = Tokenizer(tmp_path).tagged("与清华大学签订协议，与重庆科技学院合作建设实验室。")
    names = organisations(tagged)
    assert "清华大学" in names
    assert "重庆科技学院" in names
    assert "科技学院" not in names  # the longest name only


def test_years_and_numbers_are_told_apart():
    assert years("2017年投资3.5亿元，共12个项目") == {"2017"}
    assert numbers("2017年投资3.5亿元，共12个项目") == {"3.5", "350000000", "12"}  # 3.5亿 is also its value


@pytest.mark.parametrize(("text", "year", "number"), [
    ("我们实缴注册资本2000万", set(), "2000"),  # a figure in 万 is no year
    ("补贴面积最高2000平方米", set(), "2000"),
    ("about 2000 square metres", set(), "2000"),
    ("2000家企业入驻", set(), "2000"),
    ("2016到2017年", {"2016", "2017"}, None),
    ("in 2019, the park opened", {"2019"}, None),
])
def test_a_figure_with_a_magnitude_or_unit_is_no_year(text, year, number):
    assert years(text) == year
    assert number is None or number in numbers(text)


def test_months_are_calendar_months_not_spans():
    assert months("2023年8月8日开工，4月份签约") == {8, 4}
    assert months("免租3个月，每月补贴3000元，月产能5万片") == set()


@pytest.mark.parametrize(("text", "named"), [
    ("三月份那次签约", {3}),
    ("十一月开工的项目", {11}),
    ("2023年春天那次集中签约", {3, 4, 5}),
    ("第三季度重大项目集中开工", {7, 8, 9}),
    ("下半年投产", set(range(7, 13))),
    ("截至2023年底", {11, 12}),
    ("the signing in March 2023", {3}),
    ("the Aug. event", {8}),
    ("projects signed in May", {5}),
    ("in the fall of 2023", {9, 10, 11}),
    ("Q3 output", {7, 8, 9}),
    ("by the end of 2024", {11, 12}),
])
def test_months_are_named_in_words_and_by_the_part_of_the_year(text, named):
    assert months(text) == named


@pytest.mark.parametrize("text", [
    "春节前后", "may I ask where the park is", "does it fall under the policy", "we decided to octuple",
    "2023年中国西部", "2023年初步建成", "三个月",
])
def test_words_that_only_look_like_months_name_none(text):
    assert months(text) == set()


def test_two_items_are_a_list_when_etc_names_their_kind():
    assert any(f.type == "list" for f in find_facts("还有东华大学、西林理工大学等高校16所。"))
    assert not any(f.type == "list" for f in find_facts("东华大学与西林理工大学合作。"))


def test_one_named_item_with_a_count_of_its_kind_is_a_list():
    # "A等9个新型研发机构" names one of nine institutes: it answers "有哪些研发机构" as a list would.
    facts = find_facts("园区已落地东风研究院等9个新型研发机构，交付还需等3个月。")
    lists = [f.text for f in facts if f.type == "list"]
    assert any(t.endswith("等9个新型研发机构") for t in lists)
    assert not any("3个月" in t for t in lists)  # "等3个月" is "wait three months"


def _items(text: str, tmp_path) -> list[list[str]]:
    facts = find_facts(text, Tokenizer(tmp_path).tagged(text))
    return [[text[a:b] for a, b in f.items] for f in facts if f.type == "list"]


def test_the_items_a_list_sums_up_with_etc_are_told_from_its_clause_head(tmp_path):
    # The first item starts after the clause's verb: the subject and the verb are no item.
    assert ["东华微电子", "西林光学实验室", "南岸智能控制研究院"] in _items(
        "现场签约了包含东华微电子、西林光学实验室、南岸智能控制研究院等8个项目,总投资40亿元。", tmp_path)
    assert ["东华大学", "西林理工大学"] in _items("滨江区拥有东华大学、西林理工大学等高校16所。", tmp_path)


def test_a_list_without_etc_has_no_group_items(tmp_path):
    # "A、B、C上市的企业…奖励800万元": the figure holds for each board, not for a group of them.
    assert _items("对在境内主板、科创板、创业板成功上市的企业给予800万元奖励。", tmp_path) == [[]]
