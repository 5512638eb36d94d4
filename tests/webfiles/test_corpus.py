"""Recall and false positives of the content checks (our YARA rules + behaviour analysis) on the real
ASP.NET corpus in ``../shared/data/aspnet-corpus`` (skipped on a fresh clone without it), and none on
real Exchange configuration files.

The corpus is split by content hash (file names are SHA-256 prefixes): the behaviour rules were
written from the ``dev`` half (first hex digit 0-7); the ``held-out`` half (8-f) is only counted, so
its figures are the better estimate for shells nobody here has seen. Targets (issue 14): recall
>= 95 % with our own rules alone, false positives <= 0.2 % of benign pages, on each half.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset


@cache
def _params() -> content.ContentParams:
    rs = build_ruleset([])
    return content.ContentParams(rs.serialized, 64 << 20, 30.0)


def _flags(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
    out = content.examine(t, content.DEEP, _params())
    return list(out.data.get("hits", [])), [s.reason for s in out.skipped]


def _half(name: str) -> str:
    return "dev" if name[:1].lower() in "01234567" else "held-out"


def _pages(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("LICENSE"))


@pytest.fixture(scope="module")
def corpus(shared_data: Path) -> Path:
    folder = shared_data / "aspnet-corpus"
    if not folder.is_dir():
        pytest.skip("needs ../shared/data/aspnet-corpus (the real ASP.NET corpus)")
    return folder


@pytest.mark.parametrize("part", ["dev", "held-out"])
def test_recall_on_real_webshells(corpus: Path, part: str) -> None:
    shells = [p for p in _pages(corpus / "webshells") if _half(p.name) == part]
    missed = [p.name for p in shells if not _flags(p)[0]]
    recall = 1 - len(missed) / len(shells)
    print(f"{part}: recall {len(shells) - len(missed)}/{len(shells)} ({100 * recall:.1f} %), missed {missed}")
    assert recall >= 0.95, missed


@pytest.mark.parametrize("part", ["dev", "held-out"])
def test_false_positives_on_real_benign_pages(corpus: Path, part: str) -> None:
    pages = [p for p in _pages(corpus / "benign") if _half(p.name) == part]
    flagged: dict[str, list[str]] = {}
    partial: list[str] = []
    for p in pages:
        hits, skipped = _flags(p)
        if hits:
            flagged[p.name] = [h.get("rule") or h.get("sink") or h["check"] for h in hits]
        if skipped:
            partial.append(p.name)
    print(f"{part}: flagged {len(flagged)}/{len(pages)} {flagged}")
    assert len(flagged) <= 0.002 * len(pages), flagged
    assert not partial  # every benign page analysed in full, within its time budget


def _configs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.config") if p.is_file())


def test_no_finding_on_real_exchange_configs(test_data: Path) -> None:
    configs = _configs(test_data / "exchange-iis-config")
    assert configs
    flagged = {p.name: _flags(p)[0] for p in configs if _flags(p)[0]}
    assert flagged == {}


def test_no_finding_on_shared_exchange_configs(shared_data: Path) -> None:
    configs = _configs(shared_data / "exchange-iis-config")
    if not configs:
        pytest.skip("needs ../shared/data/exchange-iis-config")
    flagged = {p.name: _flags(p)[0] for p in configs if _flags(p)[0]}
    assert flagged == {}
