"""Per-wave states of a remote server, decided from its build by the patch knowledge.

The build knowledge (fix tables, CU/SU logic) lives in :mod:`extriage.detections.builds`; this module
only maps its per-CVE statuses onto the probe's states and never guesses: a missing build is
``unknown``, never "not vulnerable".
"""

from __future__ import annotations

import enum
import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Wave keys in report order (the keys of ``extriage.detections.builds.WAVES``).
WAVES: tuple[str, ...] = ("proxylogon", "proxyshell", "proxynotshell", "other-kev")


class State(enum.StrEnum):
    VULNERABLE = "vulnerable"
    VULNERABLE_UNLESS_SU = "vulnerable-unless-su"
    PATCHED = "patched"
    MITIGATED = "mitigated"
    NOT_EXCHANGE = "not-exchange"
    UNKNOWN = "unknown"
    ERROR = "error"


#: Worst first: sorting and "the host verdict is the worst node" use this.
RANK: dict[State, int] = {
    State.VULNERABLE: 6,
    State.VULNERABLE_UNLESS_SU: 5,
    State.ERROR: 4,
    State.UNKNOWN: 3,
    State.MITIGATED: 2,
    State.PATCHED: 1,
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
    return {w: WaveState(state, reason=reason) for w in WAVES}


def _update_text(update: Any) -> str | None:
    if update is None:
        return None
    name = getattr(update, "name", "") or ""
    kb = getattr(update, "kb", "") or ""
    build = getattr(update, "build", "")
    return " ".join(p for p in (name, kb, f"({build})" if build else "") if p) or None


def _update_key(update: Any) -> tuple[int, ...]:
    text = str(getattr(update, "build", "") or "")
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return ()


AssessFn = Callable[[str], Any]


def load_assess() -> AssessFn | None:
    """``parse_build`` + ``assess`` from the patch knowledge, or ``None`` when it is not installed.
    Assessments are cached per build text: thousands of targets share a handful of builds."""
    try:
        builds = importlib.import_module("extriage.detections.builds")
    except ImportError:
        return None
    cache: dict[str, Any] = {}

    def _assess(text: str) -> Any:
        hit = cache.get(text)
        if hit is None:
            hit = builds.assess(builds.parse_build(text))  # BuildParseError is a ValueError
            if len(cache) < 10_000:
                cache[text] = hit
        return hit

    return _assess


@functools.cache
def _wave_cves() -> dict[str, frozenset[str]]:
    try:
        builds = importlib.import_module("extriage.detections.builds")
    except ImportError:
        return {}
    return {str(w): frozenset(ids) for w, ids in builds.WAVES.items()}


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
    if getattr(a, "assessable", True) is False:
        why = (
            "; ".join(str(n) for n in (getattr(a, "notes", None) or []))
            or "the build knowledge cannot assess it"
        )
        return BuildVerdict(
            uniform(State.UNKNOWN, f"build {build}: {why}"), product=getattr(a, "product", None) or None
        )
    not_applicable = {str(c) for c in (getattr(a, "not_applicable", None) or [])}
    per_wave: dict[str, list[Any]] = {w: [] for w in WAVES}
    for cs in getattr(a, "cves", []) or []:
        per_wave.setdefault(str(cs.wave), []).append(cs)
    waves: dict[str, WaveState] = {}
    for wave in WAVES:
        items = per_wave.get(wave, [])
        if not items:
            ids = _wave_cves().get(wave, frozenset())
            if ids and ids <= not_applicable:
                waves[wave] = WaveState(
                    State.PATCHED,
                    sorted(ids),
                    reason=f"not affected: these CVEs do not apply to {getattr(a, 'product', 'this product')}",
                )
            else:
                waves[wave] = WaveState(State.UNKNOWN, reason="no CVE of this wave in the build knowledge")
            continue
        states = [_CVE_STATUS.get(str(cs.status), State.UNKNOWN) for cs in items]
        st = worst(states)
        bad = [cs for cs, s in zip(items, states, strict=True) if s == st]
        fixes = [cs.fixed_by for cs in bad if getattr(cs, "fixed_by", None) is not None]
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
            why = "; ".join(f"{cs.id}: {cs.note}" if getattr(cs, "note", "") else str(cs.id) for cs in bad)
            reason = f"build knowledge cannot decide ({why})"
        waves[wave] = WaveState(st, [str(cs.id) for cs in items], fixed_by, reason)
    product = getattr(a, "product", None)
    cu = getattr(a, "cu", None)
    su = getattr(a, "su", None)
    label = " ".join(str(p) for p in (product, cu, su) if p) or None
    return BuildVerdict(
        waves=waves,
        product=label,
        exact_match=getattr(a, "exact_match", None),
        nearest=getattr(a, "nearest", None),
        notes=[str(n) for n in (getattr(a, "notes", None) or [])],
    )
