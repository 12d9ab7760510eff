"""The connector's own short texts (not bot answers), in the user's language."""

from __future__ import annotations

TEXT_ONLY = "抱歉，目前只能理解文字消息，请用文字提问。\nSorry, I can only read text messages."

_TEXTS: dict[str, dict[str, str]] = {
    "too_long": {
        "zh": "您的问题有点长（超过 {limit} 字），请精简后再问一次。",
        "en": ("Your question is a bit long (over {limit} characters); please shorten it and ask again."),
    },
    "empty": {
        "zh": "请输入您想咨询的问题。",
        "en": "Please type your question.",
    },
    "busy": {
        "zh": "抱歉，系统暂时繁忙，请稍后再试。",
        "en": "Sorry, the service is busy right now. Please try again later.",
    },
    "no_answer": {
        "zh": "抱歉，暂时无法回答这个问题，请换个说法试试。",
        "en": "Sorry, I cannot answer that right now. Please try rephrasing.",
    },
}


def polite(kind: str, lang: str, **values: object) -> str:
    texts = _TEXTS[kind]
    return texts.get(lang, texts["zh"]).format(**values)
