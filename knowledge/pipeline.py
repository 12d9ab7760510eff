"""One question through the stages, each once: analysis → retrieval → ranking → judgement.

`Pipeline` binds the stages to one loaded build (index, word statistics, fitted models);
the service holds one and swaps it on reload, and the build-time fit runs the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.analysis import Analyzer, QuestionAnalysis
from knowledge.catalog import Catalog
from knowledge.compare import superlative
from knowledge.embed import Embedder
from knowledge.facts import Fact, find_facts
from knowledge.index import KnowledgeIndex
from knowledge.judge import Judgement, judge
from knowledge.lexical import Tokenizer
from knowledge.ranking import Candidate, candidates, rank
from knowledge.retrieve import Hit, hybrid_search
from knowledge.settings import Settings
from knowledge.spelling import Spelling
from knowledge.text import has_cjk


@dataclass(frozen=True)
class Retrieval:
    vector: np.ndarray
    hits: list[Hit]


@dataclass(frozen=True)
class PartResult:
    """What the stages made of one question (one part of a message)."""

    analysis: QuestionAnalysis
    retrieval: Retrieval
    ranked: list[Candidate]
    judgement: Judgement


class Pipeline:
    def __init__(self, settings: Settings, embedder: Embedder, index: KnowledgeIndex, tokenizer: Tokenizer,
                 catalog: Catalog | None = None) -> None:
        self.settings = settings
        # Answering checks expiry through the catalog; the build-time fit passes none (every article).
        self.catalog = catalog
        self.embedder = embedder
        self.index = index
        self.models = index.models  # fitted with this build (empty while the build is being fitted)
        self.tokenizer = tokenizer
        self.analyzer = Analyzer(tokenizer, index.term_df, len(index.passages), index.glossary, self.models.classifier,
                                 Spelling.for_corpus(index.glossary, index.term_df, tokenizer, index.sounds),
                                 index.compounds)
        self._facts: dict[str, tuple[Fact, ...]] = {}  # per sentence of this build: tagging is the costly part

    def facts_of(self, sentence: str) -> tuple[Fact, ...]:
        facts = self._facts.get(sentence)
        if facts is None:
            tagged = self.tokenizer.tagged(sentence) if has_cjk(sentence) else []
            facts = self._facts[sentence] = tuple(find_facts(sentence, tagged))
        return facts

    def analyse(self, text: str, previous: QuestionAnalysis | None = None,
                same_message: bool = False) -> QuestionAnalysis:
        return self.analyzer.analyse(text, previous, self.embedder.embed_queries, same_message)

    def previous_turn(self, text: str) -> QuestionAnalysis:
        """The analysis of the turn before: only its query and terms carry over, so it is not embedded."""
        return self.analyzer.analyse(text)

    def retrieve(self, analysis: QuestionAnalysis, vector: np.ndarray | None = None,
                 dense_weight: float | None = None, lexical_weight: float | None = None) -> Retrieval:
        s = self.settings
        if vector is None:  # embedded by the analysis, unless it was made without the embedder
            vector = analysis.vector if analysis.vector is not None else self.embedder.embed_queries([analysis.query])[0]
        # Corpus words that translate an English question's terms let BM25 take part too.
        tokens = self.tokenizer.tokens(analysis.query) + [f for t in analysis.terms for f in t.forms[1:]]
        expired = self.catalog.expired() if self.catalog else frozenset()
        hits = hybrid_search(
            self.index.dense, self.index.lexical, vector, tokens,
            depth=s.candidates * (2 if expired else 1), rrf_k=s.rrf_k,  # deeper: expired passages are dropped
            dense_weight=s.dense_weight if dense_weight is None else dense_weight,
            lexical_weight=s.lexical_weight if lexical_weight is None else lexical_weight,
        )
        if expired:  # an expired article is never quoted, not even as related
            hits = [h for h in hits if self.index.passages[h.index].source not in expired]
        return Retrieval(vector, hits)

    def rank(self, analysis: QuestionAnalysis, retrieval: Retrieval, use_model: bool = True) -> list[Candidate]:
        cands = candidates(self.index, analysis, retrieval.vector, retrieval.hits, self.facts_of)
        return rank(cands, self.models.ranker if use_model else None)

    def run(self, analysis: QuestionAnalysis, *, vector: np.ndarray | None = None, ranker: bool = True,
            dense_weight: float | None = None, lexical_weight: float | None = None) -> PartResult:
        retrieval = self.retrieve(analysis, vector, dense_weight, lexical_weight)
        ranked = self.rank(analysis, retrieval, ranker)
        passages = self.index.passages
        compared = superlative(analysis, ranked, lambda p: passages[p].source, lambda p: passages[p].section)
        if compared:  # the sentence with the extreme value is the one quoted
            ranked = [compared[0].candidate, *(c for c in ranked if c is not compared[0].candidate)]
        judgement = judge(analysis, ranked, self.models.judge, self.models.thresholds, tuple(compared))
        return PartResult(analysis, retrieval, ranked, judgement)
