"""The articles folder as the park's staff manage it: add (file, bytes or URL), list, replace,
remove, and edit metadata. The CLI (`knowledge articles`) and the staff web console call this.

The folder (KB_ARTICLES_DIR) stays the source of truth: an article is a file, its metadata a
sidecar next to it (knowledge.meta), and `knowledge build` indexes whatever is there. Every
upload is checked (knowledge.upload_checks) and read through the same extractor the build
uses before anything is written, so a file that would break the build is refused up front;
writes are atomic. Nothing is written outside the folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from knowledge.atomic import write_atomic
from knowledge.errors import KnowledgeError
from knowledge.index import current_build
from knowledge.ingest import article_files, clean_article, html_main_text, source_hashes
from knowledge.meta import ArticleMeta, check_url, read_meta, sidecar_path, write_meta
from knowledge.settings import Settings
from knowledge.upload_checks import check_content, check_name, check_size


@dataclass(frozen=True)
class ArticleInfo:
    name: str  # path relative to the folder: what the other calls take
    title: str  # the sidecar's, else the one the last build found in the text ("" if never built)
    meta: ArticleMeta
    passages: int | None  # in the published build; None when it is not built as it is now
    expired: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, **self.meta.to_dict(), "passages": self.passages,
                "expired": self.expired}


class ArticleStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.articles_dir

    # ------------------------------------------------------------------ reading

    def list(self, today: date | None = None) -> list[ArticleInfo]:
        today = today or date.today()
        built = self._built()
        hashes = source_hashes(self.folder)
        out = []
        for path in article_files(self.folder):
            name = path.relative_to(self.folder).as_posix()
            meta = read_meta(path)
            entry = built.get(name)
            fresh = entry is not None and entry.get("hash") == hashes.get(name)
            title = meta.title or (entry or {}).get("title", "")
            out.append(ArticleInfo(name, title, meta, entry["passages"] if fresh and entry else None,
                                   meta.is_expired(today)))
        return out

    def get(self, name: str) -> ArticleInfo:
        found = [a for a in self.list() if a.name == name]
        if not found:
            raise KnowledgeError(f"no article {name!r} in {self.folder} (see `knowledge articles list`)")
        return found[0]

    def _built(self) -> dict[str, dict[str, Any]]:
        """The published build's view of each article: title, passage count, file hash."""
        build = current_build(self.settings.index_dir)
        if build is None:
            return {}
        try:
            catalog = json.loads((build / "articles.json").read_text(encoding="utf-8"))
            hashes = json.loads((build / "manifest.json").read_text(encoding="utf-8")).get("sources", {})
        except (OSError, ValueError):
            return {}
        return {name: {**entry, "hash": hashes.get(name)} for name, entry in catalog.items()}

    def _existing(self, name: str) -> Path:
        """The article file `name` names, which must be one the build would read."""
        for path in article_files(self.folder):
            if path.relative_to(self.folder).as_posix() == name:
                return path
        raise KnowledgeError(f"no article {name!r} in {self.folder} (see `knowledge articles list`)")

    # ------------------------------------------------------------------ writing

    def add_bytes(self, name: str, data: bytes, meta: ArticleMeta | None = None, *, replace: bool = False) -> str:
        """Store an uploaded article as `name` (a plain file name); returns the name.
        Refuses (KnowledgeError) a name that already exists unless `replace`."""
        check_name(name)
        suffix = PurePosixPath(name).suffix.lower()
        check_content(data, suffix, self.settings.max_article_bytes, name)
        clean_article(data, suffix, name)  # the build's own reading: a file it cannot read is refused now
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        if target.resolve().parent != self.folder.resolve():
            raise KnowledgeError(f"refused: {name!r} would be written outside {self.folder}")
        if target.exists() and not replace:
            raise KnowledgeError(f"{name} already exists: replace it with --replace (or choose another name)")
        # Sidecar first: a build that runs between the two writes sees the article with its metadata.
        write_meta(target, meta or ArticleMeta())
        write_atomic(target, data)
        return name

    def add_file(self, path: Path, meta: ArticleMeta | None = None, *, name: str | None = None,
                 replace: bool = False) -> str:
        if not path.is_file():
            raise KnowledgeError(f"{path} is not a file")
        check_size(path.stat().st_size, self.settings.max_article_bytes, str(path))
        return self.add_bytes(name or path.name, path.read_bytes(), meta, replace=replace)

    def add_url(self, url: str, meta: ArticleMeta | None = None, *, name: str | None = None,
                replace: bool = False) -> str:
        """Fetch a page (or a PDF/DOCX) and store it; its URL, and the date and site name the
        page states, fill the metadata left unset."""
        from knowledge.fetch import fetch

        fetched = fetch(url, max_bytes=self.settings.max_article_bytes, timeout=self.settings.fetch_timeout,
                        allow_private=self.settings.fetch_private)
        meta = meta or ArticleMeta()
        found: dict[str, str] = {"url": meta.url or fetched.url}
        if fetched.suffix == ".html":
            text = fetched.data.decode("utf-8", errors="replace")
            _, _, published, sitename = html_main_text(text, fetched.url)
            if published and not meta.published:
                found["published"] = published
            if sitename and not meta.publisher:
                found["publisher"] = sitename
        meta = meta.updated(**found)
        if name is None:
            name = self._unique(name_for_url(fetched.url, fetched.suffix)) if not replace else \
                name_for_url(fetched.url, fetched.suffix)
        elif PurePosixPath(name).suffix.lower() != fetched.suffix:
            raise KnowledgeError(f"refused: {url[:100]} is a {fetched.suffix} file, but the name is {name!r}")
        return self.add_bytes(name, fetched.data, meta, replace=replace)

    def remove(self, name: str) -> None:
        path = self._existing(name)
        sidecar_path(path).unlink(missing_ok=True)
        path.unlink()

    def set_meta(self, name: str, **changes: Any) -> ArticleMeta:
        """Change some metadata keys of an existing article ("" clears one); returns the result."""
        path = self._existing(name)
        if changes.get("url"):
            check_url(changes["url"], "url")
        meta = read_meta(path).updated(**changes)
        write_meta(path, meta)
        return meta

    def _unique(self, name: str) -> str:
        stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
        candidate, n = name, 2
        while (self.folder / candidate).exists():
            candidate, n = f"{stem}-{n}{suffix}", n + 1
        return candidate


def name_for_url(url: str, suffix: str) -> str:
    """A file name from the URL: its last path segment (or the host), made a plain name."""
    parts = urlsplit(url)
    segment = unquote(PurePosixPath(parts.path).name) if parts.path not in ("", "/") else ""
    stem = PurePosixPath(segment).stem if segment else parts.hostname or "article"
    stem = re.sub(r"[^\w\u3400-\u9fff-]+", "-", stem).strip("-.")[:80] or "article"
    return f"{stem}{suffix}"
