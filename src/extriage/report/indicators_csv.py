"""A plain CSV of indicators (type, value, first/last seen, context), safe against formula injection."""

from __future__ import annotations

import csv
from pathlib import Path

from extriage.findings import ScanResult, iso
from extriage.outputs import open_output
from extriage.report.indicators import collect_indicators
from extriage.report.timeline_csv import csv_safe

#: ``role`` says whose the value is (attacker, scanner, own-probe, internal); ``actionable`` is "yes"
#: only for attacker evidence: the rows a partner may block or alert on.
HEADER = ["type", "value", "role", "actionable", "first_seen_utc", "last_seen_utc", "count", "servers", "findings", "outcomes", "cves", "attack", "context", "tlp"]


def write_indicators_csv(results: list[ScanResult], dest: Path, tlp: str = "amber") -> int:
    rows = collect_indicators(results)
    with open_output(dest, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            w.writerow(
                [
                    csv_safe(r.type),
                    csv_safe(r.value),
                    r.role.value,
                    "yes" if r.actionable else "no",
                    csv_safe(iso(r.first_seen) or ""),
                    csv_safe(iso(r.last_seen) or ""),
                    r.count,
                    csv_safe(" ".join(r.servers)),
                    csv_safe(_ids(r.finding_ids)),
                    csv_safe(" ".join(r.outcomes)),
                    csv_safe(" ".join(r.cves)),
                    csv_safe(" ".join(r.attack)),
                    csv_safe(r.context() if r.actionable else f"{r.role_note()} — {r.context()}"),
                    csv_safe("TLP:" + tlp.upper()),
                ]
            )
    return len(rows)


def _ids(ids: list[str], limit: int = 50) -> str:
    return " ".join(ids[:limit]) + (f" (+{len(ids) - limit} more)" if len(ids) > limit else "")
