"""The knowledge base as a service: load the published index once, answer, hot-reload.

Channels and the Rasa action use only this class. It holds the embedder and the
loaded index; `reload_if_changed()` swaps in a newly published build (the
`current` link points elsewhere) and keeps serving the old one if the new one
cannot be loaded.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from knowledge.analysis import split_questions
from knowledge.answer import compose as compose_rules
from knowledge.answer import decide, rank_sentences, sources_for
from knowledge.answer_types import list_head
from knowledge.embed import Embedder, make_embedder
from knowledge.errors import IndexNotReadyError, InvalidQuestionError
from knowledge.index import KnowledgeIndex, current_build
from knowledge.judge import Judgement
from knowledge.lexical import Tokenizer
from knowledge.lexicon import ZH_STOPWORDS
from knowledge.pipeline import PartResult, Pipeline
from knowledge.reply import compose
from knowledge.retrieve import hybrid_search
from knowledge.settings import Settings
from knowledge.terms import key_terms, leans_on_previous
from knowledge.text import detect_lang, has_cjk, sanitize
from knowledge.types import Answer

log = logging.getLogger(__name__)
MAX_PARTS = 3  # questions answered from one message


@dataclass(frozen=True)
class Trace:
    """Why an answer came out as it did (for `knowledge ask --explain` and evaluation)."""

    query: str
    followup: bool
    reason: str
    score: float  # rules: the grounding score; learned: the judge's probability
    ranked_ids: list[str]  # passages in retrieval order
    coverage: float = 0.0  # rules only
    best_dense: float = 0.0  # rules only
    cross_lingual: bool = False  # rules only
    parts: list[dict[str, Any]] = field(default_factory=list)  # learned: analysis, ranking, judgement per part

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "followup": self.followup, "reason": self.reason,
                "score": round(self.score, 4), "parts": self.parts}


def explain_part(result: PartResult, index: KnowledgeIndex, top: int = 5) -> dict[str, Any]:
    return {
        "analysis": result.analysis.to_dict(),
        "passages": [{"id": index.passages[h.index].id, "fused": round(h.fused, 5), "dense": h.dense,
                      "bm25": h.lexical} for h in result.retrieval.hits[:top]],
        "sentences": [{"text": c.text, "score": round(c.score, 4), "features": c.explain()}
                      for c in result.ranked[:top]],
        "judgement": {"outcome": result.judgement.outcome, "probability": round(result.judgement.probability, 4),
                      "reason": result.judgement.reason, "features": result.judgement.features},
    }


class KnowledgeService:
    def __init__(self, settings: Settings, embedder: Embedder, index: KnowledgeIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self._tokenizer = Tokenizer(settings.cache_dir)
        self._pipeline = Pipeline(settings, embedder, index, index.models, self._tokenizer)
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
        return self._pipeline.index

    @property
    def build(self) -> Path:
        return self._pipeline.index.build

    def reload_if_changed(self) -> bool:
        """Swap to a newly published build; cheap (one readlink) when nothing changed."""
        published = current_build(self.settings.index_dir)
        if published is None or published in (self.build, self._rejected):
            return False
        with self._reload_lock:
            if published in (self.build, self._rejected):
                return False
            try:
                fresh = KnowledgeIndex.load(self.settings, self.embedder, published)
            except IndexNotReadyError as exc:
                self._rejected = published  # loading it again on every question would be slow
                log.error("new index %s not loaded, still serving %s: %s", published, self.build, exc)
                return False
            # One reference assignment: readers see the old or the new build, never a mix.
            self._pipeline = Pipeline(self.settings, self.embedder, fresh, fresh.models, self._tokenizer)
            log.info("knowledge index reloaded: %s", published.name)
            return True

    def ask(self, question: str, *, previous: str | None = None, k: int | None = None) -> Answer:
        return self.explain(question, previous=previous, k=k)[0]

    def is_followup(self, question: str) -> bool:
        index = self.index
        terms = key_terms(question, self._tokenizer, index.term_df, len(index.passages), index.glossary)
        return leans_on_previous(question, self._tokenizer, terms)

    def explain(
        self, question: str, *, previous: str | None = None, k: int | None = None,
        dense_weight: float | None = None, lexical_weight: float | None = None, abstain: bool = True,
        ranker: bool = True,
    ) -> tuple[Answer, Trace]:
        """Answer a question; raises InvalidQuestionError for empty or over-long text."""
        if self.settings.answerer.strip().lower() != "learned":
            return self._explain_rules(question, previous=previous, k=k, dense_weight=dense_weight,
                                       lexical_weight=lexical_weight, abstain=abstain)
        return self._explain_learned(question, previous=previous, k=k, dense_weight=dense_weight,
                                     lexical_weight=lexical_weight, abstain=abstain, ranker=ranker)

    def _explain_learned(
        self, question: str, *, previous: str | None, k: int | None, dense_weight: float | None,
        lexical_weight: float | None, abstain: bool, ranker: bool,
    ) -> tuple[Answer, Trace]:
        s = self.settings
        pipeline = self._pipeline  # one consistent build for the whole question, even if a reload happens
        question = sanitize(question, s.max_question_chars)
        before = None
        if previous and previous.strip():
            try:
                before = pipeline.analyse(sanitize(previous, s.max_question_chars))
            except InvalidQuestionError:
                before = None
        results: list[PartResult] = []
        for i, part in enumerate(split_questions(question)[:MAX_PARTS]):
            # A later part ("园区在哪里？占地多大？") leans on the first one as on a previous turn.
            analysis = pipeline.analyse(part, before if i == 0 else results[0].analysis)
            result = pipeline.run(analysis, ranker=ranker, dense_weight=dense_weight, lexical_weight=lexical_weight)
            if not abstain and result.ranked:  # ablation: every question answered
                result = replace(result, judgement=Judgement("answer", 1.0, "abstention off", {}))
            results.append(result)
        answer = compose(pipeline.index, question, results)
        if k is not None:
            answer = replace(answer, sources=answer.sources[:k])
        first = results[0]
        trace = Trace(
            first.analysis.query, first.analysis.followup, first.judgement.reason, first.judgement.probability,
            [pipeline.index.passages[h.index].id for h in first.retrieval.hits],
            parts=[explain_part(r, pipeline.index) for r in results],
        )
        return answer, trace

    def _explain_rules(
        self, question: str, *, previous: str | None = None, k: int | None = None,
        dense_weight: float | None = None, lexical_weight: float | None = None, abstain: bool = True,
    ) -> tuple[Answer, Trace]:
        s = self.settings
        index = self.index  # one consistent build for the whole question, even if a reload happens
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
            answer=compose_rules(candidates, index, s.max_answer_sentences) if grounded else "",
            grounded=grounded,
            sources=sources_for(index, hits, k or s.top_k) if grounded else [],
            lang=lang,
            query=query,
        )
        answer = replace(answer, outcome="answer" if grounded else "decline", followup=followup,
                         topic=(previous or "") if followup else question if grounded else "")
        trace = Trace(query, followup, decision.reason, decision.score, [index.passages[h.index].id for h in hits],
                      decision.coverage, decision.best_dense, decision.cross_lingual)
        return answer, trace
