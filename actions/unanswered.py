"""A JSON-lines log of questions the articles did not answer, for the park's staff.

Senders are pseudonymised. A sender id may be personal data (WeChat's is the user's OpenID),
so a record keeps `sender_hash`: HMAC-SHA256 of the id (16 hex digits), never the id. The
same conversation always gets the same hash, so staff can still group its questions. The
key is BOT_UNANSWERED_SALT when set; otherwise a random key created once next to the log
(`unanswered.salt` beside `unanswered.jsonl`, mode 600) and reused after restarts. Deleting
that file starts new pseudonyms; copying its content into BOT_UNANSWERED_SALT keeps them
(e.g. for several action servers on different disks).

The log rotates by size, like logging.handlers.RotatingFileHandler: when a line would take
it past `max_bytes`, unanswered.jsonl becomes unanswered.jsonl.1, .1 becomes .2, …, and
only `backups` rotated files are kept. A line is never split or dropped by a rotation: an
flock on `unanswered.jsonl.lock` serialises rotation and appends across threads and
processes, and every line is one write to a descriptor opened for appending.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from actions.settings import ActionSettings

logger = logging.getLogger(__name__)

HASH_HEX_DIGITS = 16  # 64 bits: no collisions among a park's conversations, short to read


class UnansweredLog:
    """Appends one line per unanswered question; never lets an I/O error reach the user."""

    def __init__(
        self,
        path: Path,
        salt: str = "",
        max_bytes: int = ActionSettings.unanswered_max_bytes,
        backups: int = ActionSettings.unanswered_backups,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes  # 0: never rotate
        self.backups = max(1, backups)
        # The per-install key is read (or created) on first use: building the action
        # creates no file, and a failure to create it is logged like any write failure.
        self._key: bytes | None = salt.encode("utf-8") if salt else None

    @classmethod
    def from_settings(cls, settings: ActionSettings) -> UnansweredLog:
        return cls(
            settings.unanswered_log,
            settings.unanswered_salt,
            settings.unanswered_max_bytes,
            settings.unanswered_backups,
        )

    def pseudonym(self, sender: str) -> str:
        """The stable, keyed hash that stands for `sender` in the log."""
        if self._key is None:
            self._key = _install_key(key_path_for(self.path))
        digest = hmac.new(self._key, sender.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return digest.hexdigest()[:HASH_HEX_DIGITS]

    def rotated(self, n: int) -> Path:
        """The n-th rotated file (1 = the most recent)."""
        return self.path.with_name(f"{self.path.name}.{n}")

    def append(self, sender: str, question: str, lang: str, intent: str | None = None) -> bool:
        """Record a question; returns False (and logs why) when the file cannot be written."""
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sender_hash": self.pseudonym(sender),
            "question": question,
            "lang": lang,
            "intent": intent,
        }
        # Text from the network may hold lone surrogates: replaced, not a crash.
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _locked(self.path.with_name(self.path.name + ".lock")):
                self._rotate_before(len(line))
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    _write_all(fd, line)
                finally:
                    os.close(fd)
        except OSError as exc:
            logger.warning("could not record an unanswered question in %s: %s", self.path, exc)
            return False
        return True

    def _rotate_before(self, incoming: int) -> None:
        """Rotate if `incoming` bytes would take a non-empty log past max_bytes."""
        if self.max_bytes <= 0:
            return
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        try:
            for n in range(self.backups - 1, 0, -1):
                if self.rotated(n).exists():
                    os.replace(self.rotated(n), self.rotated(n + 1))  # drops the oldest
            os.replace(self.path, self.rotated(1))
        except OSError as exc:
            # Better an over-long log than a lost question: the line still goes in.
            logger.warning("could not rotate %s: %s", self.path, exc)


def key_path_for(log_path: Path) -> Path:
    """Where the per-install pseudonym key of `log_path` is kept."""
    return log_path.with_name(log_path.stem + ".salt")


def _install_key(path: Path) -> bytes:
    """The key stored at `path`, created (random, mode 600) if missing or empty."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = path.read_text(encoding="ascii").strip() if path.exists() else ""
        if not key:
            key = _create_key(path)
        return key.encode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        # Still pseudonymous, only not stable across restarts.
        logger.warning(
            "could not keep the unanswered log's pseudonym key in %s (%s): using a temporary "
            "key; set BOT_UNANSWERED_SALT for stable pseudonyms",
            path,
            exc,
        )
        return secrets.token_hex(32).encode("utf-8")


def _create_key(path: Path) -> str:
    """Publish a new key atomically; if another process won the race, use its key."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _write_all(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
    finally:
        os.close(fd)
    try:
        if path.exists():  # an empty key file: replace it
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # fails if another process created it first
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path.read_text(encoding="ascii").strip()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
