"""The layout of the ONNX model folder: what `export-onnx` writes and the `onnx` backend reads.

Kept apart from the exporter so that serving imports neither torch nor transformers.

The token vector table (250k x 384 float32, 384 MB of the model's 470 MB) stays outside the
ONNX graph: the backend memory-maps it and looks up the rows of each question's tokens, so a
server holds only the pages it touches instead of the whole table.
"""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.model_folder import MANIFEST_FILE

MODEL_FILE = "model.onnx"  # the encoder from token vectors on, with mean pooling
EMBEDDINGS_FILE = "word_embeddings.npy"  # the token vector table, memory-mapped by the backend
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 512  # the model's position embeddings
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


def has_model(folder: Path) -> bool:
    """Whether `folder` holds the three files the onnx backend loads."""
    return all((Path(folder) / name).is_file() for name in (MODEL_FILE, TOKENIZER_FILE, EMBEDDINGS_FILE))


def read_prompts(folder: Path) -> dict[str, str]:
    """The text prefixes for questions and passages, from the folder's manifest (e5's by default)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return dict(E5_PROMPTS)
    prompts = manifest.get("prompts") if isinstance(manifest, dict) else None
    if not isinstance(prompts, dict):
        return dict(E5_PROMPTS)
    return {kind: str(prompts.get(kind, default)) for kind, default in E5_PROMPTS.items()}
