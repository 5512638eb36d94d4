"""Stage ``events``: find the event logs and exports, read each in a worker, fold the same events
read twice, apply the rules' sequences, and say per channel and computer what was read.

Provides :class:`~extriage.scan.facts.EventPivots`: the web shell paths events wrote, the remote
IPs seen in events, and the ``extras["events"]`` section of the result (files, channels, computers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extriage.detections.events.collect import (
    apply_sequences,
    host_key,
)
from extriage.detections.events.engine import RuleError
from extriage.evidence.locate import LocatedFile
from extriage.evidence.source import seeks_in_place
from extriage.findings import (
    Finding,
)
from extriage.formats.event_record import cap
from extriage.scan.context import FileOutcome, ScanContext
from extriage.scan.facts import Detections, EventPivots
from extriage.scan.stages.events.files import is_evtx, is_export_candidate, sniff_file
from extriage.scan.stages.events.merging import (
    MAX_COMPUTERS,
    ReadFile,
    count_once,
    fold_duplicates,
    merge_channel,
    merge_ips,
)
from extriage.scan.stages.events.reading import (
    EVTX_SPLIT_MIN,
    SPLIT_MIN,
    ReadParams,
    event_rules,
    read_event_file,
    read_export_split,
)


class EventsStage:
    name = "events"
    requires = ()
    provides = (EventPivots, Detections)

    def run(self, ctx: ScanContext) -> None:
        extra_dirs = tuple(str(d) for d in ctx.options.extra.get("event_rules_dirs", []))
        try:
            rules = event_rules(extra_dirs)
        except (RuleError, OSError) as exc:
            ctx.result.coverage.warn(
                f"Event rules could not be loaded ({exc}); Windows events were not checked."
            )
            return
        split = ctx.options.workers() > 1
        evtx_files: list[LocatedFile] = []
        big_evtx: list[LocatedFile] = []  # read by every worker, in chunk ranges
        for f in ctx.inventory.files:
            if is_evtx(f):
                if split and f.ref.size >= EVTX_SPLIT_MIN and seeks_in_place(f.ref):
                    big_evtx.append(f)
                else:
                    evtx_files.append(f)
        exports: list[LocatedFile] = []
        big: list[LocatedFile] = []
        plain = ctx.inventory.plain
        for f in ctx.inventory.files:
            if is_evtx(f) or not is_export_candidate(f):
                continue
            kind = sniff_file(f, plain)
            if not kind:
                continue
            if (
                kind == "jsonl"
                and f.ref.size >= SPLIT_MIN
                and seeks_in_place(f.ref)
                and ctx.options.workers() > 1
            ):
                big.append(f)
            else:
                exports.append(f)
        keep_ids = len(evtx_files) + len(big_evtx) + len(exports) + len(big) > 1  # else no event can be read twice
        section: dict[str, Any] = {"files": [], "channels": {}}
        ctx.result.extras["events"] = section
        pivots = ctx.facts.get(EventPivots)
        pivots.section = section
        webshells, ips = pivots.webshell_paths, pivots.ips
        my_findings: list[Finding] = []
        folded: list[tuple[tuple[str, ...], Finding, set[int] | None, str]] = []
        read: list[ReadFile] = []

        def outcomes() -> Iterator[tuple[str, FileOutcome]]:
            for kind, files in (("evtx", big_evtx), ("export", big)):
                for f in files:
                    outcome = read_export_split(ctx, f, ReadParams(kind, extra_dirs, keep_ids))
                    ctx.merge(outcome)
                    yield kind, outcome
            for kind, files in (("evtx", evtx_files), ("export", exports)):
                if files:
                    for outcome in ctx.map_files(
                        read_event_file, files, ReadParams(kind, extra_dirs, keep_ids), label=f"events ({kind})"
                    ):
                        yield kind, outcome

        for kind, outcome in outcomes():
            my_findings.extend(outcome.findings)
            keys = outcome.data.get("finding_keys")
            ids_list = outcome.data.get("finding_ids")
            if keys is not None and ids_list is not None:
                for key_list, finding, ids in zip(keys, outcome.findings, ids_list, strict=True):
                    folded.append((tuple(key_list), finding, ids, outcome.path))
            if outcome.data.get("not_events"):
                continue
            read.append(
                ReadFile(kind, outcome.path, outcome.data.pop("idents", {}), outcome.data.pop("ip_idents", {}))
            )
            webshells.update(outcome.data.get("webshell_paths", []))
            merge_ips(ips, outcome.data.get("ips", {}))
            entry = {"path": outcome.path, "kind": kind, "sha256": outcome.sha256}
            for key in ("evtx", "export", "no_time", "bad_time", "time_fields", "empty", "split"):
                if key in outcome.data:
                    entry[key] = outcome.data[key]
            section["files"].append(entry)
            for ch in outcome.data.get("channels", []):
                merge_channel(section["channels"], ch, kind, outcome.path)
        count_once(ctx, read, section["channels"], ips)
        dropped = fold_duplicates(ctx, folded)
        if dropped:
            my_findings = [f for f in my_findings if id(f) not in dropped]
        for seq_finding in apply_sequences(my_findings, rules.sequences):
            ctx.add_finding(seq_finding)
            my_findings.append(seq_finding)
        undated = [(e["path"], e["no_time"]) for e in section["files"] if e.get("no_time")]
        if undated:
            total = sum(n for _, n in undated)
            where = ", ".join(f"{p} ({n:,})" for p, n in undated[:3]) + (" …" if len(undated) > 3 else "")
            bad = [e["bad_time"] for e in section["files"] if e.get("bad_time") and e["bad_time"][0]]
            invalid = (
                f"; {sum(n for n, _ in bad):,} of them carried a time out of range, marked invalid "
                f"(first: {bad[0][1]})"
                if bad
                else ""
            )
            ctx.result.coverage.warn(
                f"{total:,} event(s) had no readable time ({where}){invalid}: they were matched, but are not "
                "in the timeline and not in the channels' time spans."
            )
        _computers(ctx, section)
        if not section["files"]:
            ctx.result.coverage.warn(
                "No Windows event logs (.evtx files or event exports) in the evidence: CVE-2021-26857 traces, "
                "OAB/mailbox-export web shell writes, processes started by IIS, LSASS dumps and new accounts "
                "were not checked."
            )
        else:
            present = {c.lower() for c in section["channels"]}
            missing = [
                c for c in ("Application", "MSExchange Management", "Security") if c.lower() not in present
            ]
            if missing:
                ctx.result.coverage.warn(
                    "Event logs present, but not: "
                    + ", ".join(missing)
                    + " (their detections could not run)."
                )


def _computers(ctx: ScanContext, section: dict[str, Any]) -> None:
    """Say which computers wrote the events (``extras.events.computers``: name, channels, records).
    Several computers in one collection: a coverage warning says so, since their findings are kept
    apart (see :func:`_apply_incident_window`) while web logs and files cannot be told apart by
    computer. One computer: it names the server when nothing else did (``hostname``)."""
    by_key: dict[str, dict[str, Any]] = {}
    for name, ch in sorted(section["channels"].items()):
        for computer in ch.get("computers", []):
            key = host_key(computer)
            if not key:
                continue
            entry = by_key.setdefault(key, {"name": computer, "names": [], "channels": []})
            if computer not in entry["names"]:
                entry["names"].append(computer)
            if len(computer) > len(entry["name"]):  # the FQDN where one file has it
                entry["name"] = computer
            if name not in entry["channels"]:
                entry["channels"].append(name)
    hosts = sorted(by_key.values(), key=lambda e: e["name"].lower())[:MAX_COMPUTERS]
    section["computers"] = hosts
    if len(by_key) > 1:
        names = ", ".join(cap(h["name"], 80) for h in hosts[:10]) + (" …" if len(by_key) > 10 else "")
        ctx.result.coverage.warn(
            f"The event logs come from {len(by_key):,} computers ({names}): findings from events are kept "
            "with the computer that wrote them (one computer's compromise does not turn another's account "
            "events into compromise traces), but web logs and files cannot be told apart by computer — "
            "scan each server's collection on its own where you can."
        )
    elif len(by_key) == 1 and not ctx.result.hostname:
        ctx.result.hostname = hosts[0]["name"]
