"""Atomic file writes: written aside under a hidden name, then renamed into place.

A reader (`knowledge build`, the action server) therefore sees the old file or the new one,
never half of one; hidden names are skipped by the article scan (knowledge.ingest).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # atomic on POSIX, same folder so same file system
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
