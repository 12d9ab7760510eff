"""Safe-mode (安全模式) message encryption: AES-256-CBC with the account's EncodingAESKey.

key = base64(EncodingAESKey + "="), IV = key[:16], PKCS#7 padding to 32-byte blocks;
plaintext = 16 random bytes + 4-byte big-endian length + message + app id, then Base64;
msg_signature = sha1(sorted(token, timestamp, nonce, encrypt)).
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from channels.wechat.errors import DecryptError, SignatureError
from channels.wechat.signature import check_timestamp, compute_signature, signature_matches
from channels.wechat.xmlmsg import (
    DEFAULT_MAX_BODY_BYTES,
    build_encrypted_envelope,
    parse_xml_fields,
)

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey; ValueError if it is not one."""
    key = (encoding_aes_key or "").strip()
    if len(key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey is not Base64") from exc
    if len(raw) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return raw


def pkcs7_pad(data: bytes, block: int = BLOCK) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes, block: int = BLOCK) -> bytes:
    if not data:
        raise DecryptError("empty plaintext")
    n = data[-1]
    if n < 1 or n > block or data[-n:] != bytes([n]) * n:
        raise DecryptError("bad padding")
    return data[:-n]


class WeChatCrypto:
    """Encrypts and decrypts safe-mode payloads for one account (token, key, app id)."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        self.token = token
        self.appid = appid
        self._key = decode_aes_key(encoding_aes_key)
        self._iv = self._key[:16]

    # -- payload ---------------------------------------------------------------------------
    def encrypt(self, message: str, random_prefix: bytes | None = None) -> str:
        """Base64 ciphertext of `message`; `random_prefix` (16 bytes) only for test vectors."""
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        if len(prefix) != 16:
            raise ValueError("random prefix must be 16 bytes")
        body = message.encode("utf-8")
        plain = prefix + struct.pack(">I", len(body)) + body + self.appid.encode("utf-8")
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).encryptor()
        cipher = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(cipher).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """Plain message from Base64 ciphertext; DecryptError if garbled or for another app id."""
        try:
            cipher = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError("ciphertext is not Base64") from exc
        if not cipher or len(cipher) % 16:
            raise DecryptError("ciphertext length is not a multiple of the AES block")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).decryptor()
        plain = pkcs7_unpad(decryptor.update(cipher) + decryptor.finalize())
        if len(plain) < 20:
            raise DecryptError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise DecryptError("declared length exceeds plaintext")
        body, appid = plain[20 : 20 + length], plain[20 + length :]
        if appid.decode("utf-8", "replace") != self.appid:
            raise DecryptError("message is for another app id")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecryptError("plaintext is not UTF-8") from exc

    # -- whole messages --------------------------------------------------------------------
    def decrypt_message(
        self,
        body: bytes | str,
        msg_signature: str | None,
        timestamp: str | None,
        nonce: str | None,
        max_skew: float = 0,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        now: float | None = None,
    ) -> str:
        """Check `msg_signature` over the body's `Encrypt` and return the inner XML text."""
        check_timestamp(timestamp, max_skew, now)
        encrypt = parse_xml_fields(body, max_bytes).get("Encrypt", "")
        if not encrypt:
            raise DecryptError("no Encrypt element")
        parts = (self.token, timestamp or "", nonce or "", encrypt)
        if nonce is None or not signature_matches(parts, msg_signature):
            raise SignatureError("bad msg_signature")
        return self.decrypt(encrypt)

    def decrypt_echostr(
        self, echostr: str, msg_signature: str | None, timestamp: str | None, nonce: str | None
    ) -> str:
        """URL check signed with msg_signature and an encrypted echostr (WeCom style)."""
        if nonce is None or not signature_matches(
            (self.token, timestamp or "", nonce, echostr), msg_signature
        ):
            raise SignatureError("bad msg_signature")
        return self.decrypt(echostr)

    def encrypt_message(
        self,
        reply_xml: str,
        nonce: str,
        timestamp: str | None = None,
        random_prefix: bytes | None = None,
    ) -> str:
        """The safe-mode reply envelope for a plain reply XML."""
        ts = timestamp or str(int(time.time()))
        encrypt = self.encrypt(reply_xml, random_prefix)
        signature = compute_signature(self.token, ts, nonce, encrypt)
        return build_encrypted_envelope(encrypt, signature, ts, nonce)
