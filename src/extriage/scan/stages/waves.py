"""Stages ``waves-stories`` (after the correlate stage) and ``waves-summary`` (after the verdict): the
later waves per wave.

The detections of ProxyShell, ProxyNotShell/OWASSRF and ProxyToken are data (rule, chain and wave
files); what is left here is what only the whole result can say:

* Web shell requests are steps of every wave's chain (a shell is a shell, whoever wrote it), so a
  client address that only used a web shell gets one story per chain. Such a *borrowed* story is kept
  once, in the wave whose own attack is closest in time (ProxyLogon when no wave has one).
* ``Logging\\CmdletInfra\\Powershell-Proxy\\Http`` holding no Rps_Http logs while other Exchange logs
  are there means ProxyNotShell/OWASSRF commands cannot be seen: deleted or not collected. Said in
  the coverage warnings (Sysmon deletions of those files are the events rule EVT-FILE-CMDLETINFRA-DELETE).
* ``extras["waves"]``: per wave its verdict, exploitation window, stories, finding counts by outcome
  and the coverage warnings that concern it, so reports can show each wave on its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from extriage.detections.verdict import FAMILY_NAMES, load_waves
from extriage.detections.waves.registry import load_registry, post_exploitation_id
from extriage.findings import AttackStory, Finding, Outcome, iso
from extriage.scan.context import ScanContext
from extriage.scan.facts import (
    AttackStories,
    Correlations,
    EventStories,
    ExplainedGaps,
    VerdictReached,
    WaveStories,
)

_FAR = datetime.max.replace(tzinfo=UTC)
#: A borrowed story joins the wave whose own story lies within this distance.
NEAR = timedelta(days=7)
_RPS_FOLDER = "/logging/cmdletinfra/powershell-proxy/http/"
_EXCHANGE_LOG_FAMILIES = ("httpproxy", "ecp")


def _story_ids(story: AttackStory) -> set[str]:
    return {fid for step in story.steps for fid in step.finding_ids}


def _distance(a: AttackStory, b: AttackStory) -> timedelta:
    if a.first_seen is None or b.first_seen is None:
        return timedelta.max
    a_end, b_end = a.last_seen or a.first_seen, b.last_seen or b.first_seen
    if a.first_seen <= b_end and b.first_seen <= a_end:
        return timedelta(0)
    return min(abs(a.first_seen - b_end), abs(b.first_seen - a_end))


def dedupe_borrowed(stories: list[AttackStory], findings: list[Finding]) -> list[AttackStory]:
    """Keep each story made only of other waves' findings (web shell use) in one wave only."""
    by_id = {f.id: f for f in findings if f.id}

    def own(story: AttackStory) -> bool:
        return any(by_id[i].wave == story.wave for i in _story_ids(story) if i in by_id)

    owned = [s for s in stories if own(s)]
    # a tie left by time goes to the wave listed first (ProxyLogon, the wave that planted most web shells)
    order = {w: i for i, w in enumerate(load_registry().ids())}
    drop: set[int] = set()
    groups: dict[tuple[tuple[str, ...], frozenset[str]], list[AttackStory]] = {}
    for s in stories:
        if own(s):
            continue
        ids = _story_ids(s)
        # already told by another wave's own story of the same address
        if any(set(o.client_ips) & set(s.client_ips) and ids <= _story_ids(o) for o in owned):
            drop.add(id(s))
            continue
        groups.setdefault((tuple(s.client_ips), frozenset(ids)), []).append(s)
    for group in groups.values():
        if len(group) < 2:
            continue

        def rank(s: AttackStory) -> tuple[timedelta, int]:
            near = [_distance(s, o) for o in owned if o.wave == s.wave]
            best = min(near, default=timedelta.max)
            return (best if best <= NEAR else timedelta.max, order.get(s.wave, len(order)))

        keep = min(group, key=rank)
        drop.update(id(s) for s in group if s is not keep)
    return [s for s in stories if id(s) not in drop]


@dataclass(slots=True)
class WavesStoryStage:
    name: str = "waves-stories"
    requires: ClassVar[tuple[type, ...]] = (AttackStories,)
    provides: ClassVar[tuple[type, ...]] = (WaveStories, ExplainedGaps, Correlations)

    def run(self, ctx: ScanContext) -> None:
        ctx.result.stories = dedupe_borrowed(ctx.result.stories, ctx.result.findings)
        _rps_coverage(ctx)


def _rps_coverage(ctx: ScanContext) -> None:
    fams = ctx.result.coverage.families
    if not any(fams.get(f) is not None and fams[f].files for f in _EXCHANGE_LOG_FAMILIES):
        return  # no Exchange logs at all: the verdict stage already says what was not checked
    rps = fams.get("rps_http")
    if rps is not None and rps.files:
        return
    has_folder = any(_RPS_FOLDER in "/" + f.key for f in ctx.inventory.files) or any(
        "/logging/cmdletinfra/" in "/" + f.key for f in ctx.inventory.files
    )
    where = ("the CmdletInfra folder is there but holds no Rps_Http logs (deleted, or rotated away)"
             if has_folder else "the Logging\\CmdletInfra\\Powershell-Proxy\\Http folder was not in the evidence "
             "(not collected, or deleted)")
    ctx.facts.get(ExplainedGaps).families.add("rps_http")  # the verdict stage says no more
    ctx.result.coverage.warn(
        f"Exchange logs were read but no Rps_Http logs were: {where}. Remote PowerShell commands run "
        "through ProxyNotShell/OWASSRF (CVE-2022-41082) cannot be seen without them."
    )


@dataclass(slots=True)
class WavesSummaryStage:
    name: str = "waves-summary"
    requires: ClassVar[tuple[type, ...]] = (VerdictReached, EventStories)
    provides: ClassVar[tuple[type, ...]] = ()

    def run(self, ctx: ScanContext) -> None:
        result = ctx.result
        summary: dict[str, Any] = {}
        post = post_exploitation_id()
        for wid, info in load_waves().items():
            if wid == post:
                continue
            mine = [f for f in result.findings if f.wave == wid]
            outcomes = Counter(f.outcome.value for f in mine)
            counted = [f for f in mine if f.outcome not in (Outcome.SCANNER, Outcome.INFO)]
            firsts = [f.first_seen for f in counted if f.first_seen]
            lasts = [f.last_seen or f.first_seen for f in counted if f.last_seen or f.first_seen]
            names = [info.title] + [FAMILY_NAMES.get(fam, fam) for fam in info.families]
            verdict = result.waves.get(wid)
            summary[wid] = {
                "title": info.title,
                "cves": info.cves,
                "verdict": verdict.value if verdict is not None else "no_evidence",
                "exploitation_window": ({"start": info.window[0].isoformat(), "end": info.window[1].isoformat()}
                                        if info.window else None),
                "first_seen": iso(min(firsts)) if firsts else None,
                "last_seen": iso(max(d for d in lasts if d)) if lasts else None,
                "findings_by_outcome": dict(sorted(outcomes.items())),
                "stories": [s.title for s in result.stories if s.wave == wid],
                "coverage_warnings": [w for w in result.coverage.warnings if any(n in w for n in names[:1])],
                "log_families": info.families,
            }
        result.extras["waves"] = summary


STAGES = [WavesStoryStage(), WavesSummaryStage()]
