"""Related questions: questions the articles answer, offered as buttons after an answer ("you may
also ask …") and after a decline ("您是不是想问…").

They come from the questions generated from the articles at build time (knowledge.generate), worded
plainly, and only those the bot itself answers as grounded with the sentence they came from: each
is put through the fitted pipeline once, at build, and stored in the build (`suggestions.json`).
Nothing is generated or judged per user question; picking is a lookup by passage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from knowledge.text import has_cjk

FILE = "suggestions.json"
PER_PASSAGE = 4  # kept per passage and language: a few good ones, not every wording
# A readable question: no digits (they leak or garble the fact), no lists or clause breaks.
_UNREADABLE = re.compile(r"[0-9０-９,，、；;：:—（）()\[\]《》\"“”]")
_KINDS = {"zh": ("plain-fact", "plain-about")}
_LENGTH = {"zh": (6, 28), "en": (12, 70)}


@dataclass(frozen=True)
class Suggestion:
    question: str
    lang: str
    passage: str  # the id of the passage whose sentence answers it
    sentence: str  # that sentence


def readable(text: str, lang: str, kind: str) -> bool:
    """Whether a generated question reads well enough to be offered to a user."""
    low, high = _LENGTH.get(lang, (6, 70))
    body = text.rstrip("？?")
    if kind not in _KINDS.get(lang, ()) or not low <= len(body) <= high or _UNREADABLE.search(body):
        return False
    return has_cjk(body) if lang == "zh" else not has_cjk(body)


def select(candidates: Iterable[Suggestion], per_passage: int = PER_PASSAGE) -> list[Suggestion]:
    """At most `per_passage` per passage and language, one per answering sentence first, no duplicates."""
    seen: set[str] = set()
    by_key: dict[tuple[str, str], list[Suggestion]] = {}
    for s in candidates:
        if s.question in seen:
            continue
        seen.add(s.question)
        by_key.setdefault((s.passage, s.lang), []).append(s)
    out: list[Suggestion] = []
    for group in by_key.values():
        varied = sorted(group, key=lambda s: sum(1 for o in group[: group.index(s)] if o.sentence == s.sentence))
        out.extend(varied[:per_passage])
    return out


def save(suggestions: Sequence[Suggestion], build: Path) -> None:
    data = [asdict(s) for s in suggestions]
    (build / FILE).write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")


def load(build: Path) -> list[Suggestion]:
    """The build's suggestions; none for a build made before they existed."""
    path = build / FILE
    if not path.exists():
        return []
    return [Suggestion(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def pick(suggestions: Sequence[Suggestion], passages: Sequence[str], lang: str, asked: str,
         exclude_sentences: Iterable[str] = (), k: int = 3) -> list[str]:
    """Up to `k` questions about `passages` (most relevant first), in `lang`, one per passage
    before a second, never the question asked or one answered by a sentence already quoted."""
    quoted = set(exclude_sentences)
    normal = _normal(asked)
    pools = []
    for passage in dict.fromkeys(passages):
        pool = [s.question for s in suggestions if s.passage == passage and s.lang == lang
                and s.sentence not in quoted and _normal(s.question) != normal]
        pools.append(pool)
    out: list[str] = []
    for depth in range(PER_PASSAGE):
        for pool in pools:
            if depth < len(pool) and pool[depth] not in out:
                out.append(pool[depth])
                if len(out) == k:
                    return out
    return out


def _normal(text: str) -> str:
    return re.sub(r"[\s?？!！。.,，]", "", text).lower()


def build(pipeline, seed: int = 13) -> list[Suggestion]:  # type: ignore[no-untyped-def]  # Pipeline: heavy import
    """The suggestions of a fitted build: plain generated questions that the pipeline answers,
    grounded, with the very sentence they were generated from."""
    from knowledge.generate import QuestionGenerator, sentence_refs
    from knowledge.glossary import cedict_synonyms

    index = pipeline.index
    refs = sentence_refs(index.passages, index.sentence_offsets)
    unique = {r.row: r for r in {r.text: r for r in refs}.values()}
    corpus = " ".join(p.text for p in index.passages)
    generator = QuestionGenerator(pipeline.tokenizer, index.glossary, corpus, seed, cedict_synonyms(set(index.term_df)))
    found: list[Suggestion] = []
    for q in generator.readable(list(unique.values())):
        if not readable(q.text, q.lang, q.kind):
            continue
        result = pipeline.run(pipeline.analyse(q.text))
        ref = unique[q.row]
        if result.judgement.grounded and result.ranked and result.ranked[0].text == ref.text:
            found.append(Suggestion(q.text, q.lang, index.passages[ref.passage].id, ref.text))
    return select(found)
