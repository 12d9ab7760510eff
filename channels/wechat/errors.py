"""Errors raised by the WeChat protocol code; the adapter maps each to one HTTP status."""

from __future__ import annotations


class WeChatError(Exception):
    """Base class: a request that must not reach the bot."""

    status = 400


class SignatureError(WeChatError):
    """`signature` / `msg_signature` does not match, or a timestamp is outside the window."""

    status = 403


class MalformedMessageError(WeChatError):
    """The body is not a well-formed, safe WeChat XML message."""

    status = 400


class PayloadTooLargeError(WeChatError):
    """The body is larger than the configured cap."""

    status = 413


class DecryptError(WeChatError):
    """An encrypted message could not be decrypted, or was meant for another app id."""

    status = 400
