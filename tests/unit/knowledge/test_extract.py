"""The extractors on files the tests write: sentences and tables survive, headings become sections,
navigation is dropped."""

from __future__ import annotations

from article_files import NAV_PAGE, PARK_SENTENCES, TABLE_LINES, docx_bytes, page_sentences, pdf_bytes

from knowledge.chunk import chunk_article
from knowledge.extract.pdf import extract_pdf
from knowledge.ingest import Article, clean_article


def test_pdf_keeps_wrapped_chinese_sentences_whole_on_every_page() -> None:
    extracted = extract_pdf(pdf_bytes(pages=2), "two-pages.pdf")
    assert extracted.title == "星河科技园招商指南"  # from the document's metadata
    lines = extracted.lines
    for page in (1, 2):
        for sentence in page_sentences(page):
            assert sentence in lines, sentence  # each wraps over two lines on the page: joined back


def test_pdf_table_rows_stay_rows_with_their_column_names() -> None:
    lines = extract_pdf(pdf_bytes(pages=2), "t.pdf").lines
    assert [line for line in lines if line.startswith("企业类型")] == TABLE_LINES  # the table is on page 1 only
    assert not any(line in ("研发企业", "五百万元") for line in lines)  # no cell left on a line of its own


def test_pdf_headings_become_sections_after_cleaning() -> None:
    clean = clean_article(pdf_bytes(pages=2), ".pdf", "t.pdf")
    by_heading = {s.heading: s.paragraphs for s in clean.sections}
    assert by_heading["第2章 园区概况"] == page_sentences(2)


def test_docx_heading_styles_become_sections_and_its_title_the_title() -> None:
    clean = clean_article(docx_bytes(), ".docx", "guide.docx")
    assert clean.title == "星河科技园投资指南"
    assert [(s.heading, s.paragraphs) for s in clean.sections] == [
        ("一、区位交通", [PARK_SENTENCES[0]]),
        ("二、扶持政策", [PARK_SENTENCES[1], *TABLE_LINES]),
    ]
    passages = chunk_article(Article("guide.docx", "x", clean), 220, 60)
    assert {p.section for p in passages} == {"一、区位交通", "二、扶持政策"}


def test_html_page_keeps_the_article_and_drops_its_navigation() -> None:
    clean = clean_article(NAV_PAGE.encode(), ".html", "news.html")
    assert clean.title == "星河科技园发布人才新政"
    text = clean.text
    assert all(s in text for s in PARK_SENTENCES)
    assert "新闻中心" not in text and "网站地图" not in text
