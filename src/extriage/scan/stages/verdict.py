"""Stage ``verdict`` (phase 90): per-wave and overall verdict, reason sentence, coverage warnings."""

from __future__ import annotations

from dataclasses import dataclass

from extriage.detections.verdict import coverage_warnings, decide, load_waves, wave_verdicts
from extriage.findings import Verdict
from extriage.scan.context import ScanContext


@dataclass(slots=True)
class VerdictStage:
    name: str = "verdict"
    phase: int = 90

    def run(self, ctx: ScanContext) -> None:
        result = ctx.result
        waves = load_waves()
        explained = frozenset(ctx.shared.get("missing_families_explained", ()))
        found = wave_verdicts(result.findings)
        seen = frozenset(wid for wid, v in found.items() if v != Verdict.NO_EVIDENCE)
        for w in coverage_warnings(result.coverage, waves, ctx.options.exploitation_windows or None, explained, seen):
            result.coverage.warn(w)
        per_wave = {wid: Verdict.NO_EVIDENCE for wid in waves}
        per_wave.update(found)
        result.waves = dict(sorted(per_wave.items()))
        result.verdict, result.verdict_reason = decide(result)


STAGES = [VerdictStage()]
