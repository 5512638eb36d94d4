"""A web shell found on disk carries the event lines that wrote it (JSON-escaped paths in exports)."""

from __future__ import annotations

from pathlib import Path

from extriage.generator import generate
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan


def test_shell_file_joined_to_its_writer_event(tmp_path: Path) -> None:
    server = generate(tmp_path / "s", scenario="proxylogon", seed=3, size="1MB", days=3)
    assert server is not None
    result = run_scan(str(tmp_path / "s"), ScanOptions(jobs=1))
    shells = [f for f in result.findings if f.rule_id == "WF-LOC-ASPNET-CLIENT"]
    joined_kinds = {e.fields.get("kind") for f in shells for e in f.evidence if e.fields.get("reason") == "joined"}
    assert "event" in joined_kinds  # the Sysmon/Security record of the System write
    assert "request" in joined_kinds  # and the IIS requests to its URL
