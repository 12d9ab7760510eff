"""The data that flows between the knowledge components and out to channels."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A chunk of one article, the unit that is embedded and indexed.

    `start`/`end` are character offsets into the article's *cleaned* text;
    `sentences` are (start, end) offsets of each sentence relative to `text`.
    """

    id: str
    source: str  # file name relative to the articles folder
    title: str
    section: str
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sentences"] = [list(s) for s in self.sentences]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(
            id=data["id"],
            source=data["source"],
            title=data["title"],
            section=data["section"],
            text=data["text"],
            start=data["start"],
            end=data["end"],
            sentences=tuple((int(a), int(b)) for a, b in data.get("sentences", ())),
        )

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences] or [self.text]


@dataclass(frozen=True)
class Source:
    """A passage cited in an answer, as channels show it."""

    id: str
    source: str
    title: str
    section: str
    text: str
    score: float  # the ranker's probability for the quoted sentence: what ordered the sources
    sentence: str = ""  # the sentence quoted from the passage
    # The article's metadata (knowledge.meta), "" when unknown; dates are YYYY-MM-DD.
    url: str = ""  # the original page
    published: str = ""
    publisher: str = ""
    link: str = ""  # `url` with a text fragment that leads to the quoted sentence (knowledge.links)
    stale: bool = False  # published longer ago than KB_STALE_AFTER_DAYS: say when

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What the knowledge base says about one question.

    `outcome` is "answer" (grounded: the sentences quoted answer it), "related" (the
    articles do not answer it directly; `related` holds the closest passage, shown as
    such) or "decline" (nothing close). Only an answer has `answer` text and `sources`:
    nothing is invented. `lang` is the question's language ("zh" or "en"), so callers
    can phrase their own words to match.
    """

    question: str
    answer: str
    grounded: bool
    sources: list[Source] = field(default_factory=list)
    lang: str = "zh"
    query: str = ""  # the text actually searched (question + follow-up context)
    outcome: str = "answer"
    related: list[Source] = field(default_factory=list)
    followup: bool = False  # the question leaned on the previous one
    # Of a message with several questions, those the articles do not answer when others are
    # answered: the reply says so rather than leaving them out unmentioned.
    unanswered: list[str] = field(default_factory=list)

    @property
    def stale_published(self) -> str:
        """When the first quoted article that is older than KB_STALE_AFTER_DAYS was published ("" for none)."""
        return next((s.published for s in self.sources if s.stale and s.published), "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "grounded": self.grounded,
            "outcome": self.outcome,
            "sources": [s.to_dict() for s in self.sources],
            "related": [s.to_dict() for s in self.related],
            "unanswered": list(self.unanswered),
        }
