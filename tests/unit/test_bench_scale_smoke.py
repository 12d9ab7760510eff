"""scripts/bench_scale.py: the synthetic embeddings, the exact search it trusts, and a tiny full run."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_scale.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    return module


bench = _load_script()


def anisotropic(rng: np.random.Generator, n: int, dim: int, spread: float) -> np.ndarray:
    """Unit vectors around a common direction, as e5's are (random pairs have a high cosine)."""
    direction = np.ones(dim) / np.sqrt(dim)
    return bench.normalise(direction + spread * rng.standard_normal((n, dim)))


@pytest.fixture
def real_files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(3)
    passages, queries = tmp_path / "real.npy", tmp_path / "queries.npy"
    np.save(passages, anisotropic(rng, 60, 32, 0.08))
    np.save(queries, anisotropic(rng, 15, 32, 0.1))
    return passages, queries


def test_synthetic_corpus_keeps_the_similarity_of_the_real_vectors():
    rng = np.random.default_rng(0)
    real = anisotropic(rng, 80, 48, 0.1)
    space = bench.fit_space(real)
    assert 0.0 < space.shrinkage <= 1.0
    synthetic = bench.synthetic_corpus(space, 5000, rng, within=0.3, topic_size=200)
    assert synthetic.shape == (5000, 48) and synthetic.dtype == np.float32
    assert np.allclose(np.linalg.norm(synthetic, axis=1), 1.0, atol=1e-5)
    real_mean = bench.pair_cosines(real, rng).mean()
    assert abs(bench.pair_cosines(synthetic, rng).mean() - real_mean) < 0.03
    assert bench.pair_cosines(real, rng).mean() > 0.5  # the check above is not trivially about ~0


def test_queries_stay_close_to_their_real_source_but_are_not_copies():
    rng = np.random.default_rng(1)
    real = anisotropic(rng, 50, 32, 0.1)
    space = bench.fit_space(real)
    queries = bench.synthetic_queries(space, real[:5], 40, rng, noise=1.0)
    best = (queries @ real[:5].T).max(axis=1)
    assert np.all(best > 0.8) and np.all(best < 0.9999)


def test_fit_space_rejects_too_few_or_broken_vectors():
    with pytest.raises(ValueError):
        bench.fit_space(np.ones((1, 8), dtype=np.float32))
    with pytest.raises(ValueError):
        bench.fit_space(np.full((5, 8), np.nan, dtype=np.float32))


def test_exact_top_k_matches_brute_force_across_blocks(monkeypatch):
    monkeypatch.setattr(bench, "GEN_CHUNK", 64)  # force several blocks and merges
    rng = np.random.default_rng(2)
    base = bench.normalise(rng.standard_normal((1000, 16)))
    queries = bench.normalise(rng.standard_normal((7, 16)))
    scores, ids = bench.exact_top_k(base, queries, 10)
    truth = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    assert ids.tolist() == truth.tolist()
    assert np.all(np.diff(scores, axis=1) <= 0)
    assert bench.recall_at_k(base, queries, scores[:, -1], list(ids), 10) == 1.0
    wrong = [row[::-1] + 1 for row in truth]  # other passages: recall must drop
    assert bench.recall_at_k(base, queries, scores[:, -1], wrong, 10) < 1.0


def test_size_lists_accept_suffixes_and_reject_nonsense():
    assert bench.int_list("10k,100k,1M,2500") == [10_000, 100_000, 1_000_000, 2500]
    for bad in ("", "abc", "0", "-5"):
        with pytest.raises(argparse.ArgumentTypeError, match=r"number|positive|at least"):
            bench.int_list(bad)


def test_the_command_line_refuses_unknown_types_clearly(real_files):
    passages, queries = real_files
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--types",
            "flat,annoy",
            "--real-vectors",
            str(passages),
            "--real-queries",
            str(queries),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown index type" in done.stderr and "annoy" in done.stderr


def test_missing_vectors_file_is_a_clear_error(tmp_path: Path, real_files):
    _, queries = real_files
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--sizes",
            "500",
            "--types",
            "flat",
            "--real-vectors",
            str(tmp_path / "nope.npy"),
            "--real-queries",
            str(queries),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "cannot read vectors" in done.stderr and "Traceback" not in done.stderr


def test_small_run_writes_table_and_json(tmp_path: Path, real_files):
    passages, queries = real_files
    out = tmp_path / "bench"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--sizes",
            "2000",
            "--types",
            "flat,hnsw,ivf",
            "--queries",
            "20",
            "--real-vectors",
            str(passages),
            "--real-queries",
            str(queries),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "| size | index |" in done.stdout and "recall@10" in done.stdout

    report = json.loads((out / "scale.json").read_text(encoding="utf-8"))
    assert (out / "scale.md").read_text(encoding="utf-8").startswith("# Vector index at scale")
    assert set(report) >= {"config", "machine", "similarity", "results", "best", "bm25"}
    assert report["similarity"]["dim"] == 32
    assert {"mean", "p99"} <= set(report["similarity"]["real_pairs"])
    results = report["results"]
    assert {r["index"] for r in results} == {"flat", "hnsw M=32", "ivf-flat"}
    assert all(r["size"] == 2000 and r["error"] is None for r in results)
    for r in results:
        assert r["p50_ms"] > 0 and r["p95_ms"] >= r["p50_ms"]
        assert 0.0 <= r["recall_at_10"] <= 1.0 and r["file_mb"] > 0
    flat = [r for r in results if r["index"] == "flat"]
    assert len(flat) == 2 and all(r["recall_at_10"] == 1.0 for r in flat)
    assert {r["search_params"].get("ef_search") for r in results if r["index"] == "hnsw M=32"} == {
        32,
        64,
        128,
        256,
        512,
    }
    assert {r["search_params"].get("nprobe") for r in results if r["index"] == "ivf-flat"} == {
        16,
        32,
        64,
        128,
        256,
    }
    # the IVF list count shown is the one the product derives for 2,000 vectors, not the 0 default
    from knowledge.dense import ivf_nlist_for

    ivf = [r for r in results if r["index"] == "ivf-flat"]
    assert all(r["build_params"]["nlist"] == ivf_nlist_for(2000) for r in ivf)
    # exact search beats or equals every approximate setting
    assert max(r["recall_at_10"] for r in results) == 1.0


def test_real_corpus_mode_measures_the_given_vectors(tmp_path: Path):
    rng = np.random.default_rng(4)
    corpus, queries = tmp_path / "corpus.npy", tmp_path / "q.npy"
    np.save(corpus, anisotropic(rng, 700, 16, 0.2))
    np.save(queries, anisotropic(rng, 12, 16, 0.2))
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--types",
            "flat,hnsw",
            "--ef-search",
            "16",
            "--corpus-vectors",
            str(corpus),
            "--corpus-queries",
            str(queries),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "scale.json").read_text(encoding="utf-8"))
    assert report["config"]["sizes"] == [700] and report["config"]["queries"] == 12
    assert {r["size"] for r in report["results"]} == {700}
    assert all(r["recall_at_10"] == 1.0 for r in report["results"] if r["index"] == "flat")
