from dataclasses import replace

from actions.formatting import answer_payload, format_answer, format_related
from knowledge.types import Answer, Source


def source(title: str = "重庆大学城科技产业园", section: str = "园区建设") -> Source:
    return Source(id="p1", source="park.txt", title=title, section=section, text="……", score=0.9)


def grounded(lang: str, title: str = "大学城科技园", section: str = "园区建设") -> Answer:
    return Answer(
        question="q",
        answer="科创中心位于大学城南路与大学城中路交汇处。",
        grounded=True,
        sources=[source(title, section), source("另一篇", "")],
        lang=lang,
    )


def test_chinese_answer_cites_title_and_section() -> None:
    assert format_answer(grounded("zh")) == (
        "根据《大学城科技园》（园区建设）：科创中心位于大学城南路与大学城中路交汇处。"
    )


def test_english_question_gets_an_english_introduction_and_the_original_snippet() -> None:
    text = format_answer(grounded("en"))
    assert text.startswith("According to 《大学城科技园》 (园区建设): 科创中心位于大学城南路与大学城中路交汇处。")
    assert text.endswith(" (quoted from the article in Chinese)")  # a quotation, not a translation


def test_missing_or_redundant_section_is_left_out() -> None:
    assert format_answer(grounded("zh", section="")).startswith("根据《大学城科技园》：")
    assert format_answer(grounded("en", section="大学城科技园")).startswith("According to 《大学城科技园》: ")


def test_answer_without_sources_still_says_where_it_comes_from() -> None:
    answer = Answer(question="q", answer="A.", grounded=True, sources=[], lang="en")
    assert format_answer(answer) == "From the park's articles: A."


def test_payload_of_a_grounded_answer_lists_every_source_with_its_fields() -> None:
    payload = answer_payload(grounded("zh"))
    assert payload["grounded"] is True
    assert [s["title"] for s in payload["sources"]] == ["大学城科技园", "另一篇"]
    assert set(payload["sources"][0]) == {"id", "source", "title", "section", "text", "score", "sentence",
                                        "url", "published", "publisher", "link", "stale"}  # the first seven kept as they were


def test_payload_of_no_answer_cites_nothing() -> None:
    near_miss = Answer(question="q", answer="", grounded=False, sources=[source()], lang="zh")
    assert answer_payload(near_miss) == {"grounded": False, "sources": []}
    assert answer_payload(None) == {"grounded": False, "sources": []}


def test_a_related_passage_is_said_not_to_answer() -> None:
    near = Answer(question="q", answer="", grounded=False, lang="zh", outcome="related",
                  related=[Source("p1", "park.txt", "大学城科技园", "", "……", 0.3, "科创中心占地约78亩。")])
    text = format_related(near, "本园区")
    assert text.startswith("本园区发布的文章没有直接回答这个问题") and text.endswith("科创中心占地约78亩。")
    assert answer_payload(near) == {"grounded": False, "sources": [], "related": [near.related[0].to_dict()]}
    english = format_related(Answer("q", "", False, lang="en", outcome="related", related=near.related), "the park")
    assert english.startswith("The articles of the park don't answer this directly") and "(in Chinese)" in english


def dated(stale: bool) -> Answer:
    cited = Source("p1", "park.pdf", "园区政策汇编", "租金", "人才公寓租金减半。", 0.9, "人才公寓租金减半。",
                   url="https://park.example/policy", published="2019-03-01", publisher="管委会", stale=stale)
    return Answer("q", "人才公寓租金减半。", True, [cited], "zh")


def test_an_answer_from_an_old_article_says_when_it_was_published() -> None:
    assert format_answer(dated(stale=True)).endswith("（该文发布于2019-03-01，内容可能已有变化。）")
    assert "2019-03-01" not in format_answer(dated(stale=False))


def test_the_shell_citation_line_names_publisher_date_and_url() -> None:
    text = format_answer(dated(stale=False), citation=True)
    assert text.splitlines()[-1] == "来源：《园区政策汇编》租金（管委会，2019-03-01） https://park.example/policy"
    assert "\n" not in format_answer(dated(stale=False))  # other channels show source cards instead


def test_the_questions_of_a_message_left_unanswered_are_named_not_dropped() -> None:
    # "占地多少亩？有多少员工？": the first part quoted, the second said to be unanswered.
    answer = replace(grounded("zh"), unanswered=["有多少员工？"])
    text = format_answer(answer)
    assert text.startswith(format_answer(grounded("zh")))
    assert text.endswith("（文章没有直接回答：“有多少员工？”）")
    english = format_answer(replace(grounded("en"), unanswered=["who runs it?", "how many staff?"]))
    assert english.endswith("(The articles do not answer directly: “who runs it?”; “how many staff?”)")
    assert format_answer(grounded("en")).endswith("(quoted from the article in Chinese)")  # nothing added


def test_the_payload_lists_the_unanswered_questions_of_an_answer() -> None:
    assert answer_payload(replace(grounded("zh"), unanswered=["有多少员工？"]))["unanswered"] == ["有多少员工？"]
    assert "unanswered" not in answer_payload(grounded("zh"))
