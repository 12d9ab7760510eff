"""Chunking: whole sentences only, bounded size, overlap, stable ids and exact offsets."""

from itertools import pairwise
from pathlib import Path

import pytest

from knowledge.chunk import chunk_article, split_sentences
from knowledge.ingest import read_article

ENDINGS = tuple("。！？!?；;…")


@pytest.fixture(scope="module")
def article(real_article: Path):
    return read_article(real_article, real_article.parent)


def test_split_sentences_keeps_numbers_and_quotes_whole():
    text = "R&D投入占比3.08%;2017年居全市第一。他说：“好！”然后离开。It costs 3.5 m. Next one."
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == ["R&D投入占比3.08%;", "2017年居全市第一。", "他说：“好！”", "然后离开。", "It costs 3.5 m.", "Next one."]


@pytest.mark.parametrize(("size", "overlap"), [(220, 60), (120, 30), (400, 0)])
def test_passages_are_whole_sentences_within_size(article, size, overlap):
    passages = chunk_article(article, size, overlap)
    text = article.clean.text
    for p in passages:
        assert text[p.start : p.end] == p.text  # offsets point into the cleaned article
        sentences = p.sentence_texts()
        assert all(s.endswith(ENDINGS) or len(s) >= size - 5 for s in sentences), p.text
        assert len(p.text) <= size or len(sentences) == 1
    # No content sentence is lost: each one is in some passage.
    every = {s for sec in article.clean.sections for para in sec.paragraphs
             for s in (para[a:b] for a, b in split_sentences(para))}
    covered = {s for p in passages for s in p.sentence_texts()}
    # Only a sentence longer than a whole passage may be split (at clause punctuation).
    assert all(len(s) > size for s in every - covered)
    for s in every - covered:
        pieces = [x for p in passages for x in p.sentence_texts() if x in s]
        assert "".join(dict.fromkeys(pieces)) == s
        assert all(x[-1] in "，,、：:" for x in pieces[:-1])


def test_overlap_repeats_the_tail_of_the_previous_passage(article):
    passages = chunk_article(article, 120, 60)
    repeats = sum(
        1 for a, b in pairwise(passages)
        if a.section == b.section and a.sentence_texts()[-1] == b.sentence_texts()[0]
    )
    assert repeats >= 3
    assert not any(
        a.section == b.section and a.sentence_texts()[-1] == b.sentence_texts()[0]
        for a, b in pairwise(chunk_article(article, 120, 0))
    )


def test_passages_carry_section_title_source_and_stable_unique_ids(article):
    first = chunk_article(article, 220, 60)
    again = chunk_article(article, 220, 60)
    assert [p.id for p in first] == [p.id for p in again]
    assert len({p.id for p in first}) == len(first)
    assert all(p.source == "university-town-tech-park.txt" and p.title for p in first)
    park = [p for p in first if "科创中心位于" in p.text]
    assert park and park[0].section == "在园区建设上"


def test_bad_parameters_are_rejected(article):
    with pytest.raises(ValueError):
        chunk_article(article, 10, 0)
    with pytest.raises(ValueError):
        chunk_article(article, 100, 100)
