"""The one-line citation of text channels (WeChat, the shell): each article once, with the
sections quoted, who published it and when, and its URL.

Works on the answer payload's `sources` dicts (knowledge.types.Source.to_dict), which is what
the WeChat connector receives from Rasa; keys it does not find are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MAX_SECTIONS = 3  # sections listed, over all articles: a citation, not a table of contents


def citation_line(sources: Iterable[Any], lang: str) -> str:
    """ "来源：《title》section、section（publisher，2024-03-01）https://…；《other》", or ""."""
    articles: dict[str, dict[str, Any]] = {}  # article key -> title, sections, publisher, date, url
    pairs: set[tuple[str, str]] = set()  # distinct (article, section) quoted, up to MAX_SECTIONS
    for source in sources:
        if not isinstance(source, Mapping):
            continue
        title = str(source.get("title") or source.get("source") or "").strip()
        section = str(source.get("section") or "").strip()
        section = "" if section == title else section
        if not (title or section):
            continue
        key = str(source.get("source") or title)
        if (key, section) in pairs:
            continue
        pairs.add((key, section))
        entry = articles.setdefault(key, {"title": title, "sections": [], **{
            k: str(source.get(k) or "").strip() for k in ("publisher", "published", "url")}})
        if section:
            entry["sections"].append(section)
        if len(pairs) == MAX_SECTIONS:
            break
    if not articles:
        return ""
    zh = lang == "zh"
    labels = []
    for entry in articles.values():
        label = (f"《{entry['title']}》" if entry["title"] else "") + ("、" if zh else ", ").join(entry["sections"])
        about = [x for x in (entry["publisher"], entry["published"]) if x]
        if about:
            label += f"（{'，'.join(about)}）" if zh else f" ({', '.join(about)})"
        if entry["url"]:
            label += f" {entry['url']}"
        labels.append(label)
    return ("来源：" + "；".join(labels)) if zh else ("Source: " + "; ".join(labels))
