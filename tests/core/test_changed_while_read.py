"""A file read twice with other bytes (the evidence written to while scanned) is named in the
coverage; the file list keeps the first read's hash."""

from __future__ import annotations

from pathlib import Path

from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.findings import ScanResult
from extriage.scan.context import ScanContext, ScanOptions


def test_a_second_read_with_other_bytes_is_named_once(tmp_path: Path) -> None:
    spec = open_source(tmp_path)
    ctx = ScanContext(build_inventory(spec, lambda p, w: None), ScanResult(spec.root), ScanOptions(jobs=1))
    ctx.record_file("ev/web.config", "a" * 64, 10)
    ctx.record_file("ev/web.config", "a" * 64, 10)  # the same bytes again: nothing to say
    assert ctx.result.coverage.warnings == []
    ctx.record_file("ev/web.config", "b" * 64, 12)
    ctx.record_file("ev/web.config", "b" * 64, 12)
    assert len(ctx.result.coverage.warnings) == 1
    warning = ctx.result.coverage.warnings[0]
    assert "ev/web.config changed while the scan read it" in warning and "a" * 64 in warning and "b" * 64 in warning
    assert [(f.path, f.sha256) for f in ctx.result.files] == [("ev/web.config", "a" * 64)]
