"""The knowledge base as a service: load the published index once, answer, hot-reload.

Channels and the Rasa action use only this class. It holds the embedder and the
loaded index; `reload_if_changed()` swaps in a newly published build (the
`current` link points elsewhere) and keeps serving the old one if the new one
cannot be loaded.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from knowledge.answer import compose, decide, rank_sentences, sources_for
from knowledge.answer_types import list_head
from knowledge.embed import Embedder, make_embedder
from knowledge.errors import IndexNotReadyError
from knowledge.index import KnowledgeIndex, current_build
from knowledge.lexical import Tokenizer
from knowledge.lexicon import ZH_STOPWORDS
from knowledge.retrieve import hybrid_search
from knowledge.settings import Settings
from knowledge.terms import key_terms, leans_on_previous
from knowledge.text import detect_lang, has_cjk, sanitize
from knowledge.types import Answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trace:
    """Why an answer came out as it did (for `knowledge ask --explain` and evaluation)."""

    query: str
    followup: bool
    coverage: float
    best_dense: float
    score: float
    cross_lingual: bool
    reason: str
    ranked_ids: list[str]


class KnowledgeService:
    def __init__(self, settings: Settings, embedder: Embedder, index: KnowledgeIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self._index = index
        self._tokenizer = Tokenizer(settings.cache_dir)
        self._reload_lock = threading.Lock()
        self._rejected: Path | None = None  # a published build that failed to load: not retried

    @classmethod
    def from_settings(cls, settings: Settings | None = None, embedder: Embedder | None = None) -> KnowledgeService:
        settings = settings or Settings.from_env()
        embedder = embedder or make_embedder(settings)
        if settings.faiss_threads > 0:
            import faiss

            faiss.omp_set_num_threads(settings.faiss_threads)  # process-wide, set once at start
        return cls(settings, embedder, KnowledgeIndex.load(settings, embedder))

    def warm_up(self) -> None:
        """Load the model and tokenizer now rather than on the first question."""
        self.ask("warm up 园区")

    @property
    def index(self) -> KnowledgeIndex:
        return self._index

    @property
    def build(self) -> Path:
        return self._index.build

    def reload_if_changed(self) -> bool:
        """Swap to a newly published build; cheap (one readlink) when nothing changed."""
        published = current_build(self.settings.index_dir)
        if published is None or published in (self._index.build, self._rejected):
            return False
        with self._reload_lock:
            if published in (self._index.build, self._rejected):
                return False
            try:
                fresh = KnowledgeIndex.load(self.settings, self.embedder, published)
            except IndexNotReadyError as exc:
                self._rejected = published  # loading it again on every question would be slow
                log.error("new index %s not loaded, still serving %s: %s", published, self._index.build, exc)
                return False
            self._index = fresh  # one reference assignment: readers see old or new, never a mix
            log.info("knowledge index reloaded: %s", published.name)
            return True

    def is_followup(self, question: str) -> bool:
        index = self._index
        n_docs = len(index.passages)
        terms = key_terms(question, self._tokenizer, index.term_df, n_docs, index.glossary)
        return leans_on_previous(question, self._tokenizer, terms)

    def ask(self, question: str, *, previous: str | None = None, k: int | None = None) -> Answer:
        return self.explain(question, previous=previous, k=k)[0]

    def explain(
        self, question: str, *, previous: str | None = None, k: int | None = None,
        dense_weight: float | None = None, lexical_weight: float | None = None, abstain: bool = True,
    ) -> tuple[Answer, Trace]:
        """Answer a question; raises InvalidQuestionError for empty or over-long text."""
        s = self.settings
        index = self._index  # one consistent build for the whole question, even if a reload happens
        question = sanitize(question, s.max_question_chars)
        lang = detect_lang(question)
        n_docs = len(index.passages)
        terms = key_terms(question, self._tokenizer, index.term_df, n_docs, index.glossary)
        followup = False
        query = question
        if previous and previous.strip() and leans_on_previous(question, self._tokenizer, terms):
            followup = True
            previous = sanitize(previous, s.max_question_chars)
            query = f"{previous} {question}"
            # The previous question supplies the subject; the new one the attribute asked for.
            terms = terms + [
                t for t in key_terms(previous, self._tokenizer, index.term_df, n_docs, index.glossary)
                if t.subject and t.text not in {x.text for x in terms}
            ]
        query_vector = self.embedder.embed_queries([query])[0]
        # Corpus words that translate an English question's terms let BM25 take part too.
        query_tokens = self._tokenizer.tokens(query) + [w for t in terms for w in t.alternatives]
        hits = hybrid_search(
            index.dense, index.lexical, query_vector, query_tokens,
            depth=s.candidates, rrf_k=s.rrf_k,
            dense_weight=s.dense_weight if dense_weight is None else dense_weight,
            lexical_weight=s.lexical_weight if lexical_weight is None else lexical_weight,
        )
        segments = self._tokenizer.segment(question)
        # Two content words side by side in the question ("发展定位") are a phrase to look for.
        phrases = tuple(
            a + b for a, b in pairwise(segments)
            if has_cjk(a) and has_cjk(b) and a not in ZH_STOPWORDS and b not in ZH_STOPWORDS
        )
        candidates = rank_sentences(
            index, hits, query_vector, terms, question, list_head(segments, ZH_STOPWORDS), phrases
        )
        decision = decide(s, lang, terms, hits, candidates, index)
        grounded = decision.grounded or not abstain
        if candidates:
            # The passage holding the answer is cited first.
            best = candidates[0].passage
            hits = sorted(hits, key=lambda h: h.index != best)
        answer = Answer(
            question=question,
            answer=compose(candidates, index, s.max_answer_sentences) if grounded else "",
            grounded=grounded,
            sources=sources_for(index, hits, k or s.top_k) if grounded else [],
            lang=lang,
            query=query,
        )
        trace = Trace(query, followup, decision.coverage, decision.best_dense, decision.score,
                      decision.cross_lingual, decision.reason, [index.passages[h.index].id for h in hits])
        return answer, trace
