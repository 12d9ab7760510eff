"""Writing a model folder all at once: the old content or the complete new one, never half.

Both model exporters (`export-st`, `export-onnx`) write through `write_folder_atomically`:
the files go to a temporary sibling that is renamed into place, and `--force` only ever
replaces a folder an exporter wrote (one with an `export_manifest.json`), never a stray path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from knowledge.errors import KnowledgeError

MANIFEST_FILE = "export_manifest.json"


def check_target(out_dir: Path, overwrite: bool) -> None:
    """Raise KnowledgeError unless `out_dir` may receive a new model folder."""
    if not out_dir.name or out_dir == Path.home():
        raise KnowledgeError(f"refusing to write a model over {out_dir}: choose a folder of its own")
    if out_dir.exists() and not out_dir.is_dir():
        raise KnowledgeError(f"{out_dir} exists and is not a folder")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not overwrite:
        raise KnowledgeError(f"{out_dir} already exists and is not empty: pass --force to replace it")
    if not (out_dir / MANIFEST_FILE).is_file():
        raise KnowledgeError(
            f"{out_dir} is not a folder written by a model export (no {MANIFEST_FILE}): "
            "refusing to replace it; choose another folder or remove it yourself"
        )


def write_folder_atomically(out_dir: Path, *, overwrite: bool, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` to fill a temporary folder, then rename it to `out_dir`; return that.

    Raises KnowledgeError for a target that may not be replaced or an OS error (disk full,
    permissions); anything `write` raises propagates after the temporary folder is removed.
    """
    out_dir = Path(out_dir).expanduser().absolute()
    check_target(out_dir, overwrite)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        raise KnowledgeError(f"cannot create a folder next to {out_dir}: {exc}") from exc
    old: Path | None = None
    try:
        write(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model folder is ordinary data
        check_target(out_dir, overwrite)  # re-check: someone may have written meanwhile
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{time.monotonic_ns()}"
            out_dir.rename(old)
        tmp.rename(out_dir)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out_dir.exists():
            old.rename(out_dir)  # put the previous model back
        if isinstance(exc, OSError):  # disk full, permissions: the user's to fix, not a bug
            raise KnowledgeError(f"cannot write {out_dir}: {exc}") from exc
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out_dir
