"""Shared test fixtures: the path to ``../shared`` (real reference data) and small helpers.

Tests that read the larger real corpora in ``../shared`` take the ``shared``/``shared_data``
fixtures: on a fresh clone without that folder they are skipped with a message saying what is
missing. Data the project may ship (MIT/CC0) lives in ``tests/data`` instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Real files the project may ship (MIT/CC0), named with their licences in tests/data/README.md.
TEST_DATA = REPO / "tests" / "data"
SHARED_MISSING = (
    "needs the shared reference data: lay the project's shared/ folder beside the checkout "
    "(../shared/data) or set EXTRIAGE_SHARED to it"
)


def find_shared() -> Path | None:
    """``../shared`` beside the checkout (CI lays it there); EXTRIAGE_SHARED overrides."""
    env = os.environ.get("EXTRIAGE_SHARED")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared"]:
        if (candidate / "data").is_dir():
            return candidate
    return None


def shared_root() -> Path:
    """The shared folder, or skip the calling test with a message saying what to lay beside it."""
    found = find_shared()
    if found is None:
        pytest.skip(SHARED_MISSING)
    return found


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_root()


@pytest.fixture(scope="session")
def shared_data(shared: Path) -> Path:
    return shared / "data"


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The real MIT/CC0 files shipped in ``tests/data`` (always present)."""
    return TEST_DATA


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The run's own cache folder (compiled YARA rules, :mod:`extriage.cache`): tests never read
    entries an earlier run or the user's own scans left, nor write into the user's home. Subprocesses
    (the command line's tests) inherit it."""
    os.environ["EXTRIAGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("extriage-cache"))
