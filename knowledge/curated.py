"""Curated answers (the park staff's FAQ) matched to a question by meaning and by words.

A question matches an entry when a logistic model of two features, the cosine of their e5 query
vectors and the overlap of their words, puts the probability that they ask the same thing above a
threshold. Both the weights and the threshold are measured on questions generated from the
articles (`knowledge/curated_fit.py`: paraphrases of one fact against near-miss questions), and
stored in `knowledge/data/curated_calibration.json`; nothing here is set by hand.

This module knows nothing of the database: callers hand it entries (`store/faq.py` reads them).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from knowledge.analysis import split_self_description, strip_courtesy

CALIBRATION_FILE = Path(__file__).resolve().parent / "data" / "curated_calibration.json"
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class CuratedEntry:
    id: int
    questions: tuple[str, ...]  # the first wording and its paraphrases
    answer: str
    updated_at: datetime
    source_article: str = ""
    expires_on: date | None = None

    def expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


@dataclass(frozen=True)
class CuratedMatch:
    entry: CuratedEntry
    wording: str  # the entry's wording the question matched
    probability: float
    cosine: float
    overlap: float


@dataclass(frozen=True)
class Calibration:
    """The measured model: p(same question) = sigmoid(w_cos·cos + w_words·overlap + bias)."""

    w_cosine: float
    w_overlap: float
    bias: float
    threshold: float  # the lowest probability at which matches reach the target precision
    group_threshold: float  # probability at which the inbox puts two questions in one group

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        calibration = cls(**{k: float(data[k]) for k in ("w_cosine", "w_overlap", "bias", "threshold", "group_threshold")})
        if calibration.w_cosine <= 0 or calibration.w_overlap < 0:
            # The matcher bounds a match at cosine 1: that needs more similar to mean more likely.
            raise ValueError(f"{path}: the fitted weights must not be negative; run `make curated-calibration`")
        return calibration

    def probability(self, cosine: float, overlap: float) -> float:
        z = self.w_cosine * cosine + self.w_overlap * overlap + self.bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def core(text: str) -> str:
    """The asking part of a question, as the analysis finds it: greetings, thanks, emoji and the
    asker's self-description ("我们是做储能的，…") say nothing about which answer it wants."""
    return split_self_description(strip_courtesy(text) or text)[0] or text


def units(text: str) -> set[str]:
    """The words of a text for overlap: Chinese character bigrams (no segmenter is needed to
    compare two short questions) and lower-cased Latin words and numbers."""
    text = unicodedata.normalize("NFKC", text).lower()
    out: set[str] = set(_WORD.findall(text))
    for run in _CJK_RUN.findall(text):
        out.update(run[i:i + 2] for i in range(len(run) - 1)) if len(run) > 1 else out.add(run)
    return out


def overlap(a: str | set[str], b: str | set[str]) -> float:
    """Dice coefficient of the two texts' words (0 … 1)."""
    ua = units(a) if isinstance(a, str) else a
    ub = units(b) if isinstance(b, str) else b
    return 2 * len(ua & ub) / (len(ua) + len(ub)) if ua and ub else 0.0


class CuratedMatcher:
    """Entries with their wordings' vectors, matched in one matrix product (500 entries of a few
    wordings each are a few thousand rows of 384 floats)."""

    def __init__(self, entries: Sequence[CuratedEntry], vectors: np.ndarray, calibration: Calibration) -> None:
        self.entries = list(entries)
        self.calibration = calibration
        self._rows = [(e, q) for e in self.entries for q in e.questions]
        self._units = [units(q) for _, q in self._rows]
        self._vectors = np.asarray(vectors, dtype=np.float32).reshape(len(self._rows), -1) if self._rows else None

    @staticmethod
    def wordings(entries: Sequence[CuratedEntry]) -> list[str]:
        """The texts to embed, in the order `vectors` must hold them."""
        return [q for e in entries for q in e.questions]

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, question: str, vector: np.ndarray | Callable[[], np.ndarray], today: date) -> CuratedMatch | None:
        """The best entry for `question` above the threshold, never an expired one. `vector` may be
        a function: it is called only when some wording shares enough words with the question to
        match even at cosine 1 (an exact bound), so most questions cost no embedding at all."""
        if self._vectors is None:
            return None
        asked = units(question)
        candidates = []
        for i, (entry, _) in enumerate(self._rows):
            if entry.expired(today):
                continue
            words = overlap(asked, self._units[i])
            if self.calibration.probability(1.0, words) >= self.calibration.threshold:
                candidates.append((i, words))
        if not candidates:
            return None
        q = np.asarray(vector() if callable(vector) else vector, dtype=np.float32).reshape(-1)
        best: CuratedMatch | None = None
        for i, words in candidates:
            cos = float(self._vectors[i] @ q)
            p = self.calibration.probability(cos, words)
            if best is None or p > best.probability:
                entry, wording = self._rows[i]
                best = CuratedMatch(entry, wording, p, cos, words)
        return best if best is not None and best.probability >= self.calibration.threshold else None
