"""The timeline in Timesketch's JSON-lines import format: one object per line with ``message``,
``datetime`` (ISO 8601) and ``timestamp_desc``, plus extra fields Timesketch shows as attributes.

Findings are added as their own events (first seen) so a sketch shows the conclusions next to the
raw activity.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from extriage.findings import ScanResult, iso
from extriage.outputs import open_output
from extriage.response.facts import server_name
from extriage.safetext import surrogates_as_escapes

_DESC = {
    "request": "Request Time",
    "event": "Event Logged",
    "file-created": "File Created",
    "file-modified": "File Modified",
    "finding": "Finding",
}


def timesketch_events(results: list[ScanResult]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in results:
        server = server_name(r)
        for e in r.timeline:
            rows.append(
                {
                    "message": e.summary or e.raw[:500] or e.kind,
                    "datetime": iso(e.timestamp),
                    "timestamp_desc": _DESC.get(e.kind, e.kind.replace("-", " ").title() or "Event Time"),
                    "data_type": f"extriage:{e.kind}",
                    "hostname": server,
                    "source_file": e.source,
                    "line": e.line,
                    "client_ip": e.client_ip,
                    "finding_ids": " ".join(e.finding_ids),
                    "raw": e.raw,
                    "tag": ["extriage-finding"] if e.finding_ids else [],
                }
            )
        for f in r.findings:
            if f.first_seen is None:
                continue
            rows.append(
                {
                    "message": f"[{f.severity.label()}/{f.outcome.value}] {f.title}",
                    "datetime": iso(f.first_seen),
                    "timestamp_desc": "First Seen",
                    "data_type": "extriage:finding",
                    "hostname": server,
                    "finding_id": f.id,
                    "rule_id": f.rule_id,
                    "severity": f.severity.label(),
                    "outcome": f.outcome.value,
                    "wave": f.wave,
                    "cves": " ".join(f.cves),
                    "attack": " ".join(f.attack),
                    "client_ip": " ".join(f.indicators.client_ips),
                    "source_file": f.evidence[0].source if f.evidence else "",
                    "raw": f.evidence[0].raw if f.evidence else "",
                    "tag": ["extriage-finding", f.outcome.value],
                }
            )
    rows.sort(key=lambda x: x["datetime"] or "")
    return rows


def write_timesketch(results: list[ScanResult], dest: Path) -> int:
    rows = timesketch_events(results)
    with open_output(dest) as fh:
        for row in rows:
            fh.write(surrogates_as_escapes(json.dumps(row, ensure_ascii=False)) + "\n")
    return len(rows)
