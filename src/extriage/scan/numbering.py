"""Finding ids: ``F0001``… in order of time, then severity, given once the findings of a step exist."""

from __future__ import annotations

from datetime import UTC, datetime

from extriage.findings import Finding, ScanResult, utc
from extriage.scan.context import ScanContext
from extriage.scan.facts import Detections, FindingIds


class NumberFindingsStage:
    """The declared point where findings get their ids: after every stage that detects
    (provides :class:`Detections`), before every stage that refers to findings by id."""

    name = "number-findings"
    requires = (Detections,)
    provides = (FindingIds,)

    def run(self, ctx: ScanContext) -> None:
        number_findings(ctx.result)


def number_findings(result: ScanResult) -> None:
    """Sort findings by time then severity and give the ones without an id the next free ids."""
    result.findings.sort(key=_finding_order)
    used = {f.id for f in result.findings if f.id}
    n = 0
    for finding in result.findings:
        if finding.id:
            continue
        while True:
            n += 1
            candidate = f"F{n:04d}"
            if candidate not in used:
                break
        finding.id = candidate
        used.add(candidate)


def _finding_order(f: Finding) -> tuple[datetime, int, str]:
    ts = utc(f.first_seen) or datetime.max.replace(tzinfo=UTC)
    return (ts, -int(f.severity), f.rule_id)
