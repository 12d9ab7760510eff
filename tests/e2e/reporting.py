"""Printing figures from e2e tests past pytest's output capture (the figures are the point of the run)."""

from __future__ import annotations

import contextlib

import pytest


def report(request: pytest.FixtureRequest, lines: list[str]) -> None:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in lines:
            reporter.write_line(line)
