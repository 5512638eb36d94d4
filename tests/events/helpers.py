"""Helpers for the events tests: read a file through the readers, scan a folder with the stages."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from extriage.evidence.reading import HashingReader
from extriage.findings import ScanResult
from extriage.formats.event_export import ExportStats, iter_export, sniff
from extriage.formats.event_record import EventRecord
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import events as stage


def read_export_bytes(data: bytes) -> tuple[list[EventRecord], ExportStats]:
    reader = HashingReader(io.BytesIO(data))  # type: ignore[arg-type]
    head = reader.read(65536)
    kind = sniff(head)
    stats = ExportStats()
    if not kind:
        return [], stats
    return list(iter_export(reader, kind, head, stats)), stats


def jsonl(*docs: dict[str, Any]) -> bytes:
    return ("\n".join(json.dumps(d) for d in docs) + "\n").encode()


class _Shared:
    """A phase-10 stage standing in for core-logs: it publishes attacker IPs."""

    name = "fake-logs"
    phase = 10

    def __init__(self, ips: set[str]) -> None:
        self.ips = ips

    def run(self, ctx: Any) -> None:
        ctx.shared.setdefault("attacker_ips", set()).update(self.ips)


def scan(path: Path, attacker_ips: set[str] | None = None) -> ScanResult:
    stages: list[Any] = [_Shared(attacker_ips or set()), *stage.STAGES]
    return run_scan(str(path), ScanOptions(jobs=1), stages=stages)


def rule_ids(result: ScanResult) -> set[str]:
    return {f.rule_id for f in result.findings}
