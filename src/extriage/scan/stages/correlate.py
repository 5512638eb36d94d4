"""Stage ``correlate``: cross-source pivots, then attack stories.

1. Every web shell path found by any stage (the ``webshell_paths`` of :class:`LogPivots`,
   :class:`EventPivots` and :class:`WebFilePivots`: URL paths and Windows paths) is looked up in all
   other sources: as a file in the evidence, and as a URL in the IIS and HttpProxy logs; requests
   from addresses tied to a success are pulled from the same logs. This
   is one targeted second pass over the web logs with the byte prefilter, run only when there is
   something to look for.
2. Findings that are steps of a known chain (``detections/chains/*.yml``) are joined per client IP
   into :class:`~extriage.findings.AttackStory` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from extriage.detections.correlation import build_stories, load_knowledge, path_to_url, url_to_path_tails
from extriage.detections.forwarding import judge_forwarding
from extriage.detections.loglines import MAX_EVIDENCE, cap_raw
from extriage.detections.proofs import apply_proofs
from extriage.detections.waves.registry import other_id, post_exploitation_id
from extriage.evidence.locate import LocatedFile
from extriage.findings import (
    Confidence,
    EvidenceLine,
    Finding,
    Indicators,
    Outcome,
    Severity,
    TimelineEvent,
)
from extriage.formats.sniff import family_from_path, strip_compressed
from extriage.scan.context import Job, ScanContext
from extriage.scan.facts import (
    AttackStories,
    Correlations,
    EventJudgement,
    EventPivots,
    FindingIds,
    LogGroups,
    LogPivots,
    LogSpans,
    WebFilePivots,
)
from extriage.scan.numbering import number_findings
from extriage.scan.stages.logs import (
    SUCCESS_OUTCOMES,
    LogParams,
    pivot_log_file,
    publish_pivots,
    scan_log_file,
)

#: Worker tasks of the raw pivot search: at most this many bytes / files each. The search costs a
#: fifth of the first pass per byte, so the first pass's 8 MB / 64-file tasks left ~1.5 ms of CPU per
#: task in task hand-over (pickles, pipe, wake-ups) against ~2.5 ms of search: 30 % of the pass on 2 GB
#: of logs (BENCHMARKS.md, issue 18, session 14).
PIVOT_BATCH = (48 * 1024 * 1024, 256)

#: Attacker IPs that would make the second pass match most lines are not pivoted on.
_NEVER_PIVOT_IPS = {"127.0.0.1", "::1", "", "-"}
MAX_PIVOT_EVENTS = 2000


@dataclass(slots=True)
class CorrelateStage:
    name: str = "correlate"
    #: EventJudgement: admin-like event findings it turned into info must not start stories
    requires: ClassVar[tuple[type, ...]] = (
        FindingIds, LogPivots, LogGroups, LogSpans, EventPivots, WebFilePivots, EventJudgement
    )
    provides: ClassVar[tuple[type, ...]] = (AttackStories, Correlations)

    def run(self, ctx: ScanContext) -> None:
        # success proven by later lines first: the pivots below follow the addresses of successes
        for f in apply_proofs(ctx.result.findings, load_knowledge()):
            ctx.add_finding(f)
        judge_forwarding(ctx.result.findings)  # outside or not, by the organisation's domains
        _link_events(ctx)
        publish_pivots(ctx, ctx.result.findings)
        _pivot(ctx)
        number_findings(ctx.result)
        _link_events(ctx)
        ctx.result.stories = build_stories(ctx.result.findings, load_knowledge())


def _link_events(ctx: ScanContext) -> None:
    for g in ctx.facts.get(LogGroups).groups.values():
        if g.finding.id:
            for e in g.events:
                if g.finding.id not in e.finding_ids:
                    e.finding_ids.append(g.finding.id)


def _web_logs(ctx: ScanContext, families: set[str]) -> list[LocatedFile]:
    out = []
    for f in ctx.inventory.files:
        fm = family_from_path(f.key)
        if fm is not None and fm.family in families:
            out.append(f)
    # logs recognised by their header only (plain folders): the logs stage recorded them
    known = {f.display() for f in out}
    recorded = {r.path for r in ctx.result.files}
    for f in ctx.inventory.files:
        if f.display() in recorded and f.display() not in known and strip_compressed(f.key).endswith((".log", ".txt")):
            out.append(f)
    return out


def _files_by_tail(files: list[LocatedFile], depths: set[int]) -> dict[str, LocatedFile]:
    """The first file (inventory order) whose key ends in each path tail of ``depths`` components:
    one pass over the files per depth, so looking up thousands of shell URLs stays linear."""
    out: dict[str, LocatedFile] = {}
    for k in sorted(depths):
        for f in files:
            parts = f.key.rsplit("/", k)
            if len(parts) == k + 1:
                out.setdefault("/".join(parts[1:]), f)
            elif len(parts) == k:
                out.setdefault(f.key, f)
    return out


def _pivot(ctx: ScanContext) -> None:
    knowledge = load_knowledge()
    log_pivots = ctx.facts.get(LogPivots)
    shells = (log_pivots.webshell_paths | ctx.facts.get(EventPivots).webshell_paths
              | ctx.facts.get(WebFilePivots).webshell_paths)
    # other requests are pulled only for addresses tied to a success (attempt-only scanners of the
    # whole internet would flood the timeline); LogPivots.attacker_ips keeps them all for joins
    ips = {ip for f in ctx.result.findings if f.outcome in SUCCESS_OUTCOMES
           for ip in f.indicators.client_ips if ip not in _NEVER_PIVOT_IPS}
    urls: set[str] = set()
    for p in shells:
        if p.startswith("/"):
            urls.add(p.lower())
        else:
            u = path_to_url(p, knowledge)
            if u:
                urls.add(u)
    # URL ↔ file: is each shell URL also a file in the evidence?
    present: dict[str, str] = {}
    tails = {u: url_to_path_tails(u, knowledge) for u in urls}
    by_tail = _files_by_tail(ctx.inventory.files, {t.count("/") + 1 for ts in tails.values() for t in ts})
    for u in sorted(urls):
        for tail in tails[u]:
            hit = by_tail.get(tail)
            if hit is not None:
                present[u] = hit.display()
                log_pivots.webshell_paths.add(hit.logical.lower())
                break
    ctx.result.extras.setdefault("logs", {})["pivots"] = {
        "webshell_urls": sorted(urls), "attacker_ips": sorted(ips),
        "webshell_files_in_evidence": present,
    }
    if not urls and not ips:
        return
    names = {u.rsplit("/", 1)[-1] for u in urls if u.rsplit("/", 1)[-1]}
    files = _web_logs(ctx, {"iis", "httpproxy"})
    if not files:
        return
    # Requests from an address are looked up in the IIS logs, which hold every front-end request;
    # an HttpProxy log repeats what the front-end site's IIS log of its day already has, so it is
    # searched for the addresses only where no such IIS log covers its day (IIS logs missing or
    # deleted). Digits-only literals are the slow part of the raw search (BENCHMARKS.md, core).
    iis_days = _iis_days(ctx)
    spans = ctx.facts.get(LogSpans).spans
    full = LogParams(pivot_literals=tuple(sorted(names | ips)), pivot_urls=frozenset(urls),
                     pivot_ips=frozenset(ips), only_families=("iis", "httpproxy"))
    shells_only = LogParams(pivot_literals=tuple(sorted(names)), pivot_urls=frozenset(urls),
                            only_families=("iis", "httpproxy"))
    groups: dict[LogParams, list[LocatedFile]] = {full: [], shells_only: []}
    for log in files:
        covered = ips and _days_covered(spans.get(log.display()), iis_days, "httpproxy")
        groups[shells_only if covered else full].append(log)
    # already-reported lines are not reported twice
    seen = {(e.source, e.line) for f in ctx.result.findings for e in f.evidence}
    seen |= {(e.source, e.line) for e in ctx.result.timeline}
    shell_findings: dict[tuple[str, str, str], Finding] = {}
    ip_findings: dict[str, Finding] = {}
    events = 0
    pending: list[tuple[Finding, TimelineEvent]] = []
    hits: list[dict[str, Any]] = []
    # logs the first pass read and hashed are searched raw first (pivot_log_file; most hold no
    # pivot); any other (e.g. unreadable then) gets the full read, hashing included. Both groups'
    # tasks go to the workers at once: no worker waits at the seam between them (hits are sorted below)
    jobs: list[Job] = []
    for params, todo in groups.items():
        if not todo or not params.pivot_literals:
            continue
        hashed = [f for f in todo if ctx.sha256_for(f.display()) is not None]
        unhashed = [f for f in todo if ctx.sha256_for(f.display()) is None]
        jobs += [Job(pivot_log_file, hashed, params, PIVOT_BATCH), Job(scan_log_file, unhashed, params)]
    for outcome in ctx.map_jobs(jobs, label="pivot"):
        hits.extend(outcome.data.get("pivot_hits", []))
    for h in hits:  # a second read is not hashed again: the digest is the first pass's
        h["sha256"] = h.get("sha256") or ctx.sha256_for(h["source"])
    hits.sort(key=lambda h: (h["ts"] is None, h["ts"] or datetime.min, h["source"], h["line"]))
    for h in hits:
        key = (h["source"], h["line"])
        if key in seen:
            continue  # already shown by a finding or a timeline event
        fields: dict[str, str] = h["fields"]
        stem = fields.get("cs-uri-stem", "").lower()
        ip = fields.get("c-ip", "")
        status = fields.get("sc-status", "")
        ev = EvidenceLine(h["source"], h["line"], cap_raw(h["raw"]), fields, h["ts"], h.get("sha256"))
        if stem in urls:
            outcome_kind = Outcome.WEBSHELL if status == "200" else Outcome.ATTEMPT
            fkey = (stem, ip, outcome_kind.value)
            f = shell_findings.get(fkey)
            if f is None:
                where = f"; the file is in the evidence as {present[stem]}" if stem in present else ""
                f = shell_findings[fkey] = Finding(
                    rule_id="XS-WEBSHELL-URL",
                    title=f"Request to web shell {stem} found in another source",
                    severity=Severity.CRITICAL if outcome_kind == Outcome.WEBSHELL else Severity.HIGH,
                    confidence=Confidence.HIGH,
                    outcome=outcome_kind,
                    description=("A path named as a web shell by one source (OAB generator log, web file scan, event "
                                 f"log or another web log) was requested in the web logs{where}."),
                    wave=post_exploitation_id(), attack=["T1505.003"], count=0,
                    tags=["case:default", f"family:{h['family']}"],
                    indicators=Indicators(client_ips=[ip] if ip else [], urls=[stem],
                                          user_agents=[fields["cs-user-agent"]] if fields.get("cs-user-agent") else []),
                )
            _fold(f, ev)
        elif ip in ips:
            f = ip_findings.get(ip)
            if f is None:
                f = ip_findings[ip] = Finding(
                    rule_id="XS-ATTACKER-IP-ACTIVITY",
                    title=f"Other requests from attacker address {ip}",
                    severity=Severity.INFO, confidence=Confidence.MEDIUM, outcome=Outcome.INFO,
                    description="Requests from an address that other findings tie to the attack, for the timeline.",
                    wave=other_id(), count=0, tags=["case:default", f"family:{h['family']}"],
                    indicators=Indicators(client_ips=[ip]),
                )
            _fold(f, ev)
            if stem:
                f.indicators.merge(Indicators(urls=[stem]))
        else:
            continue
        if h["ts"] is not None and events < MAX_PIVOT_EVENTS:
            events += 1
            seen.add(key)
            pending.append((f, ev_for := TimelineEvent(
                timestamp=h["ts"], source=h["source"], line=h["line"], kind="request",
                summary=f"{fields.get('cs-method', '')} {fields.get('cs-uri-stem', '')} -> HTTP {status}",
                client_ip=ip, raw=cap_raw(h["raw"]),
            )))
            ctx.add_event(ev_for)
    for f in list(shell_findings.values()) + list(ip_findings.values()):
        if f.count:
            ctx.add_finding(f)
    number_findings(ctx.result)
    for f, event in pending:
        if f.id:
            event.finding_ids.append(f.id)
    publish_pivots(ctx, list(shell_findings.values()))


#: A log spanning more days than this is not treated as covering them (a hostile or broken time).
_MAX_SPAN_DAYS = 400


def _iis_days(ctx: ScanContext) -> set[date]:
    """The days the front-end IIS site's logs cover (from their first to their last line). The
    back-end site's logs do not count: their client address is the front end's, not the client's."""
    log_spans = ctx.facts.get(LogSpans)
    front = log_spans.front_end_sites or {"w3svc1"}
    days: set[date] = set()
    for family, first, last, site in log_spans.spans.values():
        if family != "iis" or site not in front or first is None or last is None:
            continue
        if (last - first).days > _MAX_SPAN_DAYS:
            continue
        day = first.date()
        while day <= last.date():
            days.add(day)
            day += timedelta(days=1)
    return days


def _days_covered(span: tuple[str, datetime | None, datetime | None, str] | None, days: set[date], family: str) -> bool:
    """Whether a log of ``family`` with ``span`` lies on days that ``days`` all cover."""
    if span is None or span[0] != family or span[1] is None or span[2] is None:
        return False
    if (span[2] - span[1]).days > _MAX_SPAN_DAYS:
        return False
    day, last = span[1].date(), span[2].date()
    while day <= last:
        if day not in days:
            return False
        day += timedelta(days=1)
    return True


def _fold(f: Finding, ev: EvidenceLine) -> None:
    f.count += 1
    f.touch(ev.timestamp)
    if len(f.evidence) < MAX_EVIDENCE:
        f.evidence.append(ev)


STAGES = [CorrelateStage()]
