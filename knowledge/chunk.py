"""Sentence-aware chunking of clean articles into passages.

Passages never cross a section (its heading is their context) and never cut a
sentence: they are runs of whole sentences up to `chunk_size` characters, the
next one starting with the previous one's last sentences (up to `overlap`
characters). Only a single sentence longer than a whole chunk is split, at its
clause commas.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from knowledge.ingest import Article
from knowledge.types import Passage

# Split after Chinese/Western sentence ends (keeping trailing quotes with the sentence);
# a Western full stop only counts before whitespace, so "3.08" and "D.C." stay whole.
_SENTENCE_END_RE = re.compile(r"(?:[。！？!?；;]|…+)[”’\"'）)】」』]*|\.[”’\"')）]*(?=\s)")
_CLAUSE_END_RE = re.compile(r"[，,、：:]")


def split_sentences(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of a paragraph, whitespace excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(paragraph):
        spans.append((start, match.end()))
        start = match.end()
    if start < len(paragraph):
        spans.append((start, len(paragraph)))
    out = []
    for a, b in spans:
        while a < b and paragraph[a].isspace():
            a += 1
        while b > a and paragraph[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def _split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Split one over-long sentence at clause punctuation into pieces of at most `limit`."""
    pieces: list[tuple[int, int]] = []
    while end - start > limit:
        cut = None
        for match in _CLAUSE_END_RE.finditer(text, start, start + limit):
            cut = match.end()
        cut = cut if cut and cut > start else start + limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def passage_id(source: str, text: str, seen: dict[str, int]) -> str:
    """Stable id: the same passage text of the same file keeps its id across rebuilds."""
    digest = hashlib.sha1(f"{source}\x00{text}".encode()).hexdigest()[:10]
    stem = re.sub(r"[^\w-]+", "-", PurePosixPath(source).stem).strip("-") or "doc"
    base = f"{stem}-{digest}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def chunk_article(article: Article, chunk_size: int, overlap: int) -> list[Passage]:
    if chunk_size < 20:
        raise ValueError("chunk_size must be at least 20 characters")
    if not 0 <= overlap < chunk_size:
        raise ValueError("overlap must be between 0 and chunk_size")
    clean = article.clean
    text = clean.text
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    pos = 0  # walks the cleaned text in step with the sections, to get offsets

    for section in clean.sections:
        if section.heading:
            pos = text.index(section.heading, pos) + len(section.heading)
        sentences: list[tuple[int, int]] = []  # absolute offsets in `text`
        for paragraph in section.paragraphs:
            base = text.index(paragraph, pos)
            pos = base + len(paragraph)
            for a, b in split_sentences(paragraph):
                sentences.extend(_split_long(text, base + a, base + b, chunk_size))
        for group in _pack(sentences, chunk_size, overlap):
            start, end = group[0][0], group[-1][1]
            body = text[start:end]
            passages.append(
                Passage(
                    id=passage_id(article.source, body, seen),
                    source=article.source,
                    title=clean.title,
                    section=section.heading,
                    text=body,
                    start=start,
                    end=end,
                    sentences=tuple((a - start, b - start) for a, b in group),
                )
            )
    return passages


def _pack(sentences: list[tuple[int, int]], size: int, overlap: int) -> Iterable[list[tuple[int, int]]]:
    """Greedy runs of whole sentences; each run after the first repeats the tail of the last."""
    i = 0
    while i < len(sentences):
        group = [sentences[i]]
        j = i + 1
        while j < len(sentences) and sentences[j][1] - group[0][0] <= size:
            group.append(sentences[j])
            j += 1
        yield group
        if j >= len(sentences):
            return
        # Step back over trailing sentences that fit in the overlap, but always move forward.
        back = j
        while back - 1 > i and sentences[j - 1][1] - sentences[back - 1][0] <= overlap:
            back -= 1
        i = back if back > i + 0 and back < j else j


def chunk_articles(articles: Iterable[Article], chunk_size: int, overlap: int) -> list[Passage]:
    out: list[Passage] = []
    for article in articles:
        out.extend(chunk_article(article, chunk_size, overlap))
    return out
