"""Reading one event file in a worker process (an ``.evtx`` or an export), and one large JSON-lines
export read by every worker in byte ranges and merged: findings, timeline rows, per-channel
coverage and the facts the events stage folds together (``FileOutcome.data``)."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
from dataclasses import dataclass
from functools import cache
from typing import Any

from extriage.detections.events.collect import (
    EventCollector,
    Identities,
)
from extriage.detections.events.engine import RuleSet, load_rules
from extriage.evidence.locate import LocatedFile
from extriage.evidence.reading import read_artifact, sha256_of
from extriage.evidence.source import native_path, open_artifact, open_seekable
from extriage.findings import (
    FamilyCoverage,
    Finding,
    SkippedFile,
)
from extriage.formats.event_export import (
    SNIFF_BYTES,
    ExportStats,
    iter_export,
    iter_jsonl_range,
    json_shape,
    sniff,
)
from extriage.formats.evtx_file import EvtxError, EvtxStats, iter_evtx
from extriage.scan.context import FileOutcome, ScanContext
from extriage.scan.stages.events.files import JSON_LINES_EXTENSIONS
from extriage.scan.stages.events.merging import extend_identities, merge_channel, merge_ips

#: Why a JSON file holding no Windows event record is not read (listed in ``coverage.skipped``).
NOT_EVENT_RECORDS = {
    "jsonl": "JSON lines but not Windows event records (no EventID/System fields; {n:,} line(s) checked): "
    "not read as an event export",
    "json": "JSON but not Windows event records (no EventID/System fields; {n:,} object(s) checked): "
    "not read as an event export",
}
#: An .evtx inside a zip is copied to a temporary file (the parser needs to seek); larger ones are skipped.
ZIP_EVTX_MAX = 16 * 1024**3


@dataclass(frozen=True, slots=True)
class ReadParams:
    kind: str  # "evtx" | "export"
    rule_dirs: tuple[str, ...]
    #: Keep every event's record id and time (when there are other event files that may hold the
    #: same events: see count_once); off for a lone file, where it would only cost time.
    keep_ids: bool = False


def event_rules(dirs: tuple[str, ...]) -> RuleSet:
    return event_rules_cached(dirs)


@cache
def event_rules_cached(dirs: tuple[str, ...]) -> RuleSet:
    return load_rules(dirs)


def read_event_file(f: LocatedFile, params: ReadParams) -> FileOutcome:
    """Worker: read one event file, match rules, return findings/coverage (runs in a subprocess)."""
    rules = event_rules(params.rule_dirs)
    display = f.display()
    outcome = FileOutcome(display, size=f.ref.size, mtime=f.ref.mtime)
    if params.kind == "evtx":
        coll = EventCollector(rules, display, "evtx", keep_ids=params.keep_ids)
        _read_evtx(f, coll, outcome)
    else:
        coll = EventCollector(rules, display, "events-export", keep_ids=params.keep_ids)
        _read_export(f, coll, outcome)
    findings = coll.finding_list(outcome.sha256)
    outcome.findings.extend(findings)
    outcome.events.extend(coll.events)
    outcome.coverage.extend(coll.coverage(f.ref.size))
    outcome.data.update(
        {
            "finding_keys": [list(k) for k in coll.findings],
            "finding_ids": [_ids_of(coll, k) for k in coll.findings],
            "webshell_paths": sorted(coll.webshell_paths),
            "ips": coll.ip_index(),
            "channels": coll.channel_summary(),
            "no_time": coll.no_time,
            "bad_time": [coll.bad_time, coll.bad_time_example],
            "time_fields": coll.time_fields,
            "idents": coll.identities(),
            "ip_idents": coll.ip_identities(),
        }
    )
    return outcome


def _read_evtx(f: LocatedFile, coll: EventCollector, outcome: FileOutcome) -> None:
    display = f.display()
    stats = EvtxStats()
    try:
        # the parser seeks: the evidence layer gives a seekable stream whatever holds the file
        # (a folder, an image, a temporary copy of a compressed zip member)
        outcome.sha256 = sha256_of(f.ref)
        with open_seekable(f.ref, ZIP_EVTX_MAX) as fh:
            for rec in iter_evtx(fh, f.ref.size, display, stats, path=native_path(f.ref)):
                coll.feed(rec)
    except EvtxError as exc:
        outcome.skipped.append(SkippedFile(display, str(exc).replace(display, "file", 1)))
        return
    outcome.data["evtx"] = {"records": stats.records, "errors": stats.errors, "padded": stats.padded}
    if stats.errors or stats.padded:
        parts = list(stats.notes)
        if stats.errors:
            parts.append(
                f"{stats.errors:,} damaged record(s)/chunk(s) not readable (first: {stats.first_error})"
            )
        outcome.skipped.append(SkippedFile(display, "; ".join(parts), partial=True))
    if stats.records == 0 and not stats.errors:
        outcome.data["empty"] = True
        outcome.skipped.append(SkippedFile(display, "EVTX file holds no event records (an empty log): nothing to check in it"))


def _read_export(f: LocatedFile, coll: EventCollector, outcome: FileOutcome) -> None:
    display = f.display()
    stats = ExportStats()
    with read_artifact(f.ref) as reader:
        head = reader.read(SNIFF_BYTES)
        kind = sniff(head)
        sniffed = bool(kind)
        if not kind:  # JSON showing no event in its head (see worth_probing): read it to find out
            kind = json_shape(head).kind
            if not kind and f.key.endswith(JSON_LINES_EXTENSIONS) and b"\n" not in head.rstrip(b"\r\n"):
                kind = "jsonl"  # a first line longer than the head: read line by line after it
        if not kind:
            outcome.data["not_events"] = True
            return
        try:
            for rec in iter_export(reader, kind, head, stats):
                coll.feed(rec)
        finally:
            reader.drain()
            sha256 = reader.hexdigest()
    if stats.events == 0 and kind in NOT_EVENT_RECORDS and (stats.not_events or not sniffed):
        # JSON, but no Windows event record in it: no event export (and no event log present)
        outcome.data["not_events"] = True
        if stats.not_events:  # (a file that is not even valid JSON stays unmentioned, as before)
            reason = NOT_EVENT_RECORDS[kind].format(n=stats.not_events)
            if stats.bad or stats.long_lines:
                reason += f"; {stats.bad + stats.long_lines:,} line(s) not readable (first: {stats.first_problem})"
            outcome.skipped.append(SkippedFile(display, reason))
        return
    outcome.sha256 = sha256
    outcome.data["export"] = _stats_dict(stats)
    outcome.skipped.extend(_export_problems(display, outcome.data["export"]))


def _stats_dict(stats: ExportStats) -> dict[str, Any]:
    return {
        "kind": stats.kind,
        "lines": stats.lines,
        "events": stats.events,
        "not_events": stats.not_events,
        "bad": stats.bad,
        "long_lines": stats.long_lines,
        "first_problem": stats.first_problem,
    }


def _export_problems(display: str, st: dict[str, Any]) -> list[SkippedFile]:
    out: list[SkippedFile] = []
    problems = []
    if st["bad"] or st["long_lines"]:
        problems.append(
            f"{st['bad'] + st['long_lines']:,} line(s) not readable (first: {st['first_problem']})"
        )
    if st["not_events"]:
        what = {"jsonl": "JSON line(s)", "json": "JSON object(s)", "csv": "CSV row(s)"}.get(st["kind"], "record(s)")
        problems.append(
            f"{st['not_events']:,} {what} were not Windows event records (no EventID/System fields) and were "
            f"ignored; {st['events']:,} event(s) were read"
        )
    if problems:
        out.append(SkippedFile(display, "; ".join(problems), partial=True))
    if st["events"] == 0:
        out.append(SkippedFile(display, "looked like an event export but held no readable events"))
    return out


#: UTF-8 JSON-lines exports at least this large are split into byte ranges, one per worker.
SPLIT_MIN = 32 * 1024 * 1024


def _ids_of(coll: EventCollector, key: tuple[str, ...]) -> set[int] | None:
    """Event identities folded into one finding (empty when its events have no record id; None when
    too many to keep)."""
    return coll.ids.get(key, set())


def read_export_part(f: LocatedFile, params: ReadParams, start: int, end: int) -> FileOutcome:
    """Worker: the events of the lines that begin in ``[start, end)`` of one export (no hash)."""
    rules = event_rules(params.rule_dirs)
    display = f.display()
    coll = EventCollector(rules, display, "events-export", keep_ids=params.keep_ids)
    stats = ExportStats()
    with open_artifact(f.ref) as fh:
        for rec in iter_jsonl_range(fh, start, end, stats):
            coll.feed(rec)
    outcome = FileOutcome(display, size=f.ref.size, mtime=f.ref.mtime)
    outcome.findings = coll.finding_list(None)
    outcome.events = coll.events
    outcome.coverage = coll.coverage(0)
    outcome.data.update(
        {
            "finding_keys": [list(k) for k in coll.findings],
            "finding_ids": [_ids_of(coll, k) for k in coll.findings],
            "webshell_paths": sorted(coll.webshell_paths),
            "ips": coll.ip_index(),
            "channels": coll.channel_summary(),
            "no_time": coll.no_time,
            "bad_time": [coll.bad_time, coll.bad_time_example],
            "time_fields": coll.time_fields,
            "export": _stats_dict(stats),
            "idents": coll.identities(),
            "ip_idents": coll.ip_identities(),
        }
    )
    return outcome


def read_export_split(ctx: ScanContext, f: LocatedFile, params: ReadParams) -> FileOutcome:
    """Read one large export with every worker (byte ranges), hash it meanwhile, merge the parts."""
    n = ctx.options.workers()
    size = f.ref.size
    bounds = [size * i // n for i in range(n + 1)]
    display = f.display()
    with cf.ProcessPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(read_export_part, f, params, a, b) for a, b in itertools.pairwise(bounds)]
        try:
            sha = sha256_of(f.ref)
        except OSError as exc:
            for fut in futures:
                fut.cancel()
            return FileOutcome(
                display, skipped=[SkippedFile(display, f"cannot be read: {exc.strerror or exc}")]
            )
        parts: list[FileOutcome] = []
        for fut in futures:
            try:
                parts.append(fut.result())
            except Exception as exc:  # a part that failed must not pass silently
                return FileOutcome(
                    display,
                    sha256=sha,
                    size=size,
                    skipped=[SkippedFile(display, f"could not be processed ({type(exc).__name__}: {exc})")],
                )
    merged = FileOutcome(display, sha256=sha, size=size, mtime=f.ref.mtime)
    by_key: dict[tuple[str, ...], Finding] = {}
    fams: dict[str, FamilyCoverage] = {}
    totals: dict[str, Any] = {
        "kind": "jsonl",
        "lines": 0,
        "events": 0,
        "not_events": 0,
        "bad": 0,
        "long_lines": 0,
        "first_problem": "",
    }
    channels: dict[str, Any] = {}
    ips: dict[str, dict[str, Any]] = {}
    time_fields: dict[str, int] = {}
    no_time = 0
    bad_time: list[Any] = [0, ""]
    webshells: set[str] = set()
    ids_by_key: dict[tuple[str, ...], set[int] | None] = {}
    idents: Identities = {}
    ip_idents: dict[str, Identities] = {}
    for part in parts:
        for key_list, finding, ids in zip(
            part.data["finding_keys"], part.findings, part.data["finding_ids"], strict=True
        ):
            key = tuple(key_list)
            cur = by_key.get(key)
            if cur is None:
                by_key[key] = finding
                ids_by_key[key] = ids
                continue
            known = ids_by_key[key]
            ids_by_key[key] = known | ids if known is not None and ids is not None else None
            cur.count += finding.count
            cur.touch(finding.first_seen)
            cur.touch(finding.last_seen)
            cur.evidence = (cur.evidence + finding.evidence)[: max(len(cur.evidence), 5)]
            cur.indicators.merge(finding.indicators)
        merged.events.extend(part.events)
        for fam in part.coverage:
            if fam.family not in fams:
                fams[fam.family] = FamilyCoverage(fam.family, files=1, bytes=size if not fams else 0)
            fams[fam.family].absorb(
                FamilyCoverage(
                    fam.family,
                    lines=fam.lines,
                    parsed=fam.parsed,
                    first=fam.first,
                    last=fam.last,
                    notes=fam.notes,
                )
            )
        st = part.data["export"]
        for k in ("lines", "events", "not_events", "bad", "long_lines"):
            totals[k] += st[k]
        totals["first_problem"] = totals["first_problem"] or st["first_problem"]
        for ch in part.data["channels"]:
            merge_channel(channels, ch, "export", display)
        merge_ips(ips, part.data["ips"])
        for k, v in part.data["time_fields"].items():
            time_fields[k] = time_fields.get(k, 0) + v
        no_time += part.data["no_time"]
        bad_time[0] += part.data["bad_time"][0]
        bad_time[1] = bad_time[1] or part.data["bad_time"][1]
        webshells.update(part.data["webshell_paths"])
        extend_identities(idents, part.data["idents"])
        for ip, by_channel in part.data["ip_idents"].items():
            extend_identities(ip_idents.setdefault(ip, {}), by_channel)
    for finding in by_key.values():
        for ev in finding.evidence:
            ev.sha256 = sha
    merged.findings = list(by_key.values())
    merged.coverage = list(fams.values())
    finding_keys = [list(k) for k in by_key]
    finding_ids = [ids_by_key[k] for k in by_key]
    merged.skipped = _export_problems(display, totals)
    merged.data = {
        "finding_keys": finding_keys,
        "finding_ids": finding_ids,
        "webshell_paths": sorted(webshells),
        "ips": ips,
        "channels": [
            {
                "channel": c["channel"],
                "records": c["records"],
                "first": c["first"],
                "last": c["last"],
                "cleared": c["cleared"],
                "computers": c["computers"],
            }
            for c in channels.values()
        ],
        "no_time": no_time,
        "bad_time": bad_time,
        "time_fields": time_fields,
        "export": totals,
        "split": n,
        "idents": idents,
        "ip_idents": ip_idents,
    }
    return merged
