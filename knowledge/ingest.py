"""Read the article files of the knowledge base (.txt, .md, .html) into clean articles."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.clean import CleanArticle, clean_lines
from knowledge.errors import KnowledgeError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_ARTICLE_BYTES = 20 * 1024 * 1024  # a bigger file is almost surely not an article


@dataclass(frozen=True)
class Article:
    source: str  # path relative to the articles folder, used in citations and ids
    sha256: str
    clean: CleanArticle


def article_files(articles_dir: Path) -> list[Path]:
    """Every supported file below the folder, in a stable order (hidden files skipped)."""
    if not articles_dir.is_dir():
        raise KnowledgeError(f"articles folder {articles_dir} does not exist")
    return sorted(
        p
        for p in articles_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(articles_dir).parts)
    )


def source_hashes(articles_dir: Path) -> dict[str, str]:
    """sha256 of each article file, keyed by its relative path: the corpus fingerprint."""
    return {
        p.relative_to(articles_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in article_files(articles_dir)
    }


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise KnowledgeError(f"{path}: not UTF-8 or GB18030 text")


def _markdown_lines(text: str) -> tuple[str | None, list[str]]:
    """Markdown to plain lines: the first `# ` heading is the title; markup is dropped."""
    title = None
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            if heading.group(1) == "#" and title is None:
                title = heading.group(2).strip()
                continue
            stripped = heading.group(2).strip()
        stripped = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", stripped)  # images
        stripped = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", stripped)  # links keep their text
        stripped = re.sub(r"^([-*+]|\d+[.)])\s+", "", stripped)  # list markers
        stripped = re.sub(r"[*_`]{1,3}", "", stripped)  # emphasis
        lines.append(stripped)
    return title, lines


def _html_lines(text: str, path: Path) -> tuple[str | None, list[str]]:
    """Main content of a web page through trafilatura (drops navigation, ads and comments)."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - depends on install
        raise KnowledgeError("trafilatura is needed for .html articles: run `make install`") from exc
    body = trafilatura.extract(text, include_comments=False, include_tables=True, favor_recall=True)
    if not body:
        raise KnowledgeError(f"{path}: no main content found in the HTML page")
    meta = trafilatura.extract_metadata(text)
    return (meta.title if meta and meta.title else None), body.splitlines()


def read_article(path: Path, articles_dir: Path) -> Article:
    data = path.read_bytes()
    if len(data) > MAX_ARTICLE_BYTES:
        raise KnowledgeError(f"{path}: {len(data)} bytes is too large for an article")
    text = _decode(data, path)
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        title, lines = _markdown_lines(text)
    elif suffix in (".html", ".htm"):
        title, lines = _html_lines(text, path)
    else:
        title, lines = None, text.splitlines()
    clean = clean_lines(lines, title=title)
    if not clean.sections:
        raise KnowledgeError(f"{path}: no article text left after cleaning")
    return Article(
        source=path.relative_to(articles_dir).as_posix(),
        sha256=hashlib.sha256(data).hexdigest(),
        clean=clean,
    )


def read_articles(articles_dir: Path) -> Iterator[Article]:
    for path in article_files(articles_dir):
        yield read_article(path, articles_dir)
