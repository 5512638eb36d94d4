"""Stage ``verdict`` (after every stage that detects or correlates): the files no stage read, per-wave and overall verdict, reason sentence,
coverage warnings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from extriage.detections.verdict import (
    application_pages,
    assess_waves,
    coverage_warnings,
    decide,
    load_waves,
    unchecked_pages,
    unreadable_evidence,
    wave_verdict,
    wave_verdicts,
)
from extriage.detections.webfiles.content import SCRIPT_EXTENSIONS
from extriage.evidence.unread import unread_reason
from extriage.findings import SkippedFile, Verdict
from extriage.scan.context import ScanContext
from extriage.scan.facts import Correlations, Detections, ExplainedGaps, VerdictReached


@dataclass(slots=True)
class VerdictStage:
    name: str = "verdict"
    requires: ClassVar[tuple[type, ...]] = (Detections, Correlations, ExplainedGaps)
    provides: ClassVar[tuple[type, ...]] = (VerdictReached,)

    def run(self, ctx: ScanContext) -> None:
        result = ctx.result
        list_unread(ctx)
        note_lone_unknown_file(ctx)
        waves = load_waves()
        windows = ctx.options.exploitation_windows or None
        explained = frozenset(ctx.facts.get(ExplainedGaps).families)
        found = wave_verdicts(result.findings)
        seen = frozenset(wid for wid, v in found.items() if v in (Verdict.ATTEMPTED, Verdict.COMPROMISED))
        for w in coverage_warnings(result.coverage, waves, windows, explained, seen):
            result.coverage.warn(w)
        assessed = assess_waves(result, waves, windows)
        blocked = (bool(result.extras.get("stage_errors")) or bool(unreadable_evidence(result.coverage))
                   or bool(unchecked_pages(result.coverage)) or bool(application_pages(result.findings)))
        # A wave that is not assessed (the catch-all "other") gets a verdict only from what was found in
        # it: "no_evidence" is a claim about sources read for a wave's window, which it has none of.
        per_wave = {wid: v for wid, v in found.items() if wid in assessed or v is not Verdict.NO_EVIDENCE}
        for wid, a in assessed.items():
            a["verdict"] = wave_verdict(found.get(wid), a, blocked).value
            per_wave[wid] = Verdict(a["verdict"])
        result.coverage.waves = assessed
        result.waves = dict(sorted(per_wave.items()))
        result.verdict, result.verdict_reason = decide(result, waves, windows)


def list_unread(ctx: ScanContext) -> None:
    """Name every file of the evidence that no stage read nor listed, with why: nothing found is only
    a claim about what was read."""
    read = {r.path for r in ctx.result.files}
    read.update(ctx.inventory.archives)  # read member by member
    listed = {s.path for s in ctx.result.coverage.skipped}
    for f in ctx.inventory.files:
        shown = f.display()
        if shown in read or shown in listed:
            continue
        reason, relevant = unread_reason(f)
        ctx.result.coverage.skipped.append(SkippedFile(shown, reason, relevant=relevant))


def note_lone_unknown_file(ctx: ScanContext) -> None:
    """Evidence that is one file no stage recognised (not a log, event log, configuration, page or
    binary Exchange ships) is only hashed and checked against web shell rules: say so, since "1 file of
    webfiles" in the verdict would otherwise read as if it had been analysed as evidence."""
    inv = ctx.inventory
    if inv.shape != "file" or len(inv.files) != 1 or inv.archives or inv.images:
        return
    used = [name for name, c in ctx.result.coverage.families.items() if c.files]
    name = inv.files[0].display()
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    suffix = base[base.rfind(".") :] if "." in base else ""
    if used != ["webfiles"] or suffix in SCRIPT_EXTENSIONS | {".dll", ".exe"}:
        return
    extras = ctx.result.extras
    if extras.get("patch", {}).get("evidence", {}).get("sources") or extras.get("identity", {}).get("sources"):
        return  # a registry hive read for the build or the host name
    ctx.result.coverage.warn(
        f"The evidence is one file of a kind extriage does not read as evidence (not a log, event log, "
        f"configuration or web page): it was only hashed and checked with the web shell rules and "
        f"known-bad hashes. Give the folder, collection or disk image it came from: {name}"
    )


STAGES = [VerdictStage()]
