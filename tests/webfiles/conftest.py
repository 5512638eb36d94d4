"""Fixtures of the web file tests."""

from __future__ import annotations

import pytest

from extriage.detections.webfiles import content

from .rule_tables import shipped_params


@pytest.fixture(scope="module")
def params() -> content.ContentParams:
    """Content parameters with the shipped YARA rules (a module that needs others defines its own)."""
    return shipped_params()
