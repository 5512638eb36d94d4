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
)
from extriage.detections.events.engine import RuleSet, load_rules
from extriage.evidence.locate import LocatedFile
from extriage.evidence.reading import read_artifact, sha256_and_size, sha256_of
from extriage.evidence.source import native_path, open_artifact, open_seekable
from extriage.findings import (
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
from extriage.formats.evtx_file import (
    HEADER,
    EvtxError,
    EvtxStats,
    check_header,
    chunk_count,
    iter_evtx_batches,
)
from extriage.scan.context import FileOutcome, ScanContext
from extriage.scan.stages.events.files import JSON_LINES_EXTENSIONS

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
    _collected(coll, outcome, f.ref.size)
    return outcome


def _collected(coll: EventCollector, outcome: FileOutcome, size: int) -> None:
    """Put what a collector gathered from a whole file into its outcome."""
    outcome.findings.extend(coll.finding_list(outcome.sha256))
    outcome.events.extend(coll.events)
    outcome.coverage.extend(coll.coverage(size))
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


def _read_evtx(f: LocatedFile, coll: EventCollector, outcome: FileOutcome) -> None:
    display = f.display()
    stats = EvtxStats()
    try:
        # the parser seeks: the evidence layer gives a seekable stream whatever holds the file
        # (a folder, an image, a temporary copy of a compressed zip member)
        outcome.sha256 = sha256_of(f.ref)
        with open_seekable(f.ref, ZIP_EVTX_MAX) as fh:
            for batch in iter_evtx_batches(fh, f.ref.size, display, stats, path=native_path(f.ref), raw=coll.raw_chunk):
                coll.feed_batch(batch)
    except EvtxError as exc:
        outcome.skipped.append(SkippedFile(display, str(exc).replace(display, "file", 1)))
        return
    _evtx_problems(display, stats, outcome)


def _evtx_problems(display: str, stats: EvtxStats, outcome: FileOutcome) -> None:
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


#: ``.evtx`` files at least this large are split into chunk ranges, one per worker.
EVTX_SPLIT_MIN = 32 * 1024 * 1024


def read_export_part(
    f: LocatedFile, params: ReadParams, start: int, end: int
) -> tuple[EventCollector, ExportStats | EvtxStats]:
    """Worker: one part of one large file (no hash) — the export's lines that begin in bytes
    ``[start, end)``, or the ``.evtx`` file's chunks ``start..end-1`` — as a collector to merge."""
    rules = event_rules(params.rule_dirs)
    display = f.display()
    prefix = "evtx" if params.kind == "evtx" else "events-export"
    coll = EventCollector(rules, display, prefix, keep_ids=params.keep_ids, part=True)
    stats: ExportStats | EvtxStats
    if params.kind == "evtx":
        stats = EvtxStats()
        with open_seekable(f.ref, ZIP_EVTX_MAX) as fh:
            for batch in iter_evtx_batches(fh, f.ref.size, display, stats, chunks=(start, end), raw=coll.raw_chunk):
                coll.feed_batch(batch)
    else:
        stats = ExportStats()
        with open_artifact(f.ref) as fh:
            for rec in iter_jsonl_range(fh, start, end, stats):
                coll.feed(rec)
    return coll, stats


def split_ranges(kind: str, size: int, n: int) -> list[tuple[int, int]]:
    """The parts of a file of ``size`` bytes for ``n`` workers: byte ranges of an export, chunk
    ranges of an ``.evtx`` file."""
    total = chunk_count(size) if kind == "evtx" else size
    bounds = [total * i // n for i in range(n + 1)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def read_export_split(ctx: ScanContext, f: LocatedFile, params: ReadParams) -> FileOutcome:
    """Read one large file (a JSON-lines export or an ``.evtx`` file) with every worker, hash it
    meanwhile, and merge the parts in order into what one worker reading it whole would give."""
    n = ctx.options.workers()
    size = f.ref.size
    display = f.display()
    if params.kind == "evtx":  # not EVTX at all: read as a whole file (it stops at the header)
        try:
            with open_seekable(f.ref, ZIP_EVTX_MAX) as fh:
                check_header(fh.read(HEADER), display)
        except EvtxError:
            return read_event_file(f, params)
        except OSError as exc:
            return FileOutcome(display, skipped=[SkippedFile(display, f"cannot be read: {exc.strerror or exc}")])
    ranges = split_ranges(params.kind, size, n)
    if not ranges:  # (nothing past an .evtx file header)
        return read_event_file(f, params)
    # the scan's own workers (from the fork server: never a fork of this process, which may hold
    # threads, e.g. a disk image's hashing), whose rules stay loaded for the stage's other files
    try:
        futures = [ctx.submit(read_export_part, f, params, a, b) for a, b in ranges]
    except cf.BrokenExecutor:  # a worker died in an earlier stage: start afresh, once (as map_files)
        ctx.close()
        futures = [ctx.submit(read_export_part, f, params, a, b) for a, b in ranges]
    try:  # (the workers read the parts of the size listed; the hash is of what the file holds now)
        sha, hashed = sha256_and_size(f.ref)
    except OSError as exc:
        for fut in futures:
            fut.cancel()
        cf.wait(futures)
        return FileOutcome(
            display, skipped=[SkippedFile(display, f"cannot be read: {exc.strerror or exc}")]
        )
    parts: list[tuple[EventCollector, ExportStats | EvtxStats]] = []
    failed: Exception | None = None
    for fut in futures:
        try:
            parts.append(fut.result())
        except Exception as exc:  # a part that failed must not pass silently
            failed = failed or exc
    if isinstance(failed, EvtxError):  # the parser refused the file's header: said as for a whole file
        return read_event_file(f, params)
    if failed is not None:
        return FileOutcome(
            display,
            sha256=sha,
            size=size,
            skipped=[SkippedFile(display, f"could not be processed ({type(failed).__name__}: {failed})")],
        )
    coll = parts[0][0]
    for later, _ in parts[1:]:
        coll.absorb(later)
    merged = FileOutcome(display, sha256=sha, size=size, mtime=f.ref.mtime)
    _collected(coll, merged, size)
    if params.kind == "evtx":
        _evtx_problems(display, _sum_evtx([st for _, st in parts if isinstance(st, EvtxStats)]), merged)
    else:
        totals = _sum_export([st for _, st in parts if isinstance(st, ExportStats)])
        merged.data["export"] = _stats_dict(totals)
        merged.skipped = _export_problems(display, merged.data["export"])
    merged.data["split"] = len(parts)
    if hashed != size:  # grown or cut since it was listed: the hash is not of the bytes read for events
        ctx.result.coverage.warn(
            f"{display} changed while the scan read it ({size:,} bytes when listed, {hashed:,} when hashed; "
            f"SHA-256 {sha} is of the latter): its events were read from the former. "
            "Scan a copy that nothing writes to."
        )
    return merged


def _sum_evtx(parts: list[EvtxStats]) -> EvtxStats:
    out = EvtxStats()
    for st in parts:
        out.records += st.records
        out.errors += st.errors
        out.first_error = out.first_error or st.first_error
        out.padded = out.padded or st.padded
        out.notes.extend(st.notes)
    return out


def _sum_export(parts: list[ExportStats]) -> ExportStats:
    out = ExportStats(kind="jsonl")
    for st in parts:
        out.lines += st.lines
        out.events += st.events
        out.not_events += st.not_events
        out.bad += st.bad
        out.long_lines += st.long_lines
        if st.first_problem:
            out.problem(st.first_problem)
    return out
