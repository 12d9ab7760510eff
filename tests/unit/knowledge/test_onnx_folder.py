"""The onnx backend's folder contract, without a model: prompts, identity, clear errors."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.embed import OnnxEmbedder, make_embedder
from knowledge.errors import KnowledgeError
from knowledge.model_folder import MANIFEST_FILE
from knowledge.onnx_folder import E5_PROMPTS, read_prompts
from knowledge.settings import Settings


def test_prompts_come_from_the_manifest_with_e5_defaults(tmp_path: Path) -> None:
    assert read_prompts(tmp_path) == E5_PROMPTS  # no manifest
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"prompts": {"query": "q: "}}), encoding="utf-8")
    assert read_prompts(tmp_path) == {"query": "q: ", "passage": "passage: "}
    (tmp_path / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    assert read_prompts(tmp_path) == E5_PROMPTS
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(["a", "list"]), encoding="utf-8")
    assert read_prompts(tmp_path) == E5_PROMPTS


def test_settings_select_the_onnx_backend_and_its_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"KB_EMBED_BACKEND": "onnx", "KB_ONNX_MODEL_DIR": str(tmp_path / "e5")})
    embedder = make_embedder(settings)
    assert isinstance(embedder, OnnxEmbedder)
    # The model id names the folder, so an index built with it is tied to that model.
    assert embedder.model_id == "onnx:e5"
    assert Settings.from_env({"KB_ONNX_THREADS": "2"}).onnx_threads == 2


def test_a_missing_model_names_the_command_that_writes_it(tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), embed_backend="onnx", onnx_model_dir=tmp_path / "none")
    with pytest.raises(KnowledgeError, match="knowledge export-onnx"):
        make_embedder(settings).embed_queries(["科创中心在哪里？"])
