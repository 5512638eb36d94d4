"""``case report``: one report over every server of the case, made by the report's own builders
(HTML, Markdown, CSV, STIX, MISP, CISA draft over all results; indicators de-duplicated across
servers by :func:`extriage.report.indicators.collect_indicators`), plus the fleet table as CSV and JSON."""

from __future__ import annotations

import csv
from pathlib import Path

from extriage.case.status import status_document
from extriage.case.store import CaseStore
from extriage.outputs import json_bytes, open_output, write_bytes
from extriage.report.exports import Written, write_reports
from extriage.report.timeline_csv import csv_safe

FLEET_COLUMNS = [
    "name", "evidence", "verdict", "priority", "priority_reason", "response_state", "first_activity", "last_activity",
    "build", "open_cves", "exposure", "findings", "webshells", "attacker_ips", "engine", "worker", "error",
]


def write_fleet_report(store: CaseStore, out_dir: Path, formats: list[str], tlp: str, redact: bool) -> Written:
    """Raises OSError when the folder cannot be written."""
    results = [r for _, r in store.results()]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_reports(results, out_dir, formats, tlp, redact) if results else Written()
    if not results:
        written.notes.append("no server of the case has a scan result yet: only the fleet table was written")
    doc = status_document(store)
    if not redact:  # the fleet table names hosts and addresses: left out of a redacted report
        write_bytes(out_dir / "fleet-status.json", json_bytes(doc) + b"\n")
        written.files.append(out_dir / "fleet-status.json")
        with open_output(out_dir / "fleet.csv", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(FLEET_COLUMNS)
            for s in doc["servers"]:
                w.writerow([csv_safe(_cell(s, c)) for c in FLEET_COLUMNS])
        written.files.append(out_dir / "fleet.csv")
    else:
        written.notes.append("fleet.csv and fleet-status.json are not written with --redact (they name every host)")
    return written


def _cell(server: dict[str, object], column: str) -> str:
    if column == "response_state":
        resp = server.get("response")
        return str(resp.get("state", "")) if isinstance(resp, dict) else ""
    if column in ("engine", "worker"):
        by = server.get("scanned_by")
        return str(by.get(column, "")) if isinstance(by, dict) else ""
    value = server.get(column)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)
