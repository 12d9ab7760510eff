"""Everything the bot says in its own words, in Chinese and English.

Kept in Python rather than in the Rasa domain because the actions pick the
language per message (Rasa's response conditions only see slots set before the
action runs), and one place for each text keeps both languages side by side.
Topic buttons carry real questions that the articles answer, so a click is
handled exactly like a typed question. Nothing here names a particular park or
article: the park's name comes from configuration (`{park}`, BOT_PARK_NAME_ZH /
BOT_PARK_NAME_EN in actions/settings.py), and the topics and examples are questions
any park's articles answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actions.settings import DEFAULT_PARK_NAMES


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()

    def message(self) -> dict[str, Any]:
        """Keyword arguments for `dispatcher.utter_message`."""
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
        }


TOPIC_BUTTONS: dict[str, tuple[Button, ...]] = {
    "zh": (
        Button("政策", "园区有哪些扶持企业的政策？"),
        Button("平台", "园区搭建了哪些科技创新平台？"),
        Button("园区布局", "园区由哪几大板块组成？"),
        Button("产业", "园区重点发展哪些产业？"),
    ),
    "en": (
        Button("Policies", "What policies support companies in the park?"),
        Button("Platforms", "What innovation platforms has the park built?"),
        Button("Layout", "What are the main parts of the park?"),
        Button("Industries", "Which industries does the park focus on?"),
    ),
}

_TEXTS: dict[str, dict[str, str]] = {
    "greet": {
        "zh": "您好！我是{park}的招商问答助手，根据园区发布的文章回答关于"
        "政策、平台、园区布局、产业和项目的问题，并注明出处。您想了解什么？",
        "en": "Hello! I'm the investment assistant of {park}. I answer investors' questions "
        "from the park's published articles, with their source: policies, platforms, layout, "
        "industries and projects. What would you like to know?",
    },
    # The examples are topic-button questions, which the articles are tested to answer.
    "help": {
        "zh": "您可以直接用中文或英文提问，例如“园区重点发展哪些产业？”“园区有哪些扶持企业的政策？”。"
        "我只根据园区发布的文章作答并注明出处；文章里没有的内容我会如实告诉您。"
        "也可以点下面的话题：",
        "en": 'Ask in English or Chinese, for example "Which industries does the park focus '
        'on?" or "What policies support companies in the park?". I answer only from '
        "the park's published articles and cite them; if the articles don't say, I tell "
        "you so. Or pick a topic:",
    },
    "goodbye": {
        "zh": "再见！欢迎随时回来咨询园区的情况。",
        "en": "Goodbye! Come back any time with more questions about the park.",
    },
    "thanks": {
        "zh": "不客气！还有其他关于园区的问题吗？",
        "en": "You're welcome! Anything else you'd like to know about the park?",
    },
    "bot_challenge": {
        "zh": "我是自动问答机器人，不是真人。我的回答都摘自园区发布的文章，并注明出处。",
        "en": "I'm an automated assistant, not a person. My answers are quoted from the "
        "park's published articles, with their source.",
    },
    "not_grounded": {
        "zh": "抱歉，园区发布的文章里没有找到这个问题的答案，我不想凭空编造。"
        "您可以换个问法，或者看看这些话题：",
        "en": "Sorry, the park's published articles don't answer that, and I won't make "
        "something up. Try asking another way, or pick a topic:",
    },
    "out_of_scope": {
        "zh": "抱歉，我只能根据园区发布的文章回答关于{park}的问题，"
        "这个问题我帮不上忙。您可以问问这些：",
        "en": "Sorry, I can only answer questions about {park}, from its published articles, "
        "so I can't help with that. You could ask about:",
    },
    "too_long": {
        "zh": "抱歉，您的问题太长了（超过 {limit} 个字），请精简到 {limit} 个字以内再问。",
        "en": "Sorry, your question is too long (over {limit} characters). Please shorten it "
        "to {limit} characters or fewer and ask again.",
    },
    "unavailable": {
        "zh": "抱歉，知识库暂时无法使用，请稍后再试。",
        "en": "Sorry, the knowledge base is unavailable right now. Please try again later.",
    },
}

# Replies that offer the topic buttons.
_WITH_BUTTONS = frozenset({"greet", "help", "not_grounded", "out_of_scope"})

KEYS = frozenset(_TEXTS)


def reply(key: str, lang: str, park: str | None = None, **values: object) -> Reply:
    """The reply `key` in `lang` ("zh" or "en"; anything else falls back to Chinese).

    `park` names the park (default: a neutral "本园区" / "the park"); `values` fill the
    other placeholders of a text (`limit` for "too_long").
    """
    texts = _TEXTS[key]
    lang = lang if lang in texts else "zh"
    buttons = TOPIC_BUTTONS[lang] if key in _WITH_BUTTONS else ()
    # Values are inserted, never parsed: braces in a configured name are harmless.
    text = texts[lang].format(park=park or DEFAULT_PARK_NAMES[lang], **values)
    return Reply(text, buttons)
