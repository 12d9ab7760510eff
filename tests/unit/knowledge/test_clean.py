"""Cleaning the real scraped article, and the same rules on articles of other shapes."""

from pathlib import Path

import pytest

from knowledge.clean import clean_lines, normalise_line
from knowledge.ingest import read_article

# Lines of the real article that are page furniture, not content (checked by eye once).
FURNITURE = [
    "上游新闻", "更多的资讯等着你...", "立即下载", "汇聚向上的力量", "微信图片_20180206100315.png",
    "主办单位: 沙坪坝区委宣传部、区委网信办", "主编:蒋频 编辑:金永元", "(本文系沙坪坝微政务原创,转载请注明出处)",
    "免责声明", "syh@cqcb.com", "关心一下,为你推荐更多", "举报", "传播权威声音", "热门评论", "还没评论 快来说两句",
    "下载上游新闻看更多评论", "相关新闻",
]
# Lone labels under photos: kept aside as captions rather than indexed as sentences.
CAPTIONS = {"北斗科技", "小康车间"}


@pytest.fixture(scope="module")
def article(real_article: Path):
    return read_article(real_article, real_article.parent)


def test_title_and_byline_are_recognised(article):
    assert article.clean.title.startswith("重庆沙坪坝这片区域能否成为中国又一个")
    assert article.clean.byline == "沙坪坝微政务"


def test_no_boilerplate_is_left(article):
    text = article.clean.text
    left = [marker for marker in FURNITURE if marker in text]
    assert left == []
    assert ".png" not in text and "@" not in text


def test_every_content_line_is_kept(article, real_article: Path):
    raw = [normalise_line(x) for x in real_article.read_text(encoding="utf-8").splitlines()]
    text = article.clean.text
    content = [
        line for line in raw
        if line and line != article.clean.title and line != article.clean.byline
        and not any(marker in line for marker in FURNITURE) and line not in ("Top",)
    ]
    assert len(content) > 70
    missing = [line for line in content if line not in text and line not in CAPTIONS]
    assert missing == []
    assert set(article.clean.captions) == CAPTIONS


def test_fragments_are_joined_into_one_sentence(article):
    paragraphs = [p for s in article.clean.sections for p in s.paragraphs]
    joined = [p for p in paragraphs if "作为全市唯一的" in p]
    assert len(joined) == 1
    assert "“国家创新型试点城(区)”" in joined[0] and "沙坪坝已启动提速创新驱动" in joined[0]
    # Every paragraph now ends like a sentence.
    assert all(p[-1] in "。！？!?；;…" for p in paragraphs)


def test_short_headings_become_section_context(article):
    headings = [s.heading for s in article.clean.sections]
    for heading in ("好政策好制度的创新推动", "在园区建设上", "在创新平台上"):
        assert heading in headings
    park = next(s for s in article.clean.sections if s.heading == "在园区建设上")
    assert any("科创中心位于" in p for p in park.paragraphs)


def test_rules_are_general_for_another_site_and_language():
    lines = [
        "Download the app", "Get the app for more news", "", "Science Park opens a new incubator",
        "By Jane Doe", "",
        "The park opened its incubator on 3 May 2021.", "It has 40 offices for start-ups.",
        "photo_2021.jpg", "Editor: John Smith", "Contact us: press@example.com",
        "Comments", "Great news!", "Related news", "Another story",
    ]
    clean = clean_lines(lines)
    assert clean.title == "Science Park opens a new incubator"
    assert clean.byline == "By Jane Doe"
    assert clean.text == "The park opened its incubator on 3 May 2021.\nIt has 40 offices for start-ups."


def test_a_headline_above_the_app_banner_is_the_title_and_the_lede_stays():
    lines = [
        "西永微电子创新港集中签约12个项目 总金额96亿元", "山城观察", "更多精彩资讯，尽在山城观察APP", "立即下载", "",
        "本报讯（记者 周逸凡）2023年4月12日，创新港集中签约仪式举行，现场签约12个项目。", "此次签约的项目中，制造类项目7个。",
    ]
    clean = clean_lines(lines)
    assert clean.title == lines[0]
    assert clean.text.startswith("本报讯（记者 周逸凡）2023年4月12日")
    assert {"山城观察", "更多精彩资讯，尽在山城观察APP", "立即下载"} <= set(clean.removed)
    # A site's name or slogan above the banner is no headline: the title comes after the banner.
    assert clean_lines(["上游新闻", "汇聚向上的力量", "立即下载", *lines[:1], *lines[5:]]).title == lines[0]
    # An app advert is no headline; a headline that holds the letters "app" in a word is one.
    english = ["Apple supplier opens a plant in the park", "Get the app", "", "The plant opened in May."]
    assert clean_lines(english).title == english[0]
    assert clean_lines(["Read more news in the Chongqing Daily APP today", *english[1:]]).title == english[3]


def test_control_characters_are_removed():
    assert normalise_line("园区\x00简介\u200b  \t介绍") == "园区简介 介绍"
