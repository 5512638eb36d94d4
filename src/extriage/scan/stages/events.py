"""Scan stages for Windows event evidence: ``.evtx`` files and exported events.

Phase 10 (``events``): find ``*.evtx`` anywhere and event exports by content, read each in a worker
process, match the event rules, record hashes and per-channel coverage. Web shell paths written by
events go to ``ctx.shared["webshell_paths"]`` for the correlate stage; the remote IPs seen in events
go to ``ctx.shared["event_ips"]`` (``{ip: {"count", "first", "last", "event_ids", "samples"}}``).

Phase 50 (``events-correlate``, runs before the core correlate stage): match the attacker IPs of the
web logs (``ctx.shared["attacker_ips"]``) against event IPs, decide whether admin-like findings
(account creation, mailbox exports...) fall inside the incident window, and say per channel whether
the log still reached back to the attack or was cleared or rolled over.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import itertools
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from extriage.datafiles import load_yaml
from extriage.detections.events.collect import (
    IP_SUCCESS_IDS,
    MAX_EVIDENCE,
    TAG_WINDOW,
    EventCollector,
    Identities,
    apply_sequences,
    evidence_identity,
    finding_hosts,
    host_key,
    packed_identities,
    sample_identity,
)
from extriage.detections.events.engine import RuleError, RuleSet, load_rules
from extriage.evidence.locate import LocatedFile
from extriage.evidence.reading import read_artifact, sha256_of
from extriage.evidence.source import open_artifact, real_file
from extriage.findings import (
    AttackStory,
    Confidence,
    EvidenceLine,
    FamilyCoverage,
    Finding,
    Indicators,
    Outcome,
    Severity,
    SkippedFile,
    StoryStep,
    iso,
    utc,
)
from extriage.formats.event_export import (
    SNIFF_BYTES,
    ExportStats,
    iter_export,
    iter_jsonl_range,
    json_shape,
    sniff,
)
from extriage.formats.event_record import cap
from extriage.formats.evtx_file import EvtxError, EvtxStats, iter_evtx
from extriage.scan.context import FileOutcome, ScanContext

EXPORT_EXTENSIONS = (".json", ".jsonl", ".ndjson", ".csv", ".txt")
JSON_EXTENSIONS = (".json", ".jsonl", ".ndjson")
JSON_LINES_EXTENSIONS = (".jsonl", ".ndjson")
#: Why a JSON file holding no Windows event record is not read (listed in ``coverage.skipped``).
NOT_EVENT_RECORDS = {
    "jsonl": "JSON lines but not Windows event records (no EventID/System fields; {n:,} line(s) checked): "
    "not read as an event export",
    "json": "JSON but not Windows event records (no EventID/System fields; {n:,} object(s) checked): "
    "not read as an event export",
}
_NOT_EXPORT_FOLDERS = ("/logging/", "/clientaccess/", "/frontend/", "/inetpub/logs/", "/node_modules/", "/winsxs/")
#: An .evtx inside a zip is copied to a temporary file (the parser needs to seek); larger ones are skipped.
ZIP_EVTX_MAX = 16 * 1024**3
#: Computer names listed per channel and for the whole collection (``extras.events.computers``).
MAX_COMPUTERS = 100
#: Sniffing reads at most this much of each candidate export in the main process.
_SNIFF_HEAD = 4096


# -- phase 10 --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Params:
    kind: str  # "evtx" | "export"
    rule_dirs: tuple[str, ...]
    #: Keep every event's record id and time (when there are other event files that may hold the
    #: same events: see count_once); off for a lone file, where it would only cost time.
    keep_ids: bool = False


def _rules(dirs: tuple[str, ...]) -> RuleSet:
    return _rules_cached(dirs)


@cache
def _rules_cached(dirs: tuple[str, ...]) -> RuleSet:
    return load_rules(dirs)


def is_evtx(f: LocatedFile) -> bool:
    return f.key.endswith(".evtx")


def is_export_candidate(f: LocatedFile) -> bool:
    if not f.key.endswith(EXPORT_EXTENSIONS) or f.ref.size == 0:
        return False
    # Exchange's own logs, web folders and Windows' own files never hold event exports: skip them
    # without opening (a drive image has thousands of .txt/.json files there).
    key = "/" + f.key
    if any(part in key for part in _NOT_EXPORT_FOLDERS):
        return False
    return not (key.startswith(("/c:/windows/", "/windows/")) and "/winevt/" not in key)


def sniff_file(f: LocatedFile, plain: bool = False) -> str:
    """The export shape of ``f`` ("jsonl", "json", "csv"); "probe" for a JSON file that shows no
    event in its head but is read anyway, to list it as not read when it holds none (see
    :func:`worth_probing`); "" for a file that is no event export."""
    try:
        with open_artifact(f.ref) as fh:
            head = fh.read(_SNIFF_HEAD)
            if len(head) == _SNIFF_HEAD and not sniff(head) and _may_need_more(head):
                head += fh.read(SNIFF_BYTES - _SNIFF_HEAD)
    except OSError:
        return ""
    kind = sniff(head)
    if not kind and worth_probing(f.key, head, plain):
        return "probe"
    return kind


def _may_need_more(head: bytes) -> bool:
    """Whether a head that shows no export may show one further on: JSON whose first record is longer
    than the head (a ``ConvertTo-Json`` message), or a long or damaged first line (a comment, junk)."""
    body = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    return body[:1] in (b"[", b"{", b"#") or head.count(b"\n") < 2 or b'"\x00' in head[:64]


def worth_probing(key: str, head: bytes, plain: bool) -> bool:
    """Whether a JSON file whose head shows no Windows event is read all the same — to find events
    further on, or to name it in "not read" when it holds none. Where the user pointed at a plain
    folder (or file) that is any ``.json``/``.jsonl``/``.ndjson`` holding JSON; in a drive image or
    collection, where applications keep many JSON settings files, only JSON lines (a ``.jsonl`` or
    ``.ndjson`` file, or a ``.json`` file of two or more one-object lines)."""
    if not key.endswith(JSON_EXTENSIONS):
        return False
    if key.endswith(JSON_LINES_EXTENSIONS) and b"\n" not in head.rstrip(b"\r\n"):
        return True  # one damaged or over-long first line: the lines after it may be events
    shape = json_shape(head)
    if not shape.kind:
        return False
    if plain:
        return True
    return shape.kind == "jsonl" and (key.endswith(JSON_LINES_EXTENSIONS) or shape.object_lines >= 2)


def read_event_file(f: LocatedFile, params: _Params) -> FileOutcome:
    """Worker: read one event file, match rules, return findings/coverage (runs in a subprocess)."""
    rules = _rules(params.rule_dirs)
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
        if f.ref.spec.kind == "zip":
            # the parser seeks: an .evtx inside an archive is streamed into a temporary file outside the
            # evidence (deleted after), never read whole into memory (area "evidence")
            with real_file(f.ref, ZIP_EVTX_MAX) as real, open(real, "rb") as fh:
                digest = hashlib.sha256()
                while chunk := fh.read(4 * 1024 * 1024):
                    digest.update(chunk)
                outcome.sha256 = digest.hexdigest()
                fh.seek(0)
                for rec in iter_evtx(fh, f.ref.size, display, stats, path=real):
                    coll.feed(rec)
        else:
            outcome.sha256 = sha256_of(f.ref)
            real = f.ref.spec.root if f.ref.spec.kind == "file" else str(Path(f.ref.spec.root) / f.ref.member)
            with open_artifact(f.ref) as fh:
                for rec in iter_evtx(fh, f.ref.size, display, stats, path=real):
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


# -- one large JSON-lines export read by several workers ------------------------------------------------

#: UTF-8 JSON-lines exports at least this large are split into byte ranges, one per worker.
SPLIT_MIN = 32 * 1024 * 1024


def _ids_of(coll: EventCollector, key: tuple[str, ...]) -> set[int] | None:
    """Event identities folded into one finding (empty when its events have no record id; None when
    too many to keep)."""
    return coll.ids.get(key, set())


def read_export_part(f: LocatedFile, params: _Params, start: int, end: int) -> FileOutcome:
    """Worker: the events of the lines that begin in ``[start, end)`` of one export (no hash)."""
    rules = _rules(params.rule_dirs)
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


def read_export_split(ctx: ScanContext, f: LocatedFile, params: _Params) -> FileOutcome:
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
            _merge_channel(channels, ch, "export", display)
        _merge_ips(ips, part.data["ips"])
        for k, v in part.data["time_fields"].items():
            time_fields[k] = time_fields.get(k, 0) + v
        no_time += part.data["no_time"]
        bad_time[0] += part.data["bad_time"][0]
        bad_time[1] = bad_time[1] or part.data["bad_time"][1]
        webshells.update(part.data["webshell_paths"])
        _extend_identities(idents, part.data["idents"])
        for ip, by_channel in part.data["ip_idents"].items():
            _extend_identities(ip_idents.setdefault(ip, {}), by_channel)
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


def _extend_identities(into: Identities, new: Identities) -> None:
    for channel, by_computer in new.items():
        mine = into.setdefault(channel, {})
        for computer, ids in by_computer.items():
            if computer in mine:
                mine[computer][0].extend(ids[0])
                mine[computer][1].extend(ids[1])
            else:
                mine[computer] = ids


class EventsStage:
    name = "events"
    phase = 10

    def run(self, ctx: ScanContext) -> None:
        extra_dirs = tuple(str(d) for d in ctx.options.extra.get("event_rules_dirs", []))
        try:
            rules = _rules(extra_dirs)
        except (RuleError, OSError) as exc:
            ctx.result.coverage.warn(
                f"Event rules could not be loaded ({exc}); Windows events were not checked."
            )
            return
        evtx_files = [f for f in ctx.inventory.files if is_evtx(f)]
        exports: list[LocatedFile] = []
        big: list[LocatedFile] = []
        plain = ctx.inventory.layout.removeprefix("zip:") in ("folder", "file")
        for f in ctx.inventory.files:
            if is_evtx(f) or not is_export_candidate(f):
                continue
            kind = sniff_file(f, plain)
            if not kind:
                continue
            if (
                kind == "jsonl"
                and f.ref.size >= SPLIT_MIN
                and f.ref.spec.kind != "zip"
                and ctx.options.workers() > 1
            ):
                big.append(f)
            else:
                exports.append(f)
        keep_ids = len(evtx_files) + len(exports) + len(big) > 1  # else no event can be read twice
        section: dict[str, Any] = {"files": [], "channels": {}}
        ctx.result.extras["events"] = section
        webshells: set[str] = ctx.shared.setdefault("webshell_paths", set())
        ips: dict[str, dict[str, Any]] = ctx.shared.setdefault("event_ips", {})
        my_findings: list[Finding] = []
        folded: list[tuple[tuple[str, ...], Finding, set[int] | None, str]] = []
        read: list[_ReadFile] = []

        def outcomes() -> Iterator[tuple[str, FileOutcome]]:
            for f in big:
                outcome = read_export_split(ctx, f, _Params("export", extra_dirs, keep_ids))
                ctx.merge(outcome)
                yield "export", outcome
            for kind, files in (("evtx", evtx_files), ("export", exports)):
                if files:
                    for outcome in ctx.map_files(
                        read_event_file, files, _Params(kind, extra_dirs, keep_ids), label=f"events ({kind})"
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
                _ReadFile(kind, outcome.path, outcome.data.pop("idents", {}), outcome.data.pop("ip_idents", {}))
            )
            webshells.update(outcome.data.get("webshell_paths", []))
            _merge_ips(ips, outcome.data.get("ips", {}))
            entry = {"path": outcome.path, "kind": kind, "sha256": outcome.sha256}
            for key in ("evtx", "export", "no_time", "bad_time", "time_fields", "empty", "split"):
                if key in outcome.data:
                    entry[key] = outcome.data[key]
            section["files"].append(entry)
            for ch in outcome.data.get("channels", []):
                _merge_channel(section["channels"], ch, kind, outcome.path)
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


@dataclass(slots=True)
class _ReadFile:
    """An event file that was read, with the identities of its events (for :func:`count_once`)."""

    kind: str  # "evtx" | "export"
    path: str
    idents: Identities
    ip_idents: dict[str, Identities]


def count_once(
    ctx: ScanContext, files: list[_ReadFile], channels: dict[str, Any], ips: dict[str, dict[str, Any]]
) -> None:
    """Count an event read from two files (an .evtx and an export of the same log, or two copies)
    once in the channels' record counts (``extras.events.channels``) and in the IP index. Events are
    the same when their channel, computer, record id and time to the second are (as for the folding
    of findings, :func:`fold_duplicates`); events without a record id cannot be matched and count
    per file. The first file keeps them, in this order: .evtx files before exports, then by path.
    The coverage families still say how many records each family's files held (what was read), with
    a note naming the records also read elsewhere."""
    order = sorted(files, key=lambda r: (r.kind != "evtx", r.path))
    per_file: dict[tuple[int, str], tuple[int, set[str]]] = {}  # (file, channel) -> (n, earlier files)
    for i, channel, n, earlier in _duplicates([(r.path, r.idents) for r in order]):
        total, paths = per_file.get((i, channel), (0, set()))
        per_file[(i, channel)] = (total + n, paths | set(earlier))
    for (i, channel), (n, paths) in per_file.items():
        rf = order[i]
        ch = channels.get(channel)
        if ch is not None:
            ch["records"] -= n
            ch["duplicates"] = ch.get("duplicates", 0) + n
        family = ctx.result.coverage.families.get(f"{'evtx' if rf.kind == 'evtx' else 'events-export'}:{channel}")
        if family is not None:
            family.notes.append(
                f"{n:,} record(s) of {rf.path} were also read from {', '.join(sorted(paths))} (same channel, "
                "record id, computer and time to the second): the channel's record count counts them once"
            )
    by_ip: dict[str, list[tuple[str, Identities]]] = {}
    for rf in order:
        for ip, idents in rf.ip_idents.items():
            by_ip.setdefault(ip, []).append((rf.path, idents))
    for ip, entries in by_ip.items():
        if len(entries) > 1 and ip in ips:
            ips[ip]["count"] -= sum(n for _, _, n, _ in _duplicates(entries))


def _duplicates(entries: list[tuple[str, Identities]]) -> Iterator[tuple[int, str, int, list[str]]]:
    """For ``(path, identities)`` entries in order: ``(entry index, channel, n, earlier paths)`` for
    each channel of an entry of which ``n`` events were already in earlier entries (of other files)."""
    groups: dict[tuple[str, str], list[tuple[int, str, tuple[array[int], array[float]]]]] = {}
    for i, (_, idents) in enumerate(entries):
        for channel, by_computer in idents.items():
            for computer, ids in by_computer.items():
                if ids[0]:
                    key = (channel.strip().lower(), host_key(computer))
                    groups.setdefault(key, []).append((i, channel, ids))
    for members in groups.values():
        if len({i for i, _, _ in members}) > 1:  # (rare: nearly always one file per channel and computer)
            for i, channel, n, earlier in _shared_events(members):
                yield i, channel, n, sorted(entries[j][0] for j in earlier)


def _shared_events(
    members: list[tuple[int, str, tuple[array[int], array[float]]]],
) -> Iterator[tuple[int, str, int, set[int]]]:
    """For the files (entry index, channel, ids) of one channel and computer, in order:
    ``(entry index, channel, n, entry indexes of earlier files holding them)`` per member of which
    ``n`` events were in earlier members of other files."""
    # record id and time ranges first: identities are built only where two files' ranges meet
    ranges = [(min(ids[0]), max(ids[0]), int(min(ids[1])), int(max(ids[1]))) for _, _, ids in members]
    packed: dict[int, set[int]] = {}

    def identities(k: int) -> set[int]:
        if k not in packed:
            packed[k] = set(packed_identities(members[k][2]))
        return packed[k]

    for k, (i, channel, ids) in enumerate(members):
        r0, r1, t0, t1 = ranges[k]
        hits = [
            h
            for h in range(k)
            if members[h][0] != i
            and ranges[h][0] <= r1
            and r0 <= ranges[h][1]
            and ranges[h][2] <= t1
            and t0 <= ranges[h][3]
        ]
        if not hits:
            continue
        union = identities(hits[0]) if len(hits) == 1 else set().union(*(identities(h) for h in hits))
        mine = packed_identities(ids)
        n = sum(map(union.__contains__, mine))
        if n:
            yield i, channel, n, {members[h][0] for h in hits if not identities(h).isdisjoint(mine)}


def fold_duplicates(
    ctx: ScanContext, folded: list[tuple[tuple[str, ...], Finding, set[int] | None, str]]
) -> set[int]:
    """Fold findings of the same rule, computer and grouping read from *different* files when they
    share events (same channel, record id, computer and time to the second): the same event log
    given both as an .evtx and as a SIEM export must not be counted twice. Returns the ``id()`` of
    the findings removed from ``ctx.result.findings``."""
    groups: dict[tuple[str, ...], list[tuple[Finding, set[int] | None, str]]] = {}
    for key, finding, ids, path in folded:
        groups.setdefault(key, []).append((finding, ids, path))
    dropped: set[int] = set()
    dup_sources: set[str] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        base, base_ids, base_path = members[0]
        if base_ids is None:
            continue
        union = set(base_ids)
        no_id = base.count - len(base_ids)
        seen_ev = {evidence_identity(ev) for ev in base.evidence}
        for other, ids, path in members[1:]:
            if ids is None or path == base_path or not (ids & union):
                continue  # no shared event: a different log, keep it apart
            union |= ids
            no_id += other.count - len(ids)
            base.touch(other.first_seen)
            base.touch(other.last_seen)
            base.indicators.merge(other.indicators)
            for ev in other.evidence:
                ident = evidence_identity(ev)
                if (ident is None or ident not in seen_ev) and len(base.evidence) < MAX_EVIDENCE:
                    base.evidence.append(ev)
                    seen_ev.add(ident)
            if "duplicate-source" not in base.tags:
                base.tags.append("duplicate-source")
            base.description = (
                base.description.rstrip()
                + f" The same events were also read from {path}; they are counted once."
            )
            dropped.add(id(other))
            dup_sources.update((base_path, path))
        base.count = len(union) + max(no_id, 0)
    if dropped:
        ctx.result.findings = [f for f in ctx.result.findings if id(f) not in dropped]
        # The timeline rows of the same event from the second file go too.
        seen_rows: dict[tuple[Any, str], str] = {}
        kept = []
        for row in ctx.result.timeline:
            if row.kind == "event" and row.source in dup_sources:
                first = seen_rows.setdefault((row.timestamp, row.summary), row.source)
                if first != row.source:
                    continue
            kept.append(row)
        ctx.result.timeline = kept
    return dropped


def _merge_ips(into: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> None:
    for ip, s in new.items():
        cur = into.get(ip)
        if cur is None:
            into[ip] = {
                **s,
                "event_ids": list(s["event_ids"]),
                "samples": list(s["samples"]),
                "computers": list(s.get("computers", [])),
            }
            continue
        cur["count"] += s["count"]
        cur["computers"] = sorted(set(cur.get("computers", [])) | set(s.get("computers", [])))[:20]
        for k, pick in (("first", min), ("last", max)):
            vals = [v for v in (cur[k], s[k]) if v is not None]
            cur[k] = pick(vals) if vals else None
        cur["event_ids"] = sorted(set(cur["event_ids"]) | set(s["event_ids"]))
        # the same event read from another file (an .evtx and an export of it) is one sample
        known = {sample_identity(x) for x in cur["samples"]}
        fresh = [x for x in s["samples"] if (ident := sample_identity(x)) is None or ident not in known]
        cur["samples"] = (cur["samples"] + fresh)[:5]


def _merge_channel(into: dict[str, Any], ch: dict[str, Any], kind: str, path: str) -> None:
    cur = into.get(ch["channel"])
    if cur is None:
        cur = into[ch["channel"]] = {
            "channel": ch["channel"],
            "sources": [],
            "records": 0,
            "first": None,
            "last": None,
            "cleared": [],
            "notes": [],
            "computers": [],
        }
    cur["sources"].append({"path": path, "kind": kind})
    for name in ch.get("computers", []):
        if name not in cur["computers"] and len(cur["computers"]) < MAX_COMPUTERS:
            cur["computers"].append(name)
    cur["records"] += ch["records"]
    for k, pick in (("first", min), ("last", max)):
        vals = [v for v in (cur[k], ch[k]) if v]
        cur[k] = pick(vals) if vals else None
    cur["cleared"].extend(ch["cleared"])


# -- phase 50 ----------------------------------------------------------------------------------------

#: Admin-like findings count from this long before the first compromise trace.
WINDOW_LEAD = timedelta(days=1)


@cache
def exploitation_periods() -> dict[str, tuple[datetime, datetime]]:
    text = (
        resources.files("extriage.detections.events").joinpath("exploitation_periods.yml").read_text("utf-8")
    )
    doc = load_yaml(text)
    return {
        wave: (
            datetime.fromisoformat(str(a)).replace(tzinfo=UTC),
            datetime.fromisoformat(str(b)).replace(tzinfo=UTC) + timedelta(days=1),
        )
        for wave, (a, b) in doc.items()
    }


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
    phase = 50

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
    attacker_ips: set[str] = set(ctx.shared.get("attacker_ips") or ())
    event_ips: dict[str, dict[str, Any]] = ctx.shared.get("event_ips") or {}
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
            wave="post-exploitation",
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
    section = ctx.result.extras.get("events")
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


# -- phase 60: event findings join the attack stories --------------------------------------------------

#: An event finding joins a story of its wave when it lies within this distance of the story's span.
STORY_GAP = timedelta(hours=24)
_WAVE_TITLES = {
    "proxylogon": "ProxyLogon",
    "proxyshell": "ProxyShell",
    "proxynotshell": "ProxyNotShell",
    "post-exploitation": "Post-exploitation",
}


class EventsStoryStage:
    """Attach event findings to the attack stories the correlate stage built (one story per attacker
    and wave). A finding of a wave joins that wave's story closest in time; post-exploitation
    findings join the closest story of any wave; without a story nearby they form their own. A story
    holding events of one computer never takes another computer's events (web-log stories name no
    computer and take any). Findings without a time join a story of their computer (and wave) as an
    undated step; only without one do they form a story of their own, titled as undated."""

    name = "events-story"
    phase = 60

    def run(self, ctx: ScanContext) -> None:
        from extriage.scan.pipeline import number_findings

        number_findings(ctx.result)  # findings added at phase 50 get their ids now
        stories = ctx.result.stories
        by_id = {f.id: f for f in ctx.result.findings if f.id}
        hosts_of: dict[int, set[str]] = {id(st): _story_hosts(st, by_id) for st in stories}
        placed = {fid for st in stories for step in st.steps for fid in step.finding_ids}
        todo = [
            f
            for f in ctx.result.findings
            if "events" in f.tags and f.outcome not in (Outcome.INFO, Outcome.SCANNER) and f.id not in placed
        ]
        # dated findings first, so undated ones find the stories their computer's dated events made
        for f in sorted(todo, key=lambda f: f.first_seen is None):
            hosts = finding_hosts(f)
            story = _closest_story(stories, f, hosts, hosts_of)
            if story is None:
                title = _WAVE_TITLES.get(f.wave, f.wave.title() or "Attack")
                where = f" on {sorted(f.indicators.hosts)[0]}" if len(hosts) == 1 and f.indicators.hosts else ""
                undated = " (event times unknown)" if f.first_seen is None else ""
                story = AttackStory(
                    wave=f.wave or "other",
                    title=f"{title} traces in Windows event logs{where}{undated}",
                    outcome=Outcome.ATTEMPT,
                )
                stories.append(story)
                hosts_of[id(story)] = set()
            hosts_of[id(story)] |= hosts
            detail = f"{f.outcome.value}, {f.count} event(s)" + ("" if f.first_seen else ", time unknown")
            story.steps.append(StoryStep(f.first_seen, f.title, detail, [f.id]))
            story.steps.sort(key=lambda st: (st.timestamp or _FAR, st.title))
            if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL):
                story.outcome = Outcome.SUCCESS
            for ts in (f.first_seen, f.last_seen):
                if ts is not None:
                    story.first_seen = (
                        ts if story.first_seen is None or ts < story.first_seen else story.first_seen
                    )
                    story.last_seen = (
                        ts if story.last_seen is None or ts > story.last_seen else story.last_seen
                    )
            for ip in f.indicators.client_ips:
                if ip not in story.client_ips and f.rule_id == "EVT-CORR-ATTACKER-IP":
                    story.client_ips.append(ip)
        for st in stories:  # (e.g. a chain story the correlate stage built from undated events only)
            if st.first_seen is None and st.steps and "times unknown" not in st.title and all(
                (found := by_id.get(fid)) is not None and "events" in found.tags
                for step in st.steps
                for fid in step.finding_ids
            ):
                st.title += " (event times unknown)"


_FAR = datetime.max.replace(tzinfo=UTC)


def _story_hosts(story: AttackStory, by_id: dict[str, Finding]) -> set[str]:
    """The computers whose events a story already holds (empty for a story of web logs only)."""
    out: set[str] = set()
    for step in story.steps:
        for fid in step.finding_ids:
            f = by_id.get(fid)
            if f is not None:
                out |= finding_hosts(f)
    return out


def _shift(ts: datetime, delta: timedelta) -> datetime:
    """``ts + delta`` held within the years datetime can hold (no OverflowError near 0001 or 9999)."""
    try:
        return ts + delta
    except OverflowError:
        return _FAR if delta > timedelta(0) else datetime.min.replace(tzinfo=UTC)


def _closest_story(
    stories: list[AttackStory], f: Finding, hosts: set[str], hosts_of: dict[int, set[str]]
) -> AttackStory | None:
    """The story ``f`` joins: of its wave (any wave for post-exploitation), not holding another
    computer's events; the closest in time within STORY_GAP of its span — or, for a finding without
    a time, the first such story that holds events of its computer (or, when the collection holds
    one computer only, the first dated one)."""
    ts = f.first_seen
    best: tuple[timedelta, AttackStory] | None = None
    if ts is None:
        return _story_for_undated(stories, f, hosts, hosts_of)
    for st in stories:
        if f.wave != "post-exploitation" and st.wave != f.wave:
            continue
        theirs = hosts_of.get(id(st), set())
        if hosts and theirs and not (hosts & theirs):
            continue  # another computer's story
        if st.first_seen is None:
            continue
        last = st.last_seen or st.first_seen
        if _shift(st.first_seen, -STORY_GAP) <= ts <= _shift(last, STORY_GAP):
            dist = (
                timedelta(0) if st.first_seen <= ts <= last else min(abs(ts - st.first_seen), abs(ts - last))
            )
            if best is None or dist < best[0]:
                best = (dist, st)
    return best[1] if best else None


def _story_for_undated(
    stories: list[AttackStory], f: Finding, hosts: set[str], hosts_of: dict[int, set[str]]
) -> AttackStory | None:
    """A finding without a time joins the first dated story of its wave holding its computer's
    events (or any dated one of its wave when no story holds another computer's events), else the
    undated story of its computer and wave made before."""
    fits = [
        st
        for st in stories
        if (f.wave == "post-exploitation" or st.wave == f.wave)
        and not (hosts and hosts_of.get(id(st)) and not hosts & hosts_of[id(st)])
    ]
    for st in fits:
        if st.first_seen is not None and (hosts_of.get(id(st), set()) & hosts or not _other_hosts(hosts_of, hosts)):
            return st
    for st in fits:
        if st.first_seen is None and hosts_of.get(id(st), set()) == hosts and st.wave == (f.wave or "other"):
            return st
    return None


def _other_hosts(hosts_of: dict[int, set[str]], hosts: set[str]) -> bool:
    """Whether any story holds events of a computer other than ``hosts``."""
    return any(theirs - hosts for theirs in hosts_of.values())


STAGES = [EventsStage(), EventsCorrelateStage(), EventsStoryStage()]
