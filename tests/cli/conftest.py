"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest

import retail_synth.spark.session


@pytest.fixture
def no_spark(monkeypatch):
    """A case that reaches Spark fails at once instead of starting a JVM (bad input is refused before Spark starts)."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("Spark was started")

    monkeypatch.setattr(retail_synth.spark.session, "get_spark", refuse)
