"""Rebuild the knowledge index in the background after the staff change an article.

The build is `knowledge build`'s own (knowledge.index.build_index, same settings, same progress
stages), run in one thread of the console, one at a time: a change made while a build runs
marks another build as wanted, which starts when the current one ends, so the last change is
always built. The action server picks up the published build by itself (knowledge.service).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from knowledge.embed import Embedder
from knowledge.index import BuildReport, Progress, build_index
from knowledge.settings import Settings

log = logging.getLogger(__name__)

Build = Callable[[Progress], BuildReport]


@dataclass(frozen=True)
class BuildStatus:
    state: str = "idle"  # idle | running | done | failed
    stage: str = ""  # the build's progress stage (embedding, indexing, fitting…)
    done: int = 0
    total: int = 0
    error: str = ""  # why the last build failed
    reason: str = ""  # the change that asked for the build
    pending: bool = False  # another change arrived during this build: it is built next
    started: float | None = None  # time.time()
    finished: float | None = None
    passages: int | None = None  # in the published build, after a successful one
    build_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def index_build(settings: Settings, embedder: Callable[[], Embedder]) -> Build:
    """What `knowledge build` runs, with the console's progress callback."""

    def run(progress: Progress) -> BuildReport:
        from knowledge.exported_models import ensure_exported

        model = embedder()
        ensure_exported(settings, announce=log.info)
        return build_index(settings, model, progress=progress)

    return run


class Rebuilder:
    def __init__(self, build: Build) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._status = BuildStatus()
        self._thread: threading.Thread | None = None

    def status(self) -> BuildStatus:
        with self._lock:
            return self._status

    def request(self, reason: str) -> BuildStatus:
        """Ask for a build after `reason` (a change); returns the status right after asking."""
        with self._lock:
            if self._status.state == "running":
                self._status = replace(self._status, pending=True, reason=reason)
                return self._status
            self._status = BuildStatus(state="running", stage="starting", reason=reason, started=time.time())
            self._thread = threading.Thread(target=self._run, name="console-rebuild", daemon=True)
            self._thread.start()
            return self._status

    def wait(self, timeout: float | None = None) -> BuildStatus:
        """Until no build runs (tests, and a clean shutdown)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None or not thread.is_alive():
                return self.status()
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if deadline is not None and time.monotonic() >= deadline:
                return self.status()

    def _progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._status = replace(self._status, stage=stage, done=done, total=total)

    def _run(self) -> None:
        while True:
            try:
                report = self._build(self._progress)
                outcome = {"state": "done", "stage": report.status, "passages": report.passages,
                           "build_id": report.build.name, "error": ""}
            except Exception as exc:  # any failure is shown on the page; the published build stays
                log.exception("index rebuild failed")
                outcome = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000]}
            with self._lock:
                if not self._status.pending:
                    self._status = replace(self._status, **outcome, finished=time.time())
                    return
                # Changes arrived during this build: build again, so that they are in the index.
                self._status = BuildStatus(state="running", stage="starting", reason=self._status.reason,
                                           started=time.time())
