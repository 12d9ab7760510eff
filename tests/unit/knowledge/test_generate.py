from knowledge.generate import QuestionGenerator, SentenceRef
from knowledge.lexical import Tokenizer

SENTENCES = [
    "示范园于2019年5月18日正式挂牌成立。",
    "示范园占地约850亩，总投资68亿元。",
    "示范园已引进企业120家，其中高新技术企业36家。",
]


def generate(tmp_path, seed=7):
    refs = [SentenceRef(i, i, text, "概况", "示范园简介", "a.txt") for i, text in enumerate(SENTENCES)]
    generator = QuestionGenerator(Tokenizer(tmp_path), {"park": ["示范园"], "investment": ["总投资"]},
                                  " ".join(SENTENCES), seed=seed)
    return generator.generate(refs)


def test_generation_is_reproducible(tmp_path):
    assert generate(tmp_path) == generate(tmp_path)
    assert generate(tmp_path) != generate(tmp_path, seed=8)


def test_each_answerable_question_comes_with_the_fact_that_answers_it(tmp_path):
    questions = generate(tmp_path)
    facts = [q for q in questions if q.answerable and q.answer]
    assert facts, "no fact questions generated"
    for q in facts:
        assert q.answer in SENTENCES[q.row]
        assert q.answer not in q.text  # the fact is asked for, not given away
    assert {q.answer_type for q in facts} >= {"area", "amount"}


def test_negatives_ask_for_what_no_sentence_states(tmp_path):
    questions = generate(tmp_path)
    negatives = [q for q in questions if not q.answerable]
    assert negatives
    kinds = {q.kind for q in negatives}
    assert kinds & {"missing-attribute", "absent-thing", "unknown-subject", "other-year"}
    for q in negatives:
        if q.kind == "missing-attribute":
            # the subject's sentences state no fact of this type
            assert q.answer_type in {"organisation", "place"}  # date, area and amount are all stated
        if q.kind == "other-year":
            assert not any(year in q.text for year in ("2019",))


def test_a_list_that_names_its_kind_is_asked_for_by_that_kind(tmp_path):
    text = "区内还有东华大学、西林理工大学等高校16所，以及高校、企业、研发机构等84家会员。"
    refs = [SentenceRef(0, 0, text, "概况", "示范园简介", "a.txt")]
    generator = QuestionGenerator(Tokenizer(tmp_path), {"university": ["高校"], "member": ["会员"]}, text, seed=3)
    kinds = [q for q in generator.generate(refs, per_sentence=200) if q.kind.startswith("list-kind")]
    zh = [q.text for q in kinds if q.lang == "zh"]
    # Each list is asked for by the noun after its 等: 高校 for the first, 会员 for the second.
    assert any("高校" in q for q in zh) and any("会员" in q for q in zh)
    assert all(q.answer_type == "list" and q.answerable for q in kinds)
