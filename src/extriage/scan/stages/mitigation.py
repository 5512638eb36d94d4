"""Scan stage: the server's interim-mitigation state, from the IIS configuration and SYSTEM hive.

Puts the full verification into ``ctx.result.extras["mitigation"]`` (same JSON as
``extriage mitigation verify --json``). Findings are raised only when something is clearly wrong: a
mitigation that was applied but is overridden by a child configuration or broken (``partial``) —
at low severity with outcome ``info``, since it says nothing about whether the server was attacked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from extriage.detections.mitigations.sources import InventorySource
from extriage.detections.mitigations.verify import MitigationState, VerifyReport, verify
from extriage.detections.waves.registry import other_id
from extriage.findings import Confidence, EvidenceLine, FamilyCoverage, Finding, Outcome, Severity
from extriage.scan.context import ScanContext
from extriage.scan.facts import Detections

FAMILY = "iis-config"
_RAISE = {"overridden", "partial"}


@dataclass
class MitigationStage:
    name: str = "mitigation"
    requires: ClassVar[tuple[type, ...]] = ()
    provides: ClassVar[tuple[type, ...]] = (Detections,)

    def run(self, ctx: ScanContext) -> None:
        source = InventorySource(ctx.inventory)
        report = verify(source)
        fam = FamilyCoverage(FAMILY)
        for loaded in source.read_log:
            ctx.record_file(loaded.display, loaded.sha256, loaded.size, loaded.mtime)
            fam.files += 1
            fam.bytes += loaded.size
        for path, why in source.skipped:
            ctx.skip(path, why)
        if report.errors:
            fam.notes.extend(report.errors[:10])
        if fam.files:
            ctx.result.coverage.family(FAMILY).absorb(fam)
        if report.application_host is None:
            unreadable = any(p.lower().endswith("applicationhost.config") for p, _ in source.skipped)
            ctx.result.coverage.warn(
                "Mitigation state not checked: applicationHost.config is "
                + ("in the evidence but could not be read (see the files not read)"
                   if unreadable else "not in the evidence")
                + " (collect C:\\Windows\\System32\\inetsrv\\config and C:\\inetpub\\wwwroot\\web.config)."
            )
        ctx.result.extras["mitigation"] = report.to_dict()
        for m in report.mitigations:
            if m.state in _RAISE:
                ctx.add_finding(_finding(m, report, ctx))


def _finding(m: MitigationState, report: VerifyReport, ctx: ScanContext) -> Finding:
    evidence = [
        EvidenceLine(source=d.file, line=d.line, raw=d.element, sha256=ctx.sha256_for(d.file)) for d in m.decided_by[:5]
    ]
    verb = "overridden by a child configuration" if m.state == "overridden" else "incomplete or wrong"
    return Finding(
        rule_id=f"MIT-{m.id.upper()}-{m.state.upper()}",
        title=f"Interim mitigation {verb}: {m.title}",
        severity=Severity.LOW,
        confidence=Confidence.HIGH,
        outcome=Outcome.INFO,
        description=m.reason + " Interim mitigations are not a substitute for the Security Update.",
        wave=m.wave or other_id(),
        cves=list(m.cves),
        evidence=evidence,
        tags=["mitigation", m.state, *sorted({p.code for p in m.problems})],
        references=["https://github.com/microsoft/CSS-Exchange/tree/main/Security"],
    )


STAGES = [MitigationStage()]
