import logging

import pytest

from actions.knowledge_provider import KnowledgeProvider
from knowledge.errors import IndexNotReadyError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_service_is_created_once() -> None:
    created: list[object] = []

    def factory() -> object:
        created.append(object())
        return created[-1]

    provider = KnowledgeProvider(factory)
    assert provider.get() is provider.get() is created[0]
    assert len(created) == 1


def test_missing_index_is_logged_with_the_fix_and_retried_later(caplog) -> None:
    clock = Clock()
    attempts: list[float] = []
    service = object()

    def factory() -> object:
        attempts.append(clock.now)
        if len(attempts) == 1:
            raise IndexNotReadyError("no index in var/index: run `knowledge build`")
        return service

    provider = KnowledgeProvider(factory, retry_seconds=5, clock=clock)
    with caplog.at_level(logging.ERROR):
        assert provider.get() is None
    assert "knowledge build" in caplog.text
    clock.now = 1.0
    assert provider.get() is None  # too soon: no new attempt
    assert attempts == [0.0]
    clock.now = 6.0
    assert provider.get() is service


def test_unexpected_errors_do_not_escape(caplog) -> None:
    def factory() -> object:
        raise RuntimeError("disk on fire")

    with caplog.at_level(logging.ERROR):
        assert KnowledgeProvider(factory).get() is None
    assert "disk on fire" in caplog.text


def _service_factory() -> object:
    return {"a loaded": "service"}


def _index_present() -> None:
    return None


def test_pickled_provider_leaves_the_service_behind_and_reloads_it_in_the_new_process() -> None:
    import pickle

    provider = KnowledgeProvider(_service_factory, preflight=_index_present)
    assert provider.get() is not None
    clone = pickle.loads(pickle.dumps(provider))  # what rasa-sdk does for its worker
    assert clone.get() == {"a loaded": "service"}
    assert clone.get() is not provider.get()


def test_start_up_check_refuses_a_missing_index_and_names_the_fix(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "nothing"))
    with caplog.at_level(logging.CRITICAL), pytest.raises(SystemExit) as stop:
        KnowledgeProvider(_service_factory).check()  # the real start-up check
    assert stop.value.code == 1
    assert "cannot start" in caplog.text
    assert "knowledge build" in caplog.text
    assert str(tmp_path / "nothing") in caplog.text


def test_start_up_check_names_the_fix_for_unexpected_errors_too(caplog) -> None:
    def broken() -> None:
        raise RuntimeError("bad magic number")

    with caplog.at_level(logging.CRITICAL), pytest.raises(SystemExit):
        KnowledgeProvider(_service_factory, preflight=broken).check()
    assert "bad magic number: run `knowledge build`" in caplog.text


def test_start_up_check_passes_a_usable_index() -> None:
    KnowledgeProvider(_service_factory, preflight=_index_present).check()  # no SystemExit
