import numpy as np

from knowledge.ranking import NORM_SAMPLE, cosine_baseline


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def test_the_sentence_a_question_was_made_from_stands_out_of_its_crowd():
    rng = np.random.default_rng(0)
    sentences = _unit(rng.normal(size=(300, 16)).astype(np.float32))
    question = _unit(sentences[0] + 0.3 * _unit(rng.normal(size=16).astype(np.float32)))
    mean, spread = cosine_baseline(sentences, question)
    cosines = sentences @ question
    assert np.isclose(mean, cosines.mean(), atol=1e-5) and np.isclose(spread, cosines.std(), atol=1e-5)
    assert (cosines[0] - mean) / spread > 3


def test_a_large_build_is_measured_on_an_even_sample():
    rng = np.random.default_rng(1)
    sentences = _unit(rng.normal(size=(NORM_SAMPLE * 5, 16)).astype(np.float32))
    question = _unit(rng.normal(size=16).astype(np.float32))
    mean, spread = cosine_baseline(sentences, question)
    full = sentences @ question
    assert abs(mean - full.mean()) < 0.01 and abs(spread - full.std()) / full.std() < 0.05


def test_a_build_too_small_to_measure_a_spread_changes_nothing():
    one = _unit(np.ones((1, 4), dtype=np.float32))
    assert cosine_baseline(one, one[0]) == (0.0, 1.0)
