"""Scan stage: the server's build from the evidence, its open CVEs, and disagreements between sources.

Puts the JSON-ready section ``ctx.result.extras["patch"]`` (evidence, assessment) and adds ``info``
findings: a missing security update is a vulnerability, not a compromise, so it never raises the
verdict. Runs after the logs stage (requires :class:`LogSpans`), so HttpProxy logs it already hashed
are not read twice.
"""

from __future__ import annotations

from typing import Any

from extriage.detections.builds import assess
from extriage.detections.builds.assess import OPEN_STATUSES, Assessment
from extriage.detections.builds.evidence import BuildEvidence, BuildSource, collect_build_evidence
from extriage.detections.waves.registry import Registry, load_registry
from extriage.findings import Confidence, EvidenceLine, Finding, Indicators, Outcome, Severity
from extriage.scan.context import ScanContext
from extriage.scan.facts import Detections, LogSpans


class PatchStage:
    name = "patch"
    requires = (LogSpans,)
    provides = (Detections,)

    def run(self, ctx: ScanContext) -> None:
        ev = collect_build_evidence(ctx.inventory, hash_lookup=ctx.sha256_for)
        for fr in ev.files_read:
            ctx.record_file(fr.display, fr.sha256, fr.size, fr.mtime)
        for path, reason in ev.problems:
            ctx.skip(path, reason)
        section: dict[str, Any] = {"evidence": ev.to_dict(), "assessment": None}
        if ev.build is None:
            msg = (
                "Patch level not determined: no readable ExSetup.exe, SOFTWARE hive, versioned OWA/ECP folder "
                "or HttpProxy log header in the evidence."
            )
            ctx.result.coverage.warn(msg)
            ctx.result.extras["patch"] = section
            return
        a = assess(ev.build)
        section["assessment"] = a.to_dict()
        ctx.result.extras["patch"] = section
        if not a.assessable:
            ctx.result.coverage.warn(
                f"Patch level could not be assessed: {a.notes[0] if a.notes else ev.build}"
            )
        for finding in _findings(ev, a):
            ctx.add_finding(finding)


def _evidence_lines(ev: BuildEvidence) -> list[EvidenceLine]:
    lines: list[EvidenceLine] = []
    sources: list[BuildSource] = [ev.chosen] if ev.chosen else []
    sources += [s for s in ev.sources if s is not ev.chosen]
    # one line per kind of source and build: four HttpProxy logs saying the same build are one fact
    distinct: dict[tuple[str, str], BuildSource] = {}
    for s in sources:
        distinct.setdefault((s.kind, s.build), s)
    for s in list(distinct.values())[:6]:
        lines.append(
            EvidenceLine(
                source=s.path,
                line=None,
                raw=s.raw,
                fields={"kind": s.kind, "build": s.build, "precision": s.precision},
                sha256=s.sha256,
            )
        )
    return lines


def _findings(ev: BuildEvidence, a: Assessment) -> list[Finding]:
    out: list[Finding] = []
    paths = [ev.chosen.path] if ev.chosen else []
    by_wave: dict[str, list[str]] = {}
    exploited = False
    for c in a.cves:
        if c.status in OPEN_STATUSES:
            by_wave.setdefault(c.wave, []).append(c.id)
            exploited = exploited or c.known_exploited
    conf = Confidence.HIGH if a.exact_match else Confidence.MEDIUM
    rec = " ".join(a.recommendation[:2])
    reg = load_registry()
    for wave, ids in by_wave.items():
        statuses = {c.status for c in a.cves if c.id in ids}
        qualifier = " unless the Security Update is installed" if statuses == {"vulnerable-unless-su"} else ""
        out.append(
            Finding(
                rule_id=f"PATCH-OPEN-{wave.upper()}",
                title=f"Build {a.build} ({a.product} {a.cu}) is open to {_phrase(reg, wave)} CVEs{qualifier}",
                severity=Severity.MEDIUM,
                confidence=conf,
                outcome=Outcome.INFO,
                description=(
                    f"{', '.join(ids)} are not fixed at {a.build} (source: {ev.chosen.kind if ev.chosen else '?'}). "
                    f"A missing update is a vulnerability, not proof of compromise. {rec}"
                ),
                wave=wave if wave in reg else reg.other.id,
                cves=list(ids),
                evidence=_evidence_lines(ev),
                indicators=Indicators(paths=list(paths)),
                references=[
                    "https://learn.microsoft.com/exchange/new-features/build-numbers-and-release-dates"
                ],
                tags=["patch", "known-exploited"] if exploited else ["patch"],
            )
        )
    for text in ev.disagreements:
        out.append(
            Finding(
                rule_id="PATCH-SOURCES-DISAGREE",
                title="Build sources disagree (possible failed or partial update)",
                severity=Severity.LOW,
                confidence=Confidence.MEDIUM,
                outcome=Outcome.INFO,
                description=text,
                wave=reg.other.id,
                evidence=_evidence_lines(ev),
                indicators=Indicators(paths=list(paths)),
                tags=["patch"],
            )
        )
    return out


def _phrase(reg: Registry, wave: str) -> str:
    w = reg.get(wave)
    return w.phrase if w is not None else wave


STAGES = [PatchStage()]
