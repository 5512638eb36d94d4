"""Per-wave states of a remote server, decided from its build by the patch knowledge.

The build knowledge (fix tables, CU/SU logic) lives in :mod:`extriage.detections.builds`; this module
only maps its per-CVE statuses onto the probe's states and never guesses: a missing build is
``unknown``, never "not vulnerable".
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extriage.detections import builds
from extriage.detections.waves.registry import load_registry


def probe_waves() -> tuple[str, ...]:
    """Wave keys in report order: the wave registry's waves with a probe entry (its patch groups and
    the catch-all), the keys of ``extriage.detections.builds.waves()``."""
    return tuple(w.id for w in load_registry().probe_waves())


def wave_labels() -> dict[str, str]:
    """Short label per probe wave (tables, detail lines)."""
    return {w.id: w.label for w in load_registry().probe_waves()}


class State(enum.StrEnum):
    VULNERABLE = "vulnerable"
    VULNERABLE_UNLESS_SU = "vulnerable-unless-su"
    PATCHED = "patched"
    NOT_AFFECTED = "not-affected"  # the wave's CVEs do not apply to the product (e.g. ProxyShell on 2010)
    MITIGATED = "mitigated"
    NOT_EXCHANGE = "not-exchange"
    UNKNOWN = "unknown"
    ERROR = "error"


#: Worst first: sorting and "the host verdict is the worst node" use this.
RANK: dict[State, int] = {
    State.VULNERABLE: 7,
    State.VULNERABLE_UNLESS_SU: 6,
    State.ERROR: 5,
    State.UNKNOWN: 4,
    State.MITIGATED: 3,
    State.PATCHED: 2,
    State.NOT_AFFECTED: 1,
    State.NOT_EXCHANGE: 0,
}

_CVE_STATUS = {
    "vulnerable": State.VULNERABLE,
    "vulnerable-unless-su": State.VULNERABLE_UNLESS_SU,
    "fixed": State.PATCHED,
    "unknown": State.UNKNOWN,
}


def worst(states: list[State]) -> State:
    return max(states, key=lambda s: RANK[s]) if states else State.UNKNOWN


@dataclass
class WaveState:
    state: State
    cves: list[str] = field(default_factory=list)
    #: The update that fixes this wave on the server's CU (named for vulnerable-unless-su).
    fixed_by: str | None = None
    reason: str = ""
    #: ``fixed_by``'s build as integers: Exchange updates are cumulative, so the highest one needed
    #: across waves is the single update to install.
    fix_key: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "cves": self.cves,
            "fixed_by": self.fixed_by,
            "reason": self.reason,
        }


@dataclass
class BuildVerdict:
    """What the knowledge says about one build."""

    waves: dict[str, WaveState]
    product: str | None = None
    exact_match: bool | None = None
    nearest: str | None = None
    notes: list[str] = field(default_factory=list)


def uniform(state: State, reason: str) -> dict[str, WaveState]:
    return {w: WaveState(state, reason=reason) for w in probe_waves()}


def _update_text(update: builds.Update | None) -> str | None:
    if update is None:
        return None
    parts = (update.name, update.kb, f"({update.build})" if update.build else "")
    return " ".join(p for p in parts if p) or None


def _update_key(update: builds.Update) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in update.build.split("."))
    except ValueError:
        return ()


AssessFn = Callable[[str], builds.Assessment]


def load_assess() -> AssessFn:
    """``parse_build`` + ``assess`` from the patch knowledge (:mod:`extriage.detections.builds`).
    Assessments are cached per build text: thousands of targets share a handful of builds."""
    cache: dict[str, builds.Assessment] = {}

    def _assess(text: str) -> builds.Assessment:
        hit = cache.get(text)
        if hit is None:
            hit = builds.assess(builds.parse_build(text))  # BuildParseError is a ValueError
            if len(cache) < 10_000:
                cache[text] = hit
        return hit

    return _assess


def verdict_for_build(build: str, assess: AssessFn | None) -> BuildVerdict:
    """Map the knowledge's per-CVE statuses onto per-wave states (worst CVE of a wave wins)."""
    if assess is None:
        return BuildVerdict(
            uniform(State.UNKNOWN, "build knowledge (extriage.detections.builds) is not available")
        )
    try:
        a = assess(build)
    except ValueError as exc:  # BuildParseError
        return BuildVerdict(uniform(State.UNKNOWN, f"build {build} not understood: {exc}"))
    if not a.assessable:
        why = "; ".join(a.notes) or "the build knowledge cannot assess it"
        return BuildVerdict(uniform(State.UNKNOWN, f"build {build}: {why}"), product=a.product or None)
    not_applicable = set(a.not_applicable)
    wave_ids = probe_waves()
    per_wave: dict[str, list[builds.CveStatus]] = {w: [] for w in wave_ids}
    for cs in a.cves:
        per_wave.setdefault(cs.wave, []).append(cs)
    waves: dict[str, WaveState] = {}
    table_waves = builds.waves()
    for wave in wave_ids:
        items = per_wave.get(wave, [])
        if not items:
            ids = set(table_waves.get(wave, []))
            if ids and ids <= not_applicable:
                waves[wave] = WaveState(
                    State.NOT_AFFECTED,
                    sorted(ids),
                    reason=f"not affected: these CVEs do not apply to {a.product or 'this product'}",
                )
            else:
                waves[wave] = WaveState(State.UNKNOWN, reason="no CVE of this wave in the build knowledge")
            continue
        states = [_CVE_STATUS.get(cs.status, State.UNKNOWN) for cs in items]
        st = worst(states)
        bad = [cs for cs, s in zip(items, states, strict=True) if s == st]
        fixes = [cs.fixed_by for cs in bad if cs.fixed_by is not None]
        fix = max(fixes, key=_update_key) if fixes else None
        fixed_by = _update_text(fix)
        if st is State.VULNERABLE_UNLESS_SU:
            reason = f"build shows the CU only; vulnerable unless {fixed_by or 'the fixing SU'} is installed"
        elif st is State.VULNERABLE:
            reason = f"build {build} is older than the fix" + (
                f" ({fixed_by})" if fixed_by else " and its CU has no fixing SU: upgrade"
            )
        elif st is State.PATCHED:
            reason = f"build {build} includes the fix"
        else:
            why = "; ".join(f"{cs.id}: {cs.note}" if cs.note else cs.id for cs in bad)
            reason = f"build knowledge cannot decide ({why})"
        fix_key = _update_key(fix) if fix is not None else ()
        waves[wave] = WaveState(st, [cs.id for cs in items], fixed_by, reason, fix_key)
    label = " ".join(p for p in (a.product, a.cu, a.su) if p) or None
    return BuildVerdict(
        waves=waves, product=label, exact_match=a.exact_match, nearest=a.nearest, notes=list(a.notes)
    )
