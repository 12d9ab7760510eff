"""Pseudonyms of senders: what the database keeps instead of a sender id.

A sender id may be personal data (WeChat's is the user's OpenID), so rows keep `sender_hash`:
HMAC-SHA256 of the id (16 hex digits), never the id. The same conversation always gets the same
hash, so staff can group its questions, and the feedback endpoint can check that a vote comes
from the conversation that got the answer. The key is BOT_PSEUDONYM_SALT (formerly
BOT_UNANSWERED_SALT) when set; otherwise a random key created once in `pseudonym.salt` beside
BOT_DATABASE_FILE (mode 600) and reused after restarts. Every process that writes rows (the action
server, the web demo's feedback endpoint) must use the same key: on one machine they share the
file; across machines or containers, set BOT_PSEUDONYM_SALT. An install that kept the former
unanswered log's key (`unanswered.salt` in the same folder) keeps its pseudonyms: that key is
adopted the first time.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import threading
from pathlib import Path

from knowledge.settings import StoreEnv

logger = logging.getLogger(__name__)

HASH_HEX_DIGITS = 16  # 64 bits: no collisions among a park's conversations, short to read
KEY_FILE = "pseudonym.salt"
LEGACY_KEY_FILE = "unanswered.salt"  # the key of var/unanswered.jsonl, before the database


class Pseudonyms:
    """The keyed hash that stands for a sender; the key file is read (or created) on first use, so
    building one creates no file, and a failure to create it is logged, never raised."""

    def __init__(self, key_path: Path, salt: str = "") -> None:
        self.key_path = key_path
        self._key: bytes | None = salt.encode("utf-8") if salt else None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: StoreEnv | None = None) -> Pseudonyms:
        env = env or StoreEnv.from_env()
        return cls(env.database_file.parent / KEY_FILE, env.pseudonym_salt)

    def __getstate__(self) -> dict[str, object]:
        # rasa-sdk's launcher may pickle the actions into its serving process: a lock cannot be.
        return {**self.__dict__, "_lock": None}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __call__(self, sender: str) -> str:
        with self._lock:
            if self._key is None:
                self._key = _install_key(self.key_path)
        digest = hmac.new(self._key, sender.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return digest.hexdigest()[:HASH_HEX_DIGITS]


def _install_key(path: Path) -> bytes:
    """The key stored at `path`; else the legacy key beside it; else a new random one (mode 600)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = path.read_text(encoding="ascii").strip() if path.exists() else ""
        if not key:
            legacy = path.with_name(LEGACY_KEY_FILE)
            old = legacy.read_text(encoding="ascii").strip() if legacy.exists() else ""
            key = _create_key(path, old or secrets.token_hex(32))
        return key.encode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        # Still pseudonymous, only not stable across restarts (and feedback would not match).
        logger.warning("could not keep the pseudonym key in %s (%s): using a temporary key; set "
                       "BOT_PSEUDONYM_SALT for stable pseudonyms", path, exc)
        return secrets.token_hex(32).encode("utf-8")


def _create_key(path: Path, key: str) -> str:
    """Publish `key` atomically; if another process won the race, use its key."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key + "\n").encode("ascii"))
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
