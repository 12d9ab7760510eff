"""Everything the bot says in its own words, in Chinese and English, and which of the two to say.

One module for the action server (greeting, refusals, topic buttons) and the channels (too
long, slow down, no reply, ...), so that each message has one wording whoever sends it. It
lives in the `knowledge` package because both venvs import that package (the action server
for retrieval, the Rasa server's channels for this module) and because the language rule is
the library's own (`knowledge.text.detect_lang`, which frames the answers). Pure: it imports
nothing but `knowledge.text` and `knowledge.settings`, never numpy, rasa or rasa_sdk.

Kept in Python rather than in the Rasa domain because the actions pick the language per
message (Rasa's response conditions only see slots set before the action runs). Topic buttons
carry real questions that the articles answer, so a click is handled exactly like a typed
question. Nothing here names a particular park or article: the park's name comes from
configuration (`{park}`; BOT_PARK_NAME_ZH / BOT_PARK_NAME_EN in actions/settings.py), and the
topics and examples are questions any park's articles answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.settings import DEFAULT_PARK_NAMES
from knowledge.text import detect_lang as _text_lang
from knowledge.text import has_cjk

SUPPORTED = ("zh", "en")


_LATIN = re.compile(r"[A-Za-z]")
_SCAN_CHARS = 1000  # the start of a message tells its language; a huge one is not scanned whole


def detect_lang(text: str | None, default: str | None = "zh") -> str:
    """'zh' or 'en' by the knowledge library's rule; `default` (else 'zh') when the text has
    neither Chinese nor Latin letters (emoji, digits), so such a message keeps the previous
    language."""
    text = (text or "")[:_SCAN_CHARS]
    if not (has_cjk(text) or _LATIN.search(text)):
        return default if default in SUPPORTED else "zh"
    return _text_lang(text)


@dataclass(frozen=True)
class Button:
    """A quick reply: its title is shown, its payload is sent as the user's next message."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()

    def message(self) -> dict[str, Any]:
        """Keyword arguments for rasa_sdk's `dispatcher.utter_message`."""
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
    # -- the action server's replies
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
    # After an answer, for the questions of the message it leaves unanswered.
    "part_unanswered": {
        "zh": "（文章没有直接回答：{parts}）",
        "en": "(The articles do not answer directly: {parts})",
    },
    # After an answer quoting an article older than KB_STALE_AFTER_DAYS.
    "stale": {
        "zh": "（该文发布于{date}，内容可能已有变化。）",
        "en": "(That article was published on {date}; details may have changed since.)",
    },
    "unavailable": {
        "zh": "抱歉，知识库暂时无法使用，请稍后再试。",
        "en": "Sorry, the knowledge base is unavailable right now. Please try again later.",
    },
    # -- said by the action server (the library's limit) and the channels (BOT_MAX_MESSAGE_CHARS)
    "too_long": {
        "zh": "抱歉，您的问题太长了（超过 {limit} 个字），请精简到 {limit} 个字以内再问。",
        "en": "Sorry, your question is too long (over {limit} characters). Please shorten it "
        "to {limit} characters or fewer and ask again.",
    },
    # -- the channels' own texts
    "empty": {
        "zh": "请输入您想了解的问题。",
        "en": "Please type your question.",
    },
    # Rasa gave no reply (action server down, too slow, a crash) or the channel failed.
    "no_reply": {
        "zh": "抱歉，我暂时无法回答，请稍后再试。",
        "en": "Sorry, I can't answer right now. Please try again in a moment.",
    },
    # The bot replied with nothing a text channel can show.
    "no_answer": {
        "zh": "抱歉，暂时无法回答这个问题，请换个说法试试。",
        "en": "Sorry, I cannot answer that right now. Please try rephrasing.",
    },
    "slow_down": {
        "zh": "您发消息太快了，请等 {seconds} 秒再问。",
        "en": "You're sending messages too quickly. Please wait {seconds} seconds and ask again.",
    },
    # Said in both languages (`both`): nothing in the message tells its language.
    "malformed": {
        "zh": "抱歉，消息格式不正确，请重新发送。",
        "en": "Sorry, that message was malformed; please send it again.",
    },
    # A WeChat voice message without WeChat's transcript (recognition off, or nothing heard).
    "voice_unrecognised": {
        "zh": "抱歉，没能听清这条语音，请用文字输入您的问题。",
        "en": "Sorry, I couldn't make out that voice message. Please type your question.",
    },
    "text_only": {
        "zh": "抱歉，目前只能理解文字消息，请用文字提问。",
        "en": "Sorry, I can only read text messages.",
    },
    # Related questions (knowledge/suggest.py): questions the articles answer, as buttons.
    "did_you_mean": {"zh": "您是不是想问：", "en": "Did you mean:"},
    # -- contact capture (actions/lead_form.py): asked one at a time, cancellable at any step
    "lead_offer": {
        "zh": "如果您想进一步洽谈、了解落地条件或来园区考察，我可以请{park}的招商人员与您联系。",
        "en": "If you'd like to discuss further, check what it takes to set up here or visit, "
        "I can ask the officers of {park} to contact you.",
    },
    "lead_offer_button": {"zh": "请招商人员联系我", "en": "Have an officer contact me"},
    "lead_start": {
        "zh": "好的，我来帮您对接{park}的招商人员，只需几个问题（随时回复“算了”可取消）。",
        "en": "Sure, I'll put you in touch with the officers of {park}: just a few questions "
        '(say "cancel" at any time to stop).',
    },
    "lead_resume": {
        "zh": "我们接着上次的登记继续（回复“算了”可取消）。",
        "en": "Let's continue where we left off (say \"cancel\" to stop).",
    },
    "lead_ask_company": {"zh": "请问您的公司（或项目）名称是？", "en": "What is the name of your company (or project)?"},
    "lead_ask_industry": {"zh": "贵公司所在的行业或主营业务是？", "en": "Which industry is your company in, or what does it make?"},
    "lead_ask_needs": {
        "zh": "您主要需要哪方面的支持？可多选，例如“土地和政策”：",
        "en": 'What do you need most? Several are fine, e.g. "office and talent":',
    },
    "lead_ask_contact": {
        "zh": "招商人员怎样联系您？请留下手机号、邮箱或微信号。",
        "en": "How can an officer reach you? Please leave a mobile number, an e-mail address or a WeChat ID.",
    },
    "lead_ask_time": {"zh": "您方便联系的时间是？", "en": "When is a good time to contact you?"},
    "lead_ask_consent": {
        "zh": "请确认：{consent}",
        "en": "Please confirm: {consent}",
    },
    # The sentence the investor agrees to; stored with the lead, word for word.
    "lead_consent": {
        "zh": "我同意{park}保存以上信息（公司、行业、需求、联系方式、方便的时间和我在本次对话中提的问题），"
        "仅用于招商人员与我联系，我可以随时要求删除。",
        "en": "I agree that {park} keeps the details above (company, industry, needs, contact, preferred time "
        "and the questions I asked in this conversation) only so that its officers can contact me, "
        "and that I can ask for them to be deleted at any time.",
    },
    "lead_invalid_text": {
        "zh": "抱歉，没看明白，请用一两句话回答（不超过 {limit} 个字）。",
        "en": "Sorry, I didn't get that. Please answer in a few words (at most {limit} characters).",
    },
    "lead_invalid_needs": {
        "zh": "请从土地厂房、办公空间、政策、人才中选择（可多选），或点下面的选项：",
        "en": "Please choose from land, office space, policy and talent (several are fine), or pick an option:",
    },
    "lead_invalid_contact": {
        "zh": "这看起来不像有效的手机号、邮箱或微信号，请再输入一次（例如 13812345678 或 name@example.com）。",
        "en": "That doesn't look like a valid mobile number, e-mail address or WeChat ID. Please try again "
        "(e.g. +86 138 1234 5678 or name@example.com).",
    },
    "lead_invalid_consent": {
        "zh": "请回复“同意”或“不同意”。",
        "en": 'Please answer "I agree" or "I don\'t agree".',
    },
    "lead_consent_refused": {
        "zh": "好的，没有您的同意我们不会保存任何信息，刚才填写的内容已清除。您可以继续向我提问。",
        "en": "Understood: without your consent nothing is kept, and what you entered has been cleared. "
        "Feel free to keep asking questions.",
    },
    "lead_cancelled": {
        "zh": "好的，已暂停登记，没有保存任何信息。想继续时说“联系招商”即可。",
        "en": 'OK, I\'ve stopped; nothing has been saved. Say "contact an officer" whenever you want to continue.',
    },
    "cancelled_nothing": {
        "zh": "好的。还有其他关于园区的问题吗？",
        "en": "OK. Anything else you'd like to know about the park?",
    },
    "lead_saved": {
        "zh": "谢谢！您的信息已登记（编号 {number}）。{park}的招商人员会在您方便的时间（{time}）"
        "通过{via}与您联系。在此之前，您可以继续问我关于园区的问题。",
        "en": "Thank you! Your details are registered (reference {number}). An officer of {park} will contact "
        "you by {via} at the time you prefer ({time}). Meanwhile, feel free to keep asking about the park.",
    },
    "lead_save_failed": {
        "zh": "抱歉，系统暂时无法保存您的信息，请稍后回复“联系招商”再试一次。",
        "en": 'Sorry, your details could not be saved just now. Please say "contact an officer" again in a moment.',
    },
}

# Choices of the contact form: (stored value, label) per language, shown as buttons whose payload
# is the label, so a click, a typed label and WeChat's numbered reply are the same text.
LEAD_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "zh": (("land", "土地厂房"), ("office", "办公空间"), ("policy", "政策"), ("talent", "人才")),
    "en": (("land", "Land / factory"), ("office", "Office space"), ("policy", "Policy"), ("talent", "Talent")),
}
LEAD_TIMES: dict[str, tuple[str, ...]] = {
    "zh": ("工作日上午", "工作日下午", "随时都可以"),
    "en": ("Weekday mornings", "Weekday afternoons", "Any time"),
}
LEAD_CONSENT_CHOICES: dict[str, tuple[str, str]] = {"zh": ("同意", "不同意"), "en": ("I agree", "I don't agree")}
CONTACT_KINDS: dict[str, dict[str, str]] = {
    "zh": {"mobile": "电话", "email": "邮件", "wechat": "微信"},
    "en": {"mobile": "phone", "email": "e-mail", "wechat": "WeChat"},
}

# Replies that offer the topic buttons.
_WITH_BUTTONS = frozenset({"greet", "help", "not_grounded", "out_of_scope"})

KEYS = frozenset(_TEXTS)


def phrase(key: str, lang: str, park: str | None = None, **values: object) -> str:
    """The text `key` in `lang` ("zh" or "en"; anything else falls back to Chinese).

    `park` names the park (default: a neutral "本园区" / "the park"); `values` fill the other
    placeholders (`limit` for "too_long", `seconds` for "slow_down").
    """
    texts = _TEXTS[key]
    lang = lang if lang in texts else "zh"
    # Values are inserted, never parsed: braces in a configured name are harmless.
    return texts[lang].format(park=park or DEFAULT_PARK_NAMES[lang], **values)


_QUOTED_CHARS = 40  # of each unanswered question repeated: enough to recognise it, short for WeChat
# The widget renders bot text as light Markdown: a user's brackets and stars quoted back stay text.
_MARKUP = str.maketrans({"[": "［", "]": "］", "*": "＊", "\n": " "})


def unanswered_note(parts: Sequence[str], lang: str) -> str:
    """What an answer adds for the questions of the message it does not answer ("" for none)."""
    if not parts:
        return ""
    short = [p if len(p) <= _QUOTED_CHARS else p[:_QUOTED_CHARS] + "…" for p in (q.strip() for q in parts)]
    quoted = ("；" if lang == "zh" else "; ").join(f"“{p.translate(_MARKUP)}”" for p in short)
    return ("" if lang == "zh" else " ") + phrase("part_unanswered", lang, parts=quoted)


def answer_notes(lang: str, unanswered: Sequence[str] = (), published: str = "") -> str:
    """What follows an answer's text: when its article was published, if that is long ago
    (`published`), then the questions of the message it leaves unanswered."""
    stale = (("" if lang == "zh" else " ") + phrase("stale", lang, date=published)) if published else ""
    return stale + unanswered_note(unanswered, lang)


def reply(key: str, lang: str, park: str | None = None, **values: object) -> Reply:
    """The text `key` with the topic buttons when it offers them."""
    lang = lang if lang in SUPPORTED else "zh"
    buttons = TOPIC_BUTTONS[lang] if key in _WITH_BUTTONS else ()
    return Reply(phrase(key, lang, park, **values), buttons)


def both(key: str) -> str:
    """The text `key` in Chinese, then English, for messages whose language is unknown."""
    return phrase(key, "zh") + "\n" + phrase(key, "en")
