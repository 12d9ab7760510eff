"""Fitting replies into 2048 UTF-8 bytes at sentence boundaries."""

from __future__ import annotations

import pytest

from channels.wechat.text import (
    ELLIPSIS,
    MAX_REPLY_BYTES,
    compose,
    cut_bytes,
    shorten,
    split_chunks,
    split_sentences,
    utf8_len,
)

ZH = "科创中心位于大学城核心区。园区占地约 3.5 公顷！是否提供人才公寓？提供。"
LONG_ZH = "这是一个关于园区政策的较长句子，用来测试长度限制。" * 120  # ~8.6 KB


def test_sentences_keep_their_punctuation_and_rejoin_exactly() -> None:
    parts = split_sentences(ZH + "\nIt is big. Is it? Yes!")
    assert "".join(parts) == ZH + "\nIt is big. Is it? Yes!"
    assert parts[0] == "科创中心位于大学城核心区。"
    assert parts[1] == "园区占地约 3.5 公顷！"  # "3.5" is not a sentence end


@pytest.mark.parametrize("limit", [10, 11, 12, 100, 2048])
def test_cut_bytes_never_splits_a_character(limit: int) -> None:
    cut = cut_bytes("科创中心🚀abc" * 50, limit)
    assert utf8_len(cut) <= limit
    assert ("科创中心🚀abc" * 50).startswith(cut)


def test_short_text_is_unchanged() -> None:
    assert shorten(ZH) == ZH


def test_long_text_is_cut_at_a_sentence_end() -> None:
    out = shorten(LONG_ZH)
    assert utf8_len(out) <= MAX_REPLY_BYTES
    assert out.endswith("。" + ELLIPSIS)
    assert LONG_ZH.startswith(out[: -len(ELLIPSIS)])
    assert utf8_len(out) > MAX_REPLY_BYTES - 100  # uses the room it has


def test_one_huge_sentence_is_cut_at_a_character_boundary() -> None:
    out = shorten("啊" * 5000, 100)
    assert utf8_len(out) <= 100
    assert out.endswith(ELLIPSIS)
    assert set(out[:-1]) == {"啊"}


def test_chunks_cover_the_text_within_the_limit() -> None:
    text = LONG_ZH + "X" * 3000
    chunks = split_chunks(text, 2048)
    assert all(0 < utf8_len(c) <= 2048 for c in chunks)
    assert "".join(chunks) == text
    assert chunks[0].endswith("。")


def test_compose_keeps_footer_and_fits() -> None:
    footer = ["来源：《园区介绍》交通", "回复数字：\n1. 政策\n2. 平台"]
    out = compose(LONG_ZH, footer)
    assert utf8_len(out) <= MAX_REPLY_BYTES
    assert out.endswith("来源：《园区介绍》交通\n回复数字：\n1. 政策\n2. 平台")
    assert compose("答案。", footer) == "答案。\n\n" + "\n".join(footer)
    assert compose("", ["来源：x"]) == "来源：x"
    assert compose("答案。", ["", ""]) == "答案。"


def test_compose_with_a_huge_footer_still_fits() -> None:
    out = compose("答案。", ["来源：" + "很长" * 2000])
    assert utf8_len(out) <= MAX_REPLY_BYTES
