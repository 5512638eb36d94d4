"""Shared test fixtures: the path to ``../shared`` (real reference data) and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_root() -> Path:
    """``../shared`` beside the checkout (CI lays it there); EXTRIAGE_SHARED overrides."""
    env = os.environ.get("EXTRIAGE_SHARED")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared", Path("/work/shared")]:
        if (candidate / "data").is_dir():
            return candidate
    raise RuntimeError("the shared reference folder (../shared) is missing; tests need its real data files")


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_root()


@pytest.fixture(scope="session")
def shared_data(shared: Path) -> Path:
    return shared / "data"
