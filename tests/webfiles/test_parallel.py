"""The worker pool (forked workers given index ranges) finds exactly what one process finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.findings import ScanResult
from extriage.generator.api import generate
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import webfiles as stage


def _scan(path: Path, jobs: int) -> ScanResult:
    return run_scan(str(path), ScanOptions(jobs=jobs), stages=list(stage.STAGES))


def _summary(result: ScanResult) -> tuple[object, ...]:
    findings = sorted((f.rule_id, f.title, f.outcome.value, tuple(f.indicators.paths)) for f in result.findings)
    files = sorted((r.path, r.sha256, r.size) for r in result.files)
    w = result.extras["webfiles"]
    counts = (w["files_read"], w["files_content_scanned"], w["files_header_checked"], w["baseline"]["modified"])
    return findings, files, counts


def test_many_small_batches_match_a_single_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "server"
    generate(dest, scenario="proxylogon", size="300KB", layout="kape", seed=5, events=False)
    serial = _scan(dest, jobs=1)
    monkeypatch.setattr(stage, "_BATCH_FILES", 7)  # many ranges, several per worker
    monkeypatch.setattr(stage, "_PEEK_BATCH", 5)
    parallel = _scan(dest, jobs=2)
    assert _summary(parallel) == _summary(serial)
    assert any(f.outcome.value == "webshell" for f in parallel.findings)
