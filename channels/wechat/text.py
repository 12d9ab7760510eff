"""Fitting reply text into WeChat's 2048-byte passive reply, at sentence boundaries.

Lengths are UTF-8 bytes (a Chinese character is 3); a cut never splits a character.
"""

from __future__ import annotations

import re

MAX_REPLY_BYTES = 2048
ELLIPSIS = "…"

# A sentence ends after 。！？!? (plus closing quotes/brackets), after a newline, or after "."
# followed by whitespace/end (so "3.5" and "e.g" inside a sentence are not cut).
_SENTENCE = re.compile(r".*?(?:[。！？!?；;]+[”’」』）)\]\"']*|\.(?=\s|$)[”’」』）)\]\"']*|\n|$)", re.DOTALL)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def cut_bytes(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` whose UTF-8 form is at most `max_bytes`."""
    if max_bytes <= 0:
        return ""
    # Dropping the partial trailing byte sequence keeps whole characters only.
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def split_sentences(text: str) -> list[str]:
    """Sentences with their end punctuation (and newlines) kept, so "".join() is the text."""
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)]


def shorten(text: str, max_bytes: int = MAX_REPLY_BYTES, ellipsis: str = ELLIPSIS) -> str:
    """`text` if it fits, else as many whole sentences as fit plus `ellipsis`.

    When even the first sentence is too long it is cut at a character boundary.
    """
    if utf8_len(text) <= max_bytes:
        return text
    budget = max_bytes - utf8_len(ellipsis)
    if budget <= 0:
        return cut_bytes(text, max_bytes)
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        size = utf8_len(sentence)
        if used + size > budget:
            break
        kept.append(sentence)
        used += size
    head = "".join(kept).rstrip()
    if not head:
        head = cut_bytes(text, budget).rstrip()
    return head + ellipsis


def split_chunks(text: str, max_bytes: int = MAX_REPLY_BYTES) -> list[str]:
    """Split `text` into pieces of at most `max_bytes`, at sentence boundaries when possible."""
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        while utf8_len(sentence) > max_bytes:  # one huge sentence: hard cut, whole characters
            if current.strip():
                chunks.append(current.strip())
                current = ""
            piece = cut_bytes(sentence, max_bytes)
            chunks.append(piece)
            sentence = sentence[len(piece) :]
        if utf8_len(current + sentence) > max_bytes:
            if current.strip():
                chunks.append(current.strip())
            current = sentence
        else:
            current += sentence
    if current.strip():
        chunks.append(current.strip())
    return chunks


def compose(body: str, footer: list[str], max_bytes: int = MAX_REPLY_BYTES) -> str:
    """`body`, a blank line, then the footer lines; the body is shortened so the footer stays."""
    tail = "\n".join(line for line in footer if line)
    if not tail:
        return shorten(body.strip(), max_bytes)
    if not body.strip():
        return shorten(tail, max_bytes)
    sep = "\n\n"
    room = max_bytes - utf8_len(tail) - utf8_len(sep)
    if room < 60:  # the footer alone nearly fills the reply: shorten everything together
        return shorten(body.strip() + sep + tail, max_bytes)
    return shorten(body.strip(), room) + sep + tail
