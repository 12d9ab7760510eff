"""Lexical side of retrieval: jieba tokens for Chinese, words for English, BM25 through bm25s."""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.lexicon import EN_STOPWORDS, ZH_STOPWORDS

_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9&+\-.]*[A-Za-z0-9]|[A-Za-z]|\d+(?:\.\d+)?%?|[\u3400-\u9fff]+")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_PUNCT_RE = re.compile(r"^[\W_]+$")


class Tokenizer:
    """jieba search-mode segmentation for Chinese runs, lower-cased words for the rest.

    Each instance owns its own jieba dictionary (no process-wide jieba state), loaded lazily.
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._jieba = None
        self._pos = None  # jieba.posseg over the same dictionary, made on first use
        self._lock = threading.Lock()
        self._cache_dir = cache_dir

    def _get(self):
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    cache_dir = self._cache_dir or Path(tempfile.gettempdir())
                    cache_dir.mkdir(parents=True, exist_ok=True)
                    tokenizer.tmp_dir = str(cache_dir)
                    tokenizer.initialize()
                    self._jieba = tokenizer
        return self._jieba

    def tokens(self, text: str) -> list[str]:
        """All tokens (search mode: whole words plus their sub-words), stopwords dropped."""
        out: list[str] = []
        for piece in _TOKEN_RE.findall(text):
            if _CJK_RE.match(piece):
                out.extend(t for t in self._get().cut_for_search(piece) if t not in ZH_STOPWORDS)
            else:
                word = piece.lower()
                if word not in EN_STOPWORDS:
                    out.append(word)
        return out

    def is_word(self, text: str) -> bool:
        """Whether jieba's dictionary holds `text` as a word."""
        return self._get().FREQ.get(text, 0) > 0

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech flag) pairs from jieba's tagger; English words are tagged "eng"."""
        if self._pos is None:
            dictionary = self._get()  # before taking the lock, which loading takes too
            with self._lock:
                if self._pos is None:
                    import jieba.posseg

                    self._pos = jieba.posseg.POSTokenizer(dictionary)
        return [(pair.word, pair.flag) for pair in self._pos.lcut(text)]

    def verbs(self, text: str) -> set[str]:
        """The Chinese words jieba's tagger reads as verbs (not verbal nouns such as 投资):
        "建成以后用来做什么" names an action, not a subject of its own."""
        return {
            word for piece in _TOKEN_RE.findall(text) if _CJK_RE.match(piece)
            for word, flag in self.tagged(piece) if flag.startswith("v") and flag != "vn"
        }

    def segment(self, text: str) -> list[str]:
        """Whole words (jieba precise mode; lower-cased words outside Chinese), nothing dropped."""
        out: list[str] = []
        for piece in _TOKEN_RE.findall(text):
            if _CJK_RE.match(piece):
                out.extend(self._get().lcut(piece))
            else:
                out.append(piece.lower())
        return out

    def dictionary_words(self, text: str) -> list[str]:
        """`text` cut by jieba's dictionary alone, no HMM guessing of new words."""
        return self._get().lcut(text, HMM=False)

    def words(self, text: str) -> list[str]:
        """Whole words with stopwords and punctuation dropped, order kept."""
        return [
            w for w in self.segment(text)
            if w not in ZH_STOPWORDS and w not in EN_STOPWORDS and not _PUNCT_RE.match(w)
        ]


class LexicalIndex:
    """BM25 over token lists; scores are bm25s's, ranks are what fusion uses."""

    def __init__(self, bm25) -> None:
        self._bm25 = bm25
        self._vocab = set(bm25.vocab_dict) if getattr(bm25, "vocab_dict", None) else set()

    @classmethod
    def build(cls, corpus_tokens: Sequence[list[str]]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        # An empty token keeps documents with no tokens (and empty queries) valid.
        bm25.index([list(toks) or [""] for toks in corpus_tokens], show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(folder)))

    def search(self, query_tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(doc indices, scores) of the best `k` documents with a positive score."""
        known = [t for t in query_tokens if t in self._vocab]
        n_docs = int(self._bm25.scores["num_docs"]) if hasattr(self._bm25, "scores") else 0
        if not known or n_docs == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(known), dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        keep = scores[top] > 0
        return top[keep].astype(np.int64), scores[top][keep]
