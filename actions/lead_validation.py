"""What the contact form accepts: pure checks of each answer, no Rasa and no database.

Each function returns the value to store, or None when the answer is not acceptable (the form
then asks again). Text from the network is cleaned first (control characters, runs of spaces)
and capped, because it ends up in the officers' notification and in the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from knowledge.phrases import LEAD_CONSENT_CHOICES, LEAD_NEEDS

MAX_FIELD_CHARS = 100  # a company name or an industry, not a paragraph (the columns hold 200)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
# Mainland mobile numbers: 11 digits starting 13-19, optionally +86 / 0086 in front.
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
# A practical e-mail check (RFC 5322 is wider, but officers must be able to type it).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")
# WeChat's own rule for a WeChat ID: 6-20 characters, a letter first, then letters, digits, _ or -.
_WECHAT = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,19}")
_WECHAT_LABEL = re.compile(r"^(?:我的)?(?:微信号?|wechat(?:\s*id)?|wx|vx|weixin)\s*(?:是|为|[:：])?\s*", re.I)
_MOBILE_LABEL = re.compile(r"^(?:我的)?(?:手机号?码?|电话号?码?|mobile|phone|tel)\s*(?:是|为|[:：])?\s*", re.I)
_EMAIL_LABEL = re.compile(r"^(?:我的)?(?:邮箱|电子邮件|e-?mail)\s*(?:地址)?\s*(?:是|为|[:：])?\s*", re.I)

_NEED_WORDS: dict[str, tuple[str, ...]] = {
    "land": ("土地", "厂房", "用地", "工业用地", "标准厂房", "land", "factory", "plant", "site", "workshop"),
    "office": ("办公", "写字楼", "工位", "孵化器", "场地", "office", "desk", "space", "incubator"),
    "policy": ("政策", "补贴", "扶持", "奖励", "税收", "优惠", "资金", "policy", "policies", "subsid", "incentive",
               "tax", "grant", "funding"),
    "talent": ("人才", "招聘", "人员", "团队", "用工", "公寓", "talent", "hiring", "recruit", "staff", "people"),
}
_YES = ("同意", "我同意", "好的", "好", "可以", "行", "确认", "是", "是的", "嗯", "ok", "okay", "yes", "y",
        "i agree", "agree", "sure", "confirm", "fine")
_NO = ("不同意", "不", "不行", "不可以", "拒绝", "不要", "否", "no", "n", "nope", "i don't agree", "i do not agree",
       "don't agree", "disagree", "i disagree", "decline", "refuse")


# A park question typed while the form waits for an answer: answered, then the form goes on.
_ZH_QUESTION = re.compile(r"^(请问|想问|问一下|咨询一下)|[吗呢嘛][?？!！。.~]*$|什么|怎么|为什么|多少|如何|是否|有没有|能不能|哪些|哪里|在哪|哪儿")
_EN_QUESTION = re.compile(r"^(what|where|which|when|who|whom|whose|why|how|is|are|does|do|did|can|could|will|would|"
                          r"should|tell me|i want to know)\b", re.I)


def looks_like_question(text: object) -> bool:
    """Whether an answer to a form question is rather a question of its own."""
    line = clean_text(text, 500)
    if line is None:
        return False
    return line.endswith(("?", "？")) or bool(_ZH_QUESTION.search(line) or _EN_QUESTION.match(line))


@dataclass(frozen=True)
class Contact:
    value: str  # normalised: digits only for a mobile number, lower-case e-mail, the WeChat ID as typed
    kind: str  # mobile | email | wechat


def clean_text(text: object, limit: int = MAX_FIELD_CHARS) -> str | None:
    """One line of printable text of at most `limit` characters, or None if nothing is left or it
    is longer (an answer to a form question is a few words; a long one is likely a question)."""
    if not isinstance(text, str):
        return None
    line = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFKC", text)).split())
    if not line or len(line) > limit:
        return None
    return line


def parse_contact(text: object) -> Contact | None:
    """A mobile number, e-mail address or WeChat ID, with or without a label ("微信：abc123")."""
    line = clean_text(text, 120)
    if line is None:
        return None
    mobile = _MOBILE.fullmatch(re.sub(r"[\s()-]", "", _MOBILE_LABEL.sub("", line)))
    if mobile:
        return Contact(mobile.group(1), "mobile")
    email = _EMAIL_LABEL.sub("", line).strip()
    if _EMAIL.fullmatch(email) and ".." not in email:
        return Contact(email.lower(), "email")
    wechat_id = _WECHAT_LABEL.sub("", line).strip()
    if _WECHAT.fullmatch(wechat_id):
        return Contact(wechat_id, "wechat")
    return None


def parse_needs(text: object, lang: str) -> list[str] | None:
    """The needs named in `text` (land, office, policy, talent), in that order; None if none is."""
    line = clean_text(text, 200)
    if line is None:
        return None
    lowered = line.lower()
    labels = {value: [label.lower() for lg in LEAD_NEEDS for v, label in LEAD_NEEDS[lg] if v == value]
              for value, _ in LEAD_NEEDS["zh"]}
    found = [value for value, words in _NEED_WORDS.items()
             if any(word in lowered for word in (*words, *labels[value]))]
    return found or None


def parse_consent(text: object) -> bool | None:
    """True for an explicit yes, False for a no, None for anything else (asked again)."""
    line = clean_text(text, 40)
    if line is None:
        return None
    answer = line.lower().strip(" .!。！,，~")
    if answer in _NO or answer in (c[1].lower() for c in LEAD_CONSENT_CHOICES.values()):
        return False
    if answer in _YES or answer in (c[0].lower() for c in LEAD_CONSENT_CHOICES.values()):
        return True
    return None
