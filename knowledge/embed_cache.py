"""A persistent cache of embeddings, so rebuilding the index re-embeds only new text.

Keyed by (model id, kind, sha1 of the text); stored in SQLite, which gives atomic
writes and safe concurrent readers for free.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def _key(kind: str, text: str) -> str:
    return hashlib.sha1(f"{kind}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path, model_id: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._model_id = model_id
        self._dim = dim
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vector BLOB, "
                "PRIMARY KEY (model, key))"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30)

    def embed(
        self,
        kind: str,
        texts: Sequence[str],
        compute: Callable[[Sequence[str]], np.ndarray],
        on_progress: Callable[[int], None] | None = None,
        batch: int = 64,
    ) -> tuple[np.ndarray, int]:
        """Vectors for `texts` (cached ones reused); returns (vectors, how many were computed)."""
        keys = [_key(kind, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._connect() as db:
            unique = list(dict.fromkeys(keys))
            for i in range(0, len(unique), 500):
                chunk = unique[i : i + 500]
                rows = db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(chunk))})",
                    [self._model_id, *chunk],
                ).fetchall()
                for key, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape == (self._dim,):
                        found[key] = vec
        todo = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        computed = 0
        for i in range(0, len(todo), batch):
            part = todo[i : i + batch]
            vectors = compute([t for _, t in part])
            with self._connect() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [(self._model_id, k, v.astype(np.float32).tobytes()) for (k, _), v in zip(part, vectors, strict=True)],
                )
            for (k, _), v in zip(part, vectors, strict=True):
                found[k] = v
            computed += len(part)
            if on_progress:
                on_progress(len(part))
        if not keys:
            return np.zeros((0, self._dim), dtype=np.float32), 0
        return np.vstack([found[k] for k in keys]).astype(np.float32), computed
