"""The merged timeline as CSV, one row per event, safe against spreadsheet formula injection."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from extriage.findings import ScanResult, utc
from extriage.outputs import open_output
from extriage.safetext import visible_controls

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(value: object) -> str:
    """Neutralise a cell that a spreadsheet would run as a formula (OWASP: prefix with a quote), with
    control characters written as visible ``\\xNN`` escapes (:mod:`extriage.safetext`)."""
    text = "" if value is None else visible_controls(str(value))
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _stamp(ts: datetime) -> str:
    """Fixed-width UTC time with milliseconds, so the column sorts as text too."""
    t = utc(ts)
    return "" if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def write_timeline_csv(result: ScanResult, dest: Path) -> None:
    with open_output(dest, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp_utc", "kind", "summary", "client_ip", "finding_ids", "source", "line", "raw"])
        for e in sorted(result.timeline, key=lambda e: (e.timestamp, e.source, e.line or 0)):
            w.writerow(
                [
                    csv_safe(_stamp(e.timestamp)),
                    csv_safe(e.kind),
                    csv_safe(e.summary),
                    csv_safe(e.client_ip),
                    csv_safe(" ".join(e.finding_ids)),
                    csv_safe(e.source),
                    e.line if e.line is not None else "",
                    csv_safe(e.raw),
                ]
            )
