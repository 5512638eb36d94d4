"""The merged timeline as CSV, one row per event, safe against spreadsheet formula injection."""

from __future__ import annotations

import csv
from pathlib import Path

from extriage.findings import ScanResult, iso

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(value: object) -> str:
    """Neutralise a cell that a spreadsheet would run as a formula (OWASP: prefix with a quote)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_timeline_csv(result: ScanResult, dest: Path) -> None:
    with dest.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp_utc", "kind", "summary", "client_ip", "finding_ids", "source", "line", "raw"])
        for e in result.timeline:
            w.writerow(
                [
                    csv_safe(iso(e.timestamp)),
                    csv_safe(e.kind),
                    csv_safe(e.summary),
                    csv_safe(e.client_ip),
                    csv_safe(" ".join(e.finding_ids)),
                    csv_safe(e.source),
                    e.line if e.line is not None else "",
                    csv_safe(e.raw),
                ]
            )
