"""Read the article files of the knowledge base (.txt, .md, .html, .pdf, .docx) into clean articles,
each with its metadata (knowledge.meta: the sidecar `<file>.meta.yml`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.clean import CleanArticle, clean_blocks, clean_lines
from knowledge.errors import KnowledgeError
from knowledge.meta import ArticleMeta, read_meta, sidecar_path
from knowledge.settings import Settings
from knowledge.upload_checks import SUPPORTED_SUFFIXES, check_content, check_size

MAX_ARTICLE_BYTES: int = Settings.max_article_bytes  # KB_MAX_ARTICLE_BYTES's default


@dataclass(frozen=True)
class Article:
    source: str  # path relative to the articles folder, used in citations and ids
    sha256: str
    clean: CleanArticle
    meta: ArticleMeta = field(default_factory=ArticleMeta)


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
    """sha256 of each article file (and of its metadata sidecar, when it has one), keyed by
    its relative path: the corpus fingerprint."""
    hashes = {}
    for p in article_files(articles_dir):
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        meta = sidecar_path(p)
        if meta.is_file():
            digest += "+" + hashlib.sha256(meta.read_bytes()).hexdigest()[:16]
        hashes[p.relative_to(articles_dir).as_posix()] = digest
    return hashes


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


def html_main_text(text: str, where: str) -> tuple[str | None, list[str], str | None, str | None]:
    """Main content of a web page through trafilatura (drops navigation, ads and comments):
    (title, lines, published date as YYYY-MM-DD, site name)."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - depends on install
        raise KnowledgeError("trafilatura is needed for .html articles: run `make install`") from exc
    body = trafilatura.extract(text, include_comments=False, include_tables=True, favor_recall=True)
    if not body:
        raise KnowledgeError(f"{where}: no main content found in the HTML page")
    meta = trafilatura.extract_metadata(text)
    title = meta.title if meta and meta.title else None
    return title, body.splitlines(), (meta.date if meta else None), (meta.sitename if meta else None)


def clean_article(data: bytes, suffix: str, where: str) -> CleanArticle:
    """One article's bytes, of the type `suffix` names, cleaned into sections."""
    suffix = suffix.lower()
    if suffix == ".pdf":
        from knowledge.extract.pdf import extract_pdf

        extracted = extract_pdf(data, where)
        clean = clean_lines(extracted.lines, title=extracted.title)
    elif suffix == ".docx":
        from knowledge.extract.docx import extract_docx

        extracted = extract_docx(data, where)
        clean = clean_blocks(extracted.blocks, title=extracted.title)
    else:
        text = _decode(data, Path(where))
        if suffix in (".md", ".markdown"):
            title, lines = _markdown_lines(text)
        elif suffix in (".html", ".htm"):
            title, lines, _, _ = html_main_text(text, where)
        else:
            title, lines = None, text.splitlines()
        clean = clean_lines(lines, title=title)
    if not clean.sections:
        raise KnowledgeError(f"{where}: no article text left after cleaning")
    return clean


def read_article(path: Path, articles_dir: Path, max_bytes: int = MAX_ARTICLE_BYTES) -> Article:
    check_size(path.stat().st_size, max_bytes, str(path))  # before reading a huge file into memory
    data = path.read_bytes()
    # The folder may be filled by hand too: a build refuses what an upload would have refused.
    check_content(data, path.suffix, max_bytes, str(path))
    meta = read_meta(path)
    clean = clean_article(data, path.suffix, str(path))
    if meta.title:
        clean.title = meta.title
    return Article(
        source=path.relative_to(articles_dir).as_posix(),
        sha256=hashlib.sha256(data).hexdigest(),
        clean=clean,
        meta=meta,
    )


def read_articles(articles_dir: Path, max_bytes: int = MAX_ARTICLE_BYTES) -> Iterator[Article]:
    for path in article_files(articles_dir):
        yield read_article(path, articles_dir, max_bytes)
