"""WeChat official-account (公众号) connector.

The protocol modules (signature, xmlmsg, crypto, text, formatting, cache, token, service) are
pure Python with no Rasa import, so they run and are tested in the project's main venv. Only
`channel.py` imports Rasa; Rasa loads it from `credentials.yml` as `channels.wechat.WeChatInput`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WeChatInput"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import channels.wechat.crypto` never drags Rasa in (the main venv has none).
    if name == "WeChatInput":
        from channels.wechat.channel import WeChatInput

        return WeChatInput
    raise AttributeError(name)
