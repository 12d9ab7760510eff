"""Typos, before anything reads the question, so the classifier, the terms and the embedding
all see the intended word.

- English ("whcih investmnet", "how mnay"): a word that is in no dictionary is replaced by the
  word of the question vocabulary one or two edits away (a swapped pair of letters counts as
  one edit). A word CC-CEDICT's English definitions use (about 49,000 words, "rent" among them)
  is left alone even when the articles never say it, so correcting a typo never turns an
  unanswerable question into an answerable one. The targets are the words that can matter to
  the articles: the glossary's English words and the question words.
  A word CC-CEDICT lacks is still a word when it is one of its words in British spelling
  ("prioritise", "mould") or derived from one by a suffix ("relocation" from "relocate",
  "conductive" from "conduct"), and a name when it is written in pinyin syllables ("Gele",
  "Xiyong", "Fengming"): English questions name Chinese places so, and "correcting" them turned
  "Xiyong" into "liyong" and "relocation" into "location". Chat shorthand that drops a function
  word's vowels ("wht", "pls", "hav") is that word, when one word of the shortest length has
  those consonants in that order.
- Chinese ("物流园展地多少亩", "研发基低"): a pinyin input method puts a character of the same sound
  in the wrong place. A run of characters that is no word (in jieba's dictionary or the
  corpus) and sounds like a corpus word differing in one character becomes that word. The
  sounds come from the index (`sounds.json`, written at build time from pypinyin).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

from knowledge.glossary import dictionary_lines, stem
from knowledge.lexical import Tokenizer
from knowledge.lexicon import EN_ATTRIBUTE_WORDS, EN_STOPWORDS

_WORD_RE = re.compile(r"[A-Za-z]+")
_DEFINITIONS_RE = re.compile(r"/(.*)/\s*$")
MIN_LENGTH = 4  # shorter words have too many neighbours to guess from
SHORTHAND_LENGTH = 3  # shorter shorthand ("u", "r") skeletons too many function words


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Every English word of CC-CEDICT's definitions (read once per process)."""
    words: set[str] = set()
    for line in dictionary_lines():
        match = _DEFINITIONS_RE.search(line)
        if match:
            words.update(w.lower() for w in _WORD_RE.findall(match.group(1)))
    return frozenset(words)


def _inflections(word: str) -> Iterable[str]:
    yield word
    if word.isalpha() and len(word) >= 3:
        yield from (f"{word}s", f"{word}es", f"{word}ed", f"{word}ing")
        if word.endswith("y"):
            yield f"{word[:-1]}ies"


# British spellings of American ones (CC-CEDICT's definitions spell American).
_BRITISH = ((r"is(e|ed|es|ing|ation|ations)$", r"iz\1"), (r"ys(e|ed|es|ing)$", r"yz\1"), (r"our(s|ed|ing)?$", r"or\1"),
            (r"tre(s)?$", r"ter\1"), (r"ould(s|ed|ing)?$", r"old\1"), (r"ogue(s)?$", r"og\1"),
            (r"ll(ed|ing|er|ers)$", r"l\1"))
# Derivational suffixes, and what may have stood before one ("relocat-ion"
# from "relocate", "conduct-ive" from "conduct", "happi-ness" from "happy").
_SUFFIXES = ("ations", "ation", "ions", "ion", "ives", "ive", "ments", "ment", "ness", "ity", "ers", "er", "ors", "or",
             "ally", "al", "ly", "ance", "ence", "able", "ible", "ize", "ise")
_RESTORED = ("", "e", "y", "ate")


def pinyin_syllables(word: str, syllables: frozenset[str]) -> bool:
    """Whether `word` is two or more of `syllables` run together ("gele", "xiyong")."""
    spelt = [0] + [-1] * len(word)  # spelt[i]: how many syllables spell word[:i] (-1: none do)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):  # no syllable is longer than six letters
            if spelt[start] >= 0 and word[start:end] in syllables:
                spelt[end] = max(spelt[end], spelt[start] + 1)
    return spelt[-1] >= 2


class EnglishSpelling:
    def __init__(self, targets: Iterable[str], dictionary: frozenset[str] | None = None,
                 syllables: Iterable[str] = ()) -> None:
        """`syllables`: the pinyin syllables (toneless) a name may be written in."""
        base = {*EN_STOPWORDS, *EN_ATTRIBUTE_WORDS, *targets}
        self.targets = sorted({form for word in base if word.isalpha() for form in _inflections(word.lower())})
        self.known = set(self.targets) | (english_words() if dictionary is None else dictionary)
        self.syllables = frozenset(syllables)
        self.shorthand = _shorthand({*EN_STOPWORDS, *EN_ATTRIBUTE_WORDS})

    def is_word(self, lowered: str) -> bool:
        """In the dictionary, or one of its words spelt the British way or with a suffix."""
        if lowered in self.known or stem(lowered) in self.known:
            return True
        if any(re.search(british, lowered) and re.sub(british, american, lowered) in self.known
               for british, american in _BRITISH):
            return True
        for suffix in _SUFFIXES:
            base = lowered[: -len(suffix)]
            if lowered.endswith(suffix) and len(base) >= 4 and any(base + r in self.known for r in _RESTORED):
                return True
        return False

    def fix(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """(text with misspelt English words replaced, the (typo, word) replacements)."""
        fixes: list[tuple[str, str]] = []

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            lowered = word.lower()
            if self.is_word(lowered) or pinyin_syllables(lowered, self.syllables):
                return word
            meant = self.shorthand.get(_consonants(lowered), "") if len(word) >= SHORTHAND_LENGTH else ""
            if meant and _is_subsequence(lowered, meant):
                fixes.append((word, meant))
                return meant
            if len(word) < MIN_LENGTH:
                return word
            limit = 1 if len(word) <= 7 else 2
            best = extractOne(lowered, self.targets, scorer=DamerauLevenshtein.distance, score_cutoff=limit)
            if best is None:
                return word
            fixes.append((word, best[0]))
            return best[0]

        return _WORD_RE.sub(replace, text), tuple(fixes)


def _shorthand(words: Iterable[str]) -> dict[str, str]:
    """Chat shorthand drops a function word's vowels ("wht", "pls", "hav"): consonant skeleton →
    the shortest word with it, when no other word of that length has it (a longer one is the less
    likely meant)."""
    shortest: dict[str, list[str]] = {}
    for word in sorted((w for w in words if w.isalpha()), key=len):
        found = shortest.setdefault(_consonants(word), [])
        if not found or len(found[0]) == len(word):
            found.append(word)
    return {skeleton: found[0] for skeleton, found in shortest.items() if len(skeleton) >= 2 and len(found) == 1}


def _consonants(word: str) -> str:
    return word[0] + re.sub(r"[aeiou]", "", word[1:])


def _is_subsequence(short: str, word: str) -> bool:
    letters = iter(word)
    return all(ch in letters for ch in short)


_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,}")
_NUMERAL_RE = re.compile(r"[一二两三四五六七八九十百千万亿]")


def sound_table() -> dict[str, str]:
    """Character → its first reading without tone ("站" → "zhan"), from pypinyin, at build time:
    the index stores it, so a serving process answers without pypinyin's 55 MB of dictionaries."""
    from pypinyin.contrib.tone_convert import to_normal  # a declared dependency; only the build needs it
    from pypinyin.pinyin_dict import pinyin_dict

    return {chr(code): to_normal(readings.split(",")[0]) for code, readings in pinyin_dict.items()}


class ChineseHomophones:
    def __init__(self, corpus_words: Iterable[str], tokenizer: Tokenizer, sounds: Mapping[str, str]) -> None:
        self.tokenizer = tokenizer
        self.sounds = sounds
        self.corpus = {w for w in corpus_words if _CJK_RUN_RE.fullmatch(w) and len(w) <= 4}
        by_sound: dict[str, set[str]] = {}
        for word in self.corpus - {w for w in self.corpus if _NUMERAL_RE.search(w)}:  # "是一" is no "十一"
            by_sound.setdefault(self._sound(word), set()).add(word)
        self.by_sound = {k: next(iter(v)) for k, v in by_sound.items() if len(v) == 1}  # unambiguous only

    def _sound(self, text: str) -> str:
        return " ".join(self.sounds.get(ch, ch) for ch in text)

    def fix(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        fixes: list[tuple[str, str]] = []

        def fix_run(match: re.Match[str]) -> str:
            run = match.group(0)
            # A window that cuts through a word the corpus uses, wherever it stands, is not one
            # typo: "专利拥有" holds no "利拥", "四位一体" no "位一".
            cuts = [(i, i + size) for size in (2, 3, 4) for i in range(len(run) - size + 1)
                    if run[i:i + size] in self.corpus]
            words: list[tuple[int, int]] | None = None  # segmented only when a sound-alike is found
            fixed, i = run, 0
            while i < len(fixed) - 1:
                for size in (4, 3, 2):
                    window = fixed[i:i + size]
                    if len(window) < size or window in self.corpus or self.tokenizer.is_word(window):
                        continue
                    if any(a < i + size and i < b and not (i <= a and b <= i + size) for a, b in cuts):
                        continue
                    word = self.by_sound.get(self._sound(window))
                    if not word or sum(a != b for a, b in zip(word, window, strict=True)) != 1:
                        continue
                    # Nor one that takes part of two dictionary words the segmenter reads side by
                    # side: "分成几个" holds no "成几" (→ 成绩).
                    words = _dictionary_spans(run, self.tokenizer) if words is None else words
                    if sum(a < i < b or a < i + size < b for a, b in words) < 2:
                        fixes.append((window, word))
                        fixed = fixed[:i] + word + fixed[i + size:]
                        i += size - 1
                        break
                i += 1
            return fixed

        return _CJK_RUN_RE.sub(fix_run, text), tuple(fixes)


def _dictionary_spans(run: str, tokenizer: Tokenizer) -> list[tuple[int, int]]:
    """(start, end) of each word of two or more characters jieba's dictionary holds, as segmented."""
    spans, start = [], 0
    for segment in tokenizer.segment(run):
        if len(segment) > 1 and tokenizer.is_word(segment):
            spans.append((start, start + len(segment)))
        start += len(segment)
    return spans


class Spelling:
    """Both fixers; `fix` returns the corrected text and every (typo, word) replaced."""

    def __init__(self, english: EnglishSpelling, chinese: ChineseHomophones) -> None:
        self.english = english
        self.chinese = chinese

    @classmethod
    def for_corpus(cls, glossary: Iterable[str], corpus_words: Iterable[str], tokenizer: Tokenizer,
                   sounds: Mapping[str, str]) -> Spelling:
        return cls(EnglishSpelling(glossary, syllables=set(sounds.values())),
                   ChineseHomophones(corpus_words, tokenizer, sounds))

    def fix(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        fixes: tuple[tuple[str, str], ...] = ()
        if re.search(rf"[A-Za-z]{{{SHORTHAND_LENGTH}}}", text):
            text, fixes = self.english.fix(text)
        if _CJK_RUN_RE.search(text):
            text, more = self.chinese.fix(text)
            fixes += more
        return text, fixes
