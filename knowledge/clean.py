"""Turn a scraped article's lines into clean paragraphs under section headings.

Scraped news pages carry the site's furniture around the article: app-download
banners, a disclaimer with a contact e-mail, editor credits, image file names,
comments and "related news". The rules below recognise that furniture by its
*form* (what such lines look like on any site), never by this or that article's
text. Articles published for phones are also broken into one-line fragments;
those are joined back into sentences, and short lines that introduce a
paragraph become the section heading of what follows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Sentence-final punctuation, Chinese and Western (closing quotes/brackets may follow).
TERMINALS = "。！？!?；;…"
_END_RE = re.compile(rf"[{TERMINALS}][”’\"')）】」』]*$|\.[”’\"')）]*$")
_IMAGE_RE = re.compile(r"^[\w\-. ()（）\u4e00-\u9fff]{1,80}\.(png|jpe?g|gif|webp|bmp|svg|tiff?)$", re.I)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_URL_ONLY_RE = re.compile(r"^(https?://|www\.)\S+$", re.I)
_DOWNLOAD_RE = re.compile(r"(立即|马上|点击)?下载|打开\s*app|download (the )?app|get the app", re.I)
_CREDIT_RE = re.compile(
    r"^[(（]?\s*(主办单位|主办|承办|协办|主编|副主编|总编|编辑|责任编辑|责编|编审|审核|审校|校对|作者|"
    r"记者|通讯员|摄影|图片|图文|制作|来源|出品|监制|策划|原标题|editor|author|source|photo)\s*[:：]",
    re.I,
)
_REPRINT_RE = re.compile(r"(转载|轉載).{0,12}(注明|出处|来源|授权)|版权所有|all rights reserved", re.I)
# Lines that open the page's trailing furniture: everything from there on is not the article.
_TAIL_RE = re.compile(
    r"^(免责声明|版权声明|声明[:：]|热门评论|最新评论|全部评论|网友评论|评论\s*\(?\d*\)?|相关新闻|相关阅读|"
    r"相关推荐|推荐阅读|延伸阅读|猜你喜欢|为你推荐|关心一下|举报|分享到|"
    r"related (news|articles|stories)|comments?\b|disclaimer)",
    re.I,
)
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
# "APP" stands right after Chinese ("山城观察APP"), where \b finds no boundary; not "Apple", "happen".
_APP_RE = re.compile(r"(?<![A-Za-z])app(?![A-Za-z])|客户端", re.I)
_LATIN_END_RE = re.compile(r"[A-Za-z0-9]$")
_LATIN_START_RE = re.compile(r"^[A-Za-z0-9]")

HEADING_MAX_CHARS = 20  # a section heading is a short phrase
# A headline says what happened: longer than a site's name or slogan (mostly 2–7 characters).
HEADLINE_MIN_CJK = 8
HEADLINE_MIN_WORDS = 5
JOINED_SENTENCE_MAX_CHARS = 120  # fragments joined past this length end the sentence


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class CleanArticle:
    title: str
    byline: str
    sections: list[Section]
    removed: list[str]  # boilerplate lines dropped, for inspection and tests
    captions: list[str] = field(default_factory=list)  # lone labels (image captions), not indexed

    @property
    def text(self) -> str:
        """The cleaned article: headings and paragraphs, one per line."""
        lines: list[str] = []
        for section in self.sections:
            if section.heading:
                lines.append(section.heading)
            lines.extend(section.paragraphs)
        return "\n".join(lines)


def normalise_line(line: str) -> str:
    # NFC keeps full-width punctuation (NFKC would rewrite it) while fixing composed characters.
    line = unicodedata.normalize("NFC", line)
    line = "".join(ch for ch in line if unicodedata.category(ch)[0] != "C" or ch == "\t")
    return re.sub(r"\s+", " ", line).strip()


def is_sentence_end(line: str) -> bool:
    return bool(_END_RE.search(line))


def is_furniture(line: str) -> bool:
    """A line that is page furniture wherever it appears (credits, image names, contacts)."""
    return bool(
        _IMAGE_RE.match(line)
        or _CREDIT_RE.match(line)
        or _REPRINT_RE.search(line)
        or _URL_ONLY_RE.match(line)
        or (_EMAIL_RE.search(line) and len(line) < 200)
        or (_DOWNLOAD_RE.search(line) and len(line) <= 30)
    )


def _is_headline(line: str) -> bool:
    """A line long enough to be an article's headline rather than a site's or app's name or
    slogan ("上游新闻", "汇聚向上的力量", "Chongqing Daily"), and no app advert."""
    long_enough = len(_CJK_RE.findall(line)) >= HEADLINE_MIN_CJK or len(line.split()) >= HEADLINE_MIN_WORDS
    return long_enough and not _APP_RE.search(line) and not is_furniture(line) and not is_sentence_end(line)


def _strip_head_banner(lines: list[str], removed: list[str]) -> list[str]:
    """Drop an app-download banner block at the top of the page (up to its last download line).
    Pages put the headline above the banner as often as below it: a first line that reads as
    one stays, else the article's lede would be taken for its title."""
    window = lines[:15]
    last = max((i for i, line in enumerate(window) if _DOWNLOAD_RE.search(line) and len(line) <= 30),
               default=-1)
    keep = 1 if last > 0 and _is_headline(lines[0]) else 0
    removed.extend(lines[keep: last + 1])
    return lines[:keep] + lines[last + 1:]


def _strip_tail(lines: list[str], removed: list[str]) -> list[str]:
    """Cut at the first trailing-furniture marker in the second half of the page."""
    for i in range(len(lines) // 2, len(lines)):
        if len(lines[i]) <= 60 and _TAIL_RE.match(lines[i]):
            removed.extend(lines[i:])
            return lines[:i]
    return lines


def _join(left: str, right: str) -> str:
    """Join two fragments of one sentence with the least punctuation that reads naturally."""
    if not left:
        return right
    if _LATIN_END_RE.search(left) and _LATIN_START_RE.match(right):
        return f"{left} {right}"
    # A fragment ending in punctuation or in a particle that binds forward joins directly.
    if re.search(r"[，,、：:“‘（(《—\-–的之与和及在]$", left) or re.match(r"^[”’）)》，,、]", right):
        return left + right
    return f"{left}，{right}"


def _is_heading(line: str, nxt: str) -> bool:
    """A short unpunctuated line standing right before a full paragraph introduces it."""
    return (
        len(line) <= HEADING_MAX_CHARS
        and not is_sentence_end(line)
        and bool(nxt)
        and is_sentence_end(nxt)
        and len(nxt) > 2 * len(line)
    )


def _is_caption(fragments: list[str]) -> bool:
    """A lone short phrase between paragraphs: an image caption or a stray label, not a sentence."""
    return len(fragments) == 1 and len(fragments[0]) <= HEADING_MAX_CHARS and not re.search(
        r"[，,、。.!！?？:：;；]", fragments[0]
    )


def structure(lines: list[str]) -> tuple[list[Section], list[str]]:
    """Group content lines into sections of sentences; returns (sections, captions)."""
    sections = [Section(heading="")]
    captions: list[str] = []
    fragments: list[str] = []  # lines of a sentence not yet ended

    def flush(before_heading: bool = False) -> None:
        if not fragments:
            return
        if before_heading and _is_caption(fragments):
            captions.append(fragments[0])
        else:
            text = ""
            for fragment in fragments:
                text = _join(text, fragment)
            if not is_sentence_end(text):
                text += "。" if _CJK_RE.search(text) else "."
            sections[-1].paragraphs.append(text)
        fragments.clear()

    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _is_heading(line, nxt):
            flush(before_heading=True)
            sections.append(Section(heading=line))
            continue
        # A fragment with its own inner comma opens a new clause group rather than continuing one.
        joined_len = sum(len(f) for f in fragments) + len(line)
        if fragments and (re.search(r"[，,]", line[:-1]) or joined_len > JOINED_SENTENCE_MAX_CHARS):
            flush()
        fragments.append(line)
        if is_sentence_end(line):
            flush()
    flush(before_heading=True)
    return [s for s in sections if s.paragraphs], captions


def clean_lines(raw_lines: list[str], title: str | None = None) -> CleanArticle:
    """Clean one article given as its lines; `title` if the format already knows it."""
    removed: list[str] = []
    lines = [normalise_line(x) for x in raw_lines]
    lines = [x for x in lines if x]
    lines = _strip_head_banner(lines, removed)
    lines = _strip_tail(lines, removed)
    kept: list[str] = []
    for line in lines:
        (removed if is_furniture(line) else kept).append(line)
    byline = ""
    if title is None and kept:
        title = kept.pop(0)
    # A short unpunctuated line right after the title is the account or author name.
    if kept and len(kept[0]) <= 12 and not re.search(r"[，,。.!！?？:：]", kept[0]) and len(kept) > 1 \
            and len(kept[1]) > 12:
        byline = kept.pop(0)
    sections, captions = structure(kept)
    return CleanArticle(
        title=title or "", byline=byline, sections=sections, removed=removed, captions=captions
    )


def clean_blocks(blocks: list[tuple[str, list[str]]], title: str | None = None) -> CleanArticle:
    """Clean an article whose format marks its sections (a DOCX's heading styles): each block's
    lines are cleaned and structured on their own, under the block's own heading."""
    removed: list[str] = []
    sections: list[Section] = []
    captions: list[str] = []
    for heading, raw in blocks:
        lines = [x for x in (normalise_line(r) for r in raw) if x]
        kept = []
        for line in lines:
            (removed if is_furniture(line) else kept).append(line)
        found, caps = structure(kept)
        captions.extend(caps)
        heading = normalise_line(heading)
        for section in found:
            if not section.heading:  # text before a sub-heading the rules found belongs to the block's
                section.heading = heading
        sections.extend(found)
    if title is None and sections and sections[0].paragraphs:
        title = sections[0].paragraphs[0]
    return CleanArticle(title=title or "", byline="", sections=sections, removed=removed, captions=captions)
