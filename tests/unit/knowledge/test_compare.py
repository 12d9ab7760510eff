import pytest

from knowledge.compare import value_of


@pytest.mark.parametrize(("text", "kind", "value", "unit"), [
    ("约78亩", "area", 78 * 666.67, "area"),
    ("约27万平方米", "area", 270_000.0, "area"),
    ("18平方公里", "area", 18_000_000.0, "area"),
    ("22亿元", "amount", 2.2e9, "元"),
    ("1.5万亿元", "amount", 1.5e12, "元"),
    ("9万余人", "count", 90_000.0, "人"),
    ("84家", "count", 84.0, "家"),
    ("3.08%", "percent", 3.08, "percent"),
    ("120 hectares", "area", 1_200_000.0, "area"),
])
def test_quantities_convert_to_one_unit_of_their_kind(text, kind, value, unit):
    assert value_of(text, kind) == (pytest.approx(value), unit)


def test_a_quantity_without_digits_or_a_known_unit_is_not_compared():
    assert value_of("三大板块", "count") is None
    assert value_of("约5个足球场", "area") is None


def test_unit_agreement_reads_the_unit_after_the_number():
    from knowledge.facts import find_facts
    from knowledge.ranking import unit_agreement

    assert unit_agreement("人", tuple(find_facts("科技工作者9万余人"))) == 1.0
    assert unit_agreement("亩", tuple(find_facts("总投资22亿元"))) == -1.0  # a quantity, of another unit
    assert unit_agreement("", tuple(find_facts("总投资22亿元"))) == 0.0  # no unit asked
