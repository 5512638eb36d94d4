"""Reconcile the build signals of one node into one build with a confidence.

``exact``: a full build (header, manifest or ``/mapi/nspi/``) and every other signal agrees with it;
``cu-only``: only the 3-part OWA path (2013+ never shows the SU there);
``inferred``: found by ``--enumerate`` (versioned ECP folder), or signals disagree — then the
lowest build is kept (the conservative choice) and the disagreement noted; ``unknown``: no signal. The response that gave the build is always named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extriage.probe.signals import BuildSignal

EXACT = "exact"
CU_ONLY = "cu-only"
INFERRED = "inferred"
UNKNOWN = "unknown"

#: When full sources disagree, prefer the one least likely to be off-catalogue.
_PREFERENCE = {"mapi-nspi": 0, "exporttool-manifest": 1, "x-owa-version": 2, "ecp-folder": 3, "owa-path": 4}
#: Full builds found by probing for folders rather than read from the server: never ``exact``.
_INFERRED_SOURCES = frozenset({"ecp-folder"})


def _key(build: str) -> tuple[int, ...]:
    return tuple(int(p) for p in build.split("."))


def _cu(build: str) -> str:
    return ".".join(build.split(".")[:3])


@dataclass
class Reconciled:
    build: str | None
    confidence: str
    source: BuildSignal | None
    notes: list[str] = field(default_factory=list)


def reconcile(signals: list[BuildSignal]) -> Reconciled:
    if not signals:
        return Reconciled(None, UNKNOWN, None)
    full = [s for s in signals if s.parts == 4]
    partial = [s for s in signals if s.parts == 3]
    if not full:
        cus = sorted({s.build for s in partial}, key=_key)
        chosen = next(s for s in partial if s.build == cus[0])
        disagree = [f"OWA paths disagree: {', '.join(cus)}; kept the lowest"] if len(cus) > 1 else []
        return Reconciled(chosen.build, CU_ONLY if len(cus) == 1 else INFERRED, chosen, disagree)
    full_builds = sorted({s.build for s in full}, key=_key)
    path_cus = {s.build for s in partial}
    notes: list[str] = []
    if len(full_builds) == 1 and all(cu == _cu(full_builds[0]) for cu in path_cus):
        chosen = min(full, key=lambda s: _PREFERENCE.get(s.source, 9))
        return Reconciled(
            chosen.build, INFERRED if chosen.source in _INFERRED_SOURCES else EXACT, chosen, notes
        )
    # Disagreement: keep the lowest candidate (3-part CUs count as their CU base).
    candidates = full + partial
    lowest = min(
        candidates,
        key=lambda s: (_key(s.build)[:3], _key(s.build)[3:] or (-1,), _PREFERENCE.get(s.source, 9)),
    )
    described = ", ".join(sorted({f"{s.source}={s.build}" for s in candidates}))
    notes.append(f"version signals disagree ({described}); kept the lowest, {lowest.build}")
    return Reconciled(lowest.build, INFERRED if lowest.parts == 4 else CU_ONLY, lowest, notes)
