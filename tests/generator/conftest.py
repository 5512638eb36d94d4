"""Small generated servers shared by the generator tests (built once per session: a few hundred KB each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extriage.generator import GeneratedServer, generate

SMALL: dict[str, Any] = {"size": "600KB", "days": 6, "planter_modules": []}


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedServer]:
    root = tmp_path_factory.mktemp("gen")
    return {
        name: generate(root / name, scenario=name, seed=7, layout="kape", **SMALL)
        for name in ("clean", "proxylogon", "attempts", "scanner", "full")
    }


def log_files(g: GeneratedServer, pattern: str) -> list[Path]:
    return sorted(p for p in g.dest.rglob(pattern) if p.is_file())


def read_all(g: GeneratedServer, pattern: str) -> str:
    return "\n".join(p.read_bytes().decode("utf-8-sig") for p in log_files(g, pattern))
