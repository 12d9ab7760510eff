"""The knowledge base as a service: load the published index once, answer, hot-reload.

Channels and the Rasa action use only this class. It holds the embedder and the
loaded index; `reload_if_changed()` swaps in a newly published build (the
`current` link points elsewhere) and keeps serving the old one if the new one
cannot be loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.analysis import split_questions
from knowledge.catalog import Catalog
from knowledge.embed import Embedder, make_embedder
from knowledge.errors import IndexNotReadyError, InvalidQuestionError
from knowledge.index import KnowledgeIndex, current_build
from knowledge.judge import Judgement
from knowledge.lexical import Tokenizer
from knowledge.pipeline import PartResult, Pipeline
from knowledge.reply import compose
from knowledge.settings import Settings
from knowledge.suggest import pick
from knowledge.text import sanitize
from knowledge.types import Answer

log = logging.getLogger(__name__)
MAX_PARTS = 3  # questions answered from one message


@dataclass(frozen=True)
class Trace:
    """Why an answer came out as it did (for `knowledge ask --explain` and evaluation)."""

    query: str
    followup: bool
    reason: str
    score: float  # the judge's probability for the first part
    ranked_ids: list[str]  # passages in retrieval order
    parts: list[dict[str, Any]] = field(default_factory=list)  # analysis, ranking, judgement per part

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
    def __init__(self, settings: Settings, embedder: Embedder, index: KnowledgeIndex,
                 today: Callable[[], date] = date.today) -> None:
        self.settings = settings
        self.embedder = embedder
        self._tokenizer = Tokenizer(settings.cache_dir)
        self._today = today  # the date expiry and age are judged by (tests pass their own)
        self._pipeline = self._pipeline_for(index)
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

    def _pipeline_for(self, index: KnowledgeIndex) -> Pipeline:
        catalog = Catalog(self.settings.articles_dir, index.articles, today=self._today)
        return Pipeline(self.settings, self.embedder, index, self._tokenizer, catalog)

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
            self._pipeline = self._pipeline_for(fresh)
            log.info("knowledge index reloaded: %s", published.name)
            return True

    def ask(self, question: str, *, previous: str | None = None, k: int | None = None) -> Answer:
        return self.explain(question, previous=previous, k=k)[0]

    def suggest(self, answer: Answer, k: int = 3, retrieved: list[str] | None = None) -> list[str]:
        """Up to `k` questions the articles answer, near `answer` (knowledge.suggest): after an
        answer, about its passages and then their sections, never what it already quoted; after
        a decline, about the passages closest to the question: `retrieved` (the ids its trace
        ranked, `Trace.ranked_ids`), else retrieved again."""
        index = self._pipeline.index
        if not index.suggestions:
            return []
        if answer.grounded:
            topics = {(s.source, s.section) for s in answer.sources}
            passages = [s.id for s in answer.sources]
            passages += [p.id for p in index.passages if (p.source, p.section) in topics]
            return pick(index.suggestions, passages, answer.lang, answer.question,
                        [s.sentence for s in answer.sources], k)
        passages = [s.id for s in answer.related]
        hits = retrieved
        if hits is None:  # no trace at hand: retrieve again (one more embedding)
            try:
                question = sanitize(answer.question, self.settings.max_question_chars)
                retrieval = self._pipeline.retrieve(self._pipeline.analyse(question))
            except InvalidQuestionError:
                return []
            hits = [index.passages[h.index].id for h in retrieval.hits]
        return pick(index.suggestions, passages + hits, answer.lang, answer.question, (), k)

    def explain(
        self, question: str, *, previous: str | None = None, k: int | None = None,
        dense_weight: float | None = None, lexical_weight: float | None = None, abstain: bool = True,
        ranker: bool = True,
    ) -> tuple[Answer, Trace]:
        """Answer a question, each part of it through analysis → retrieval → ranking → judgement,
        then one reply; raises InvalidQuestionError for empty or over-long text.

        `previous` is the question a follow-up may lean on. The other options leave a stage out,
        for ablations: either retriever (a weight of 0), the ranker (cosine order) or abstention.
        """
        s = self.settings
        pipeline = self._pipeline  # one consistent build for the whole question, even if a reload happens
        question = sanitize(question, s.max_question_chars)
        before = None
        if previous and previous.strip():
            try:
                before = pipeline.previous_turn(sanitize(previous, s.max_question_chars))
            except InvalidQuestionError:
                before = None
        results: list[PartResult] = []
        asked = split_questions(question)
        for i, part in enumerate(asked[:MAX_PARTS]):
            if i == 0:
                analysis = pipeline.analyse(part, before)
            else:  # a later part ("园区在哪里？占地多大？") leans on the first one as on a previous turn
                analysis = pipeline.analyse(part, results[0].analysis, same_message=True)
            result = pipeline.run(analysis, ranker=ranker, dense_weight=dense_weight, lexical_weight=lexical_weight)
            if not abstain and result.ranked:  # ablation: every question answered
                result = replace(result, judgement=Judgement("answer", 1.0, "abstention off", {}))
            results.append(result)
        answer = compose(pipeline.index, question, results, pipeline.catalog, s.stale_after_days, asked[MAX_PARTS:])
        if k is not None:
            answer = replace(answer, sources=answer.sources[:k])
        first = results[0]
        trace = Trace(
            first.analysis.query, first.analysis.followup, first.judgement.reason, first.judgement.probability,
            [pipeline.index.passages[h.index].id for h in first.retrieval.hits],
            parts=[explain_part(r, pipeline.index) for r in results],
        )
        return answer, trace
