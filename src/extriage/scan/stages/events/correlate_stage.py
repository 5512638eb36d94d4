"""Stage ``events-correlate`` (runs before the core correlate stage): match the attacker IPs of the
web logs (:class:`~extriage.scan.facts.LogPivots`) against event IPs, decide whether admin-like findings
(account creation, mailbox exports...) fall inside the incident window, say per channel whether the
log still reached back to the attack or was cleared or rolled over, and link timeline rows to their
findings."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from extriage.detections.events.collect import (
    IP_SUCCESS_IDS,
    TAG_WINDOW,
    finding_hosts,
    host_key,
)
from extriage.detections.waves.registry import Registry, load_registry, post_exploitation_id
from extriage.findings import (
    Confidence,
    EvidenceLine,
    Finding,
    Indicators,
    Outcome,
    Severity,
    iso,
    utc,
)
from extriage.scan.context import ScanContext
from extriage.scan.facts import Correlations, EventJudgement, EventPivots, FindingIds, LogPivots

#: Admin-like findings count from this long before the first compromise trace.
WINDOW_LEAD = timedelta(days=1)


def exploitation_periods() -> dict[str, tuple[datetime, datetime]]:
    """Per wave its exploitation window as [start, end) in UTC: the wave registry's one window, the
    same the log coverage uses."""
    return _periods_of(load_registry())


@functools.lru_cache(maxsize=4)
def _periods_of(registry: Registry) -> dict[str, tuple[datetime, datetime]]:
    return {wid: w.span() for wid, w in registry.windows().items()}


def _periods(ctx: ScanContext) -> dict[str, tuple[datetime, datetime]]:
    out = dict(exploitation_periods())
    for wave, (a, b) in ctx.options.exploitation_windows.items():
        try:
            start = utc(datetime.fromisoformat(str(a).replace("Z", "+00:00")))
            end = utc(datetime.fromisoformat(str(b).replace("Z", "+00:00")))
        except ValueError:
            continue
        if start is not None and end is not None:
            out[wave] = (start, end)
    return out


class EventsCorrelateStage:
    name = "events-correlate"
    requires = (FindingIds, LogPivots, EventPivots)
    provides = (EventJudgement, Correlations)

    def run(self, ctx: ScanContext) -> None:
        anchors = _first_compromise(ctx)
        _apply_incident_window(ctx, anchors)
        _match_attacker_ips(ctx)
        _channel_coverage(ctx, anchors)
        _link_timeline(ctx)


@dataclass(frozen=True, slots=True)
class _Anchors:
    """The first compromise trace per computer (event findings carry the computer that wrote them)
    and the first one that names no computer (web logs, files: they count for every computer)."""

    by_host: dict[str, datetime]
    hostless: datetime | None

    def for_hosts(self, hosts: set[str]) -> datetime | None:
        """The first compromise trace that can concern a finding of ``hosts`` (all when empty)."""
        if not hosts:
            times = list(self.by_host.values())
        else:
            times = [t for h in hosts if (t := self.by_host.get(h)) is not None]
        if self.hostless is not None:
            times.append(self.hostless)
        return min(times) if times else None


def _first_compromise(ctx: ScanContext) -> _Anchors:
    by_host: dict[str, datetime] = {}
    hostless: datetime | None = None
    for f in ctx.result.findings:
        ts = f.first_seen
        if f.outcome not in (Outcome.SUCCESS, Outcome.WEBSHELL) or TAG_WINDOW in f.tags or ts is None:
            continue
        hosts = finding_hosts(f)
        if not hosts:
            hostless = ts if hostless is None or ts < hostless else hostless
        for h in hosts:
            cur = by_host.get(h)
            by_host[h] = ts if cur is None or ts < cur else cur
    return _Anchors(by_host, hostless)


def _apply_incident_window(ctx: ScanContext, anchors: _Anchors) -> None:
    for f in ctx.result.findings:
        if TAG_WINDOW not in f.tags or f.outcome == Outcome.INFO:
            continue
        hosts = finding_hosts(f)
        anchor = anchors.for_hosts(hosts)
        if anchor is None:
            f.outcome = Outcome.INFO
            elsewhere = sorted(set(anchors.by_host) - hosts)
            where = (
                f"No compromise trace was found on {', '.join(sorted(f.indicators.hosts)) or 'this computer'} "
                f"(only on {', '.join(elsewhere[:5])}, whose traces say nothing about this computer)"
                if hosts and elsewhere
                else "No other compromise trace was found"
            )
            f.description = (f.description + " " if f.description else "") + (
                f"{where}, so this is listed for review only (routine admin activity looks the same)."
            )
        elif f.last_seen is not None and f.last_seen < anchor - WINDOW_LEAD:
            f.outcome = Outcome.INFO
            f.description = (f.description + " " if f.description else "") + (
                f"It happened before the first compromise trace ({iso(anchor)}), so it is listed for review only."
            )


def _match_attacker_ips(ctx: ScanContext) -> None:
    attacker_ips = set(ctx.facts.get(LogPivots).attacker_ips)
    event_ips = ctx.facts.get(EventPivots).ips
    for ip in sorted(attacker_ips & set(event_ips)):
        s = event_ips[ip]
        ids = set(s["event_ids"])
        reached = bool(ids & IP_SUCCESS_IDS)
        f = Finding(
            rule_id="EVT-CORR-ATTACKER-IP",
            title=f"Attacker IP {ip} from the web logs also appears in Windows events",
            severity=Severity.HIGH if reached else Severity.MEDIUM,
            confidence=Confidence.MEDIUM,
            outcome=Outcome.SUCCESS if reached else Outcome.ATTEMPT,
            description=(
                f"{ip} attacked the web front end and also appears in {s['count']:,} Windows event(s) "
                f"(event ids {', '.join(str(i) for i in sorted(ids))}): "
                + (
                    "it logged on, accessed a share or was connected to."
                    if reached
                    else "failed logons or other activity."
                )
            ),
            wave=post_exploitation_id(),
            attack=["T1078", "T1021.002"] if reached else ["T1110"],
            tags=["events", "correlation"],
            count=s["count"],
            indicators=Indicators(client_ips=[ip], hosts=list(s.get("computers", []))),
        )
        f.touch(s["first"])
        f.touch(s["last"])
        for sample in s["samples"][:5]:
            f.evidence.append(
                EvidenceLine(
                    source=sample["source"],
                    line=sample["line"],
                    raw=sample["raw"],
                    fields=sample["fields"],
                    timestamp=sample["time"],
                    sha256=ctx.sha256_for(sample["source"]),
                )
            )
        ctx.add_finding(f)


def _channel_coverage(ctx: ScanContext, anchors: _Anchors) -> None:
    section = ctx.facts.get(EventPivots).section
    if not section:
        return
    periods = _periods(ctx)
    for name, ch in section["channels"].items():
        anchor = anchors.for_hosts({k for c in ch.get("computers", []) if (k := host_key(c))})
        first = _parse(ch["first"])
        last = _parse(ch["last"])
        notes: list[str] = ch["notes"]
        for c in ch["cleared"]:
            msg = (
                f"The {c['log']} event log was cleared at {c['time']}"
                + (f" by {c['by']}" if c["by"] else "")
                + ": earlier events in it are gone."
            )
            notes.append(msg)
            ctx.result.coverage.warn(msg)
        if first is not None and anchor is not None and first > anchor:
            msg = (
                f"The {name} event log starts at {iso(first)}, after the first compromise trace ({iso(anchor)}): "
                "it was rolled over or cleared, so events of the attack itself are missing."
            )
            notes.append(msg)
            ctx.result.coverage.warn(msg)
        covered = []
        for wave, (start, end) in periods.items():
            if first is None or last is None:
                continue
            if first > end or last < start:
                continue
            covered.append(wave)
            if first > start:
                notes.append(
                    f"{name} starts at {iso(first)}, after the start of the {wave} exploitation period ({iso(start)})."
                )
        ch["covers_exploitation_periods"] = covered
        if first is not None and not covered:
            notes.append(
                f"{name} ({iso(first)} to {iso(last)}) does not overlap any known exploitation period "
                f"({', '.join(periods)}); events from those periods are not in it."
            )
        for family in (f"evtx:{name}", f"events-export:{name}"):
            fam = ctx.result.coverage.families.get(family)
            if fam is not None:
                for n in notes:
                    if n not in fam.notes:
                        fam.notes.append(n)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _link_timeline(ctx: ScanContext) -> None:
    """Give the event timeline rows the ids of the findings they support."""
    by_line: dict[tuple[str, int | None], list[str]] = {}
    by_title: dict[tuple[str, str], list[str]] = {}
    for f in ctx.result.findings:
        if "events" not in f.tags or not f.id:
            continue
        for ev in f.evidence:
            for ids in (
                by_line.setdefault((ev.source, ev.line), []),
                by_title.setdefault((ev.source, f.title), []),
            ):
                if f.id not in ids:
                    ids.append(f.id)
    for row in ctx.result.timeline:
        if row.kind == "event" and not row.finding_ids:
            ids = by_line.get((row.source, row.line)) or by_title.get(
                (row.source, row.summary.split(" — ", 1)[0]), []
            )
            row.finding_ids = list(ids)
