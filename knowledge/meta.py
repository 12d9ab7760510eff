"""Article metadata: title, publisher, published date, original URL and expiry date.

Kept next to the article as a sidecar `<article file>.meta.yml`, so the articles folder stays
the one source of truth (a PDF or DOCX has no room for front matter):

    title: 园区新能源汽车扶持政策
    publisher: 园区管委会
    published: 2024-03-01
    url: https://park.example/news/123
    expires: 2025-12-31

Every key is optional; an article without a sidecar uses the title found in its text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from knowledge.atomic import write_atomic
from knowledge.errors import KnowledgeError

SIDECAR_SUFFIX = ".meta.yml"
MAX_SIDECAR_BYTES = 64 * 1024


@dataclass(frozen=True)
class ArticleMeta:
    title: str = ""
    publisher: str = ""
    published: date | None = None
    url: str = ""
    expires: date | None = None

    def is_expired(self, today: date) -> bool:
        """An article expires at the end of its expiry day."""
        return self.expires is not None and today > self.expires

    def age_days(self, today: date) -> int | None:
        return None if self.published is None else (today - self.published).days

    def to_dict(self) -> dict[str, str]:
        """Only the keys that are set, dates as ISO text (the sidecar and JSON form)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value:
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "metadata") -> ArticleMeta:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise KnowledgeError(f"{where}: expected keys such as title, published, url, expires")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise KnowledgeError(f"{where}: unknown keys {sorted(unknown)} (known: title, publisher, published, "
                                 "url, expires)")
        return cls(
            title=_text(data.get("title"), where, "title"),
            publisher=_text(data.get("publisher"), where, "publisher"),
            published=parse_date(data.get("published"), f"{where}: published"),
            url=check_url(_text(data.get("url"), where, "url"), f"{where}: url"),
            expires=parse_date(data.get("expires"), f"{where}: expires"),
        )

    def updated(self, **changes: Any) -> ArticleMeta:
        """A copy with the given keys changed; an empty string clears a key."""
        raw = {**self.to_dict(), **{k: v for k, v in changes.items() if v is not None}}
        return ArticleMeta.from_dict({k: v for k, v in raw.items() if v != ""})


def _text(value: Any, where: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise KnowledgeError(f"{where}: {key} must be text")
    text = " ".join(str(value).split())
    if len(text) > 500:
        raise KnowledgeError(f"{where}: {key} is longer than 500 characters")
    return text


def parse_date(value: Any, where: str) -> date | None:
    """YYYY-MM-DD (YAML already turns an unquoted one into a date)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise KnowledgeError(f"{where} must be a date such as 2024-03-01, got {str(value)[:40]!r}") from None


def check_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise KnowledgeError(f"{where} must be an http(s) URL, got {url[:80]!r}")
    return url


def sidecar_path(article: Path) -> Path:
    return article.with_name(article.name + SIDECAR_SUFFIX)


def read_meta(article: Path) -> ArticleMeta:
    path = sidecar_path(article)
    if not path.is_file():
        return ArticleMeta()
    if path.stat().st_size > MAX_SIDECAR_BYTES:
        raise KnowledgeError(f"{path}: too large for a metadata file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: not readable YAML ({exc})") from None
    return ArticleMeta.from_dict(data, str(path))


def write_meta(article: Path, meta: ArticleMeta) -> None:
    """Atomically; no keys at all removes the sidecar."""
    path = sidecar_path(article)
    data = meta.to_dict()
    if not data:
        path.unlink(missing_ok=True)
        return
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    write_atomic(path, text.encode("utf-8"))
