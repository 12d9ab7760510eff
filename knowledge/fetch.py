"""Fetch an article from a URL: http(s) only, public addresses only (unless allowed), every
redirect re-checked, size and time bounded."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from knowledge.errors import KnowledgeError

MAX_REDIRECTS = 5
USER_AGENT = "park-qa-bot article import (+https://github.com/)"
_TYPES = {
    "text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt", "text/markdown": ".md",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects: the page the text came from
    suffix: str  # the article type its content type names (.html, .pdf, …)
    data: bytes


def check_scheme(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise KnowledgeError(f"refused: {url[:100]!r} is not an http(s) URL")
    return url


def check_host(url: str, allow_private: bool) -> str:
    """Refuse a host that resolves to a loopback, private, link-local or reserved address: an
    import must not become a way to reach this machine's services (the action server, Redis, a
    cloud metadata endpoint). The check is on the name's addresses at this moment; a name that
    changes its address between this and the connection is not caught."""
    if allow_private:
        return url
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise KnowledgeError(f"could not fetch {url[:100]}: the host does not resolve ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise KnowledgeError(f"refused: {url[:100]} is on a non-public address ({address}); "
                                 "set KB_FETCH_PRIVATE=true to import from an intranet")
    return url


def fetch(url: str, *, max_bytes: int, timeout: float, allow_private: bool = False) -> Fetched:
    check_host(check_scheme(url), allow_private)
    deadline = time.monotonic() + timeout
    # Redirects are followed by hand so that each target is checked like the first URL.
    with httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False,
                      headers={"User-Agent": USER_AGENT}) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        url = check_host(check_scheme(urljoin(url, location)), allow_private)
                        continue
                    if response.status_code != 200:
                        raise KnowledgeError(f"refused: {url[:100]} answered HTTP {response.status_code}")
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > max_bytes:
                        raise KnowledgeError(f"refused: {url[:100]} is {declared / 2**20:.1f} MiB, more than "
                                             f"{max_bytes / 2**20:.1f} MiB (KB_MAX_ARTICLE_BYTES)")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise KnowledgeError(f"refused: {url[:100]} sends more than {max_bytes / 2**20:.1f} MiB "
                                                 "(KB_MAX_ARTICLE_BYTES)")
                        if time.monotonic() > deadline:
                            raise KnowledgeError(f"refused: {url[:100]} took longer than {timeout:g} s "
                                                 "(KB_FETCH_TIMEOUT)")
                    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    return Fetched(url, _suffix(kind, bytes(body), url), bytes(body))
            except httpx.TimeoutException:
                raise KnowledgeError(f"refused: {url[:100]} took longer than {timeout:g} s (KB_FETCH_TIMEOUT)") from None
            except httpx.HTTPError as exc:
                raise KnowledgeError(f"could not fetch {url[:100]}: {exc}") from None
    raise KnowledgeError(f"refused: more than {MAX_REDIRECTS} redirects")


def _suffix(content_type: str, body: bytes, url: str) -> str:
    if content_type in _TYPES:
        return _TYPES[content_type]
    if body[:5] == b"%PDF-":
        return ".pdf"
    raise KnowledgeError(f"refused: {url[:100]} is {content_type or 'of no stated type'}, not an article "
                         "(HTML, text, PDF or DOCX)")
