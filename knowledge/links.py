"""Links to the quoted sentence in the original page: URL text fragments (`#:~:text=`).

Browsers (Chromium, Safari, Firefox 131+) scroll to and highlight the text. The values are
percent-encoded with `-`, `,` and `&` escaped too, as the fragment syntax requires. A long
sentence is named by its first and last clause (textStart,textEnd): clause punctuation is a
word boundary in Chinese as in English, which the browser's match requires.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

LONG_SENTENCE_CHARS = 60  # beyond this, textStart,textEnd keeps the link short and tolerant
_CLAUSE_RE = re.compile(r"[，,、；;：:。！？!?]")
_TRAILING_RE = re.compile(r"[。！？!?；;.…\s]+$")


def _encode(text: str) -> str:
    # quote leaves "-" alone (unreserved in URLs) but it is syntax inside a text directive.
    return quote(text, safe="").replace("-", "%2D")


def text_directive(sentence: str) -> str:
    """`text=...` naming the sentence (its final punctuation left out, so either form matches)."""
    text = _TRAILING_RE.sub("", " ".join(sentence.split()))
    if len(text) <= LONG_SENTENCE_CHARS:
        return "text=" + _encode(text)
    clauses = [c.strip() for c in _CLAUSE_RE.split(text) if c.strip()]
    if len(clauses) < 2:
        return "text=" + _encode(text)
    start, end = clauses[0], clauses[-1]
    return f"text={_encode(start)},{_encode(end)}"


def fragment_link(url: str, sentence: str) -> str:
    """`url` with a text fragment for `sentence`; the URL alone when there is no sentence.
    An existing fragment is kept (the directive follows it); a former directive is replaced."""
    if not url:
        return ""
    parts = urlsplit(url)
    if not sentence.strip() or parts.scheme not in ("http", "https"):
        return url
    fragment = parts.fragment.split(":~:", 1)[0]
    return urlunsplit(parts._replace(fragment=f"{fragment}:~:{text_directive(sentence)}"))
