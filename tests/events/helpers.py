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
from extriage.scan.facts import LogPivots
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


def scan(path: Path, attacker_ips: set[str] | None = None) -> ScanResult:
    """The events stages alone, with ``attacker_ips`` standing in for what the logs stage found."""
    given = [LogPivots(attacker_ips=set(attacker_ips or ()))]
    return run_scan(str(path), ScanOptions(jobs=1), stages=list(stage.STAGES), given=given)


def rule_ids(result: ScanResult) -> set[str]:
    return {f.rule_id for f in result.findings}
