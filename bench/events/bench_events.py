"""Events benchmark: events/s for a large JSON-lines export and a large .evtx set, next to the
``evtx`` parser alone (the floor: records rendered to JSON, nothing else).

Data is made by repeating the real CC0 records in ../shared/data/evtx-samples-cc0: the .evtx set is
--evtx-files files, each one real file header followed by the six files' chunks repeated --copies
times; the JSON-lines export is the same records flattened (EventData at the top level beside
EventID/Channel/Hostname, as in public datasets) repeated to --lines lines.

    .venv/bin/python bench/events/bench_events.py --copies 100 --evtx-files 4 --lines 300000

Single process (the scan spreads files over both cores with ``map_files``). Generated data goes to
bench/data/events (git-ignored) and is deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import resource
import shutil
import time
from pathlib import Path

import evtx

from extriage.detections.events.collect import EventCollector
from extriage.detections.events.engine import default_rules
from extriage.evidence.reading import HashingReader
from extriage.formats.event_export import SNIFF_BYTES, ExportStats, iter_export, sniff
from extriage.formats.evtx_file import EvtxStats, iter_evtx
from extriage.scan import context
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import events as events_stage

#: The real CC0 .evtx files shipped with the tests (tests/data/README.md).
SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "data" / "evtx-samples-cc0"
OUT = Path(__file__).resolve().parents[1] / "data" / "events"
JSONL_CPU = 0.0
SCAN_CPU = 0.0


def flat_lines() -> list[str]:
    lines = []
    for f in sorted(SAMPLES.glob("*.evtx")):
        for item in evtx.PyEvtxParser(str(f)).records_json():
            ev = json.loads(item["data"])["Event"]
            sysn = ev["System"]
            eid = sysn["EventID"]["#text"] if isinstance(sysn["EventID"], dict) else sysn["EventID"]
            flat = {
                "@timestamp": sysn["TimeCreated"]["#attributes"]["SystemTime"],
                "EventID": eid,
                "Channel": sysn["Channel"],
                "SourceName": sysn["Provider"]["#attributes"]["Name"],
                "Hostname": sysn["Computer"],
                "Level": sysn.get("Level"),
                "EventRecordID": sysn["EventRecordID"],
            }
            data = ev.get("EventData") or {}
            if isinstance(data.get("Data"), dict):
                for i, v in enumerate(data["Data"]["#text"], 1):
                    flat[f"param{i}"] = v
            else:
                flat.update({k: v for k, v in data.items() if k != "#attributes"})
            lines.append(json.dumps(flat))
    return lines


def bench_jsonl(path: Path) -> tuple[int, float]:
    rules = default_rules()
    coll = EventCollector(rules, str(path), "events-export")
    t0 = time.perf_counter()
    c0 = time.process_time()
    with path.open("rb") as fh:
        reader = HashingReader(fh)
        head = reader.read(SNIFF_BYTES)
        stats = ExportStats()
        for rec in iter_export(reader, sniff(head), head, stats):
            coll.feed(rec)
        reader.drain()
        reader.hexdigest()
    global JSONL_CPU
    JSONL_CPU = time.process_time() - c0
    return stats.events, time.perf_counter() - t0


def bench_evtx(folder: Path) -> tuple[int, float, int, float]:
    rules = default_rules()
    files = sorted(folder.glob("*.evtx"))
    t0 = time.perf_counter()
    n_floor = 0
    for f in files:
        for _ in evtx.PyEvtxParser(str(f), number_of_threads=1).records_json():
            n_floor += 1
    floor = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = 0
    for f in files:
        coll = EventCollector(rules, str(f), "evtx")
        stats = EvtxStats()
        with f.open("rb") as fh:
            for rec in iter_evtx(fh, f.stat().st_size, str(f), stats, path=str(f)):
                coll.feed(rec)
                n += 1
    return n_floor, floor, n, time.perf_counter() - t0


def bench_scan(folder: Path, jobs: int) -> tuple[int, float]:
    """The events stages as ``extriage scan`` runs them (workers, hashing, coverage), wall clock.
    Workers are forked from this process (the scan starts them from its fork server, whose children's
    CPU time getrusage cannot see), so the CPU figure counts them."""
    context.worker_context = lambda: mp.get_context("fork")
    t0 = time.perf_counter()
    c0 = _cpu_with_children()
    result = run_scan(str(folder), ScanOptions(jobs=jobs), stages=list(events_stage.STAGES))
    secs = time.perf_counter() - t0
    global SCAN_CPU
    SCAN_CPU = _cpu_with_children() - c0
    return sum(f.lines for f in result.coverage.families.values()), secs


def _cpu_with_children() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=100, help="repetitions of the six files' chunks per .evtx")
    ap.add_argument("--evtx-files", type=int, default=4)
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        base = flat_lines()
        jl = OUT / "export.jsonl"
        with jl.open("w") as fh:
            for i in range(args.lines):
                fh.write(base[i % len(base)] + "\n")
        evdir = OUT / "evtx"
        evdir.mkdir(exist_ok=True)
        # Big .evtx files made of the real files' chunks (each chunk is self-contained: its own
        # string and template tables), one real file header, repeated --copies times per file.
        head = b""
        chunks: list[bytes] = []
        for f in sorted(SAMPLES.glob("*.evtx")):
            data = f.read_bytes()
            head = head or data[:4096]
            chunks.extend(data[i : i + 65536] for i in range(4096, len(data), 65536))
        for i in range(args.evtx_files):
            with (evdir / f"big{i}.evtx").open("wb") as fh:
                fh.write(head)
                for _ in range(args.copies):
                    fh.write(b"".join(chunks))
        n, secs = bench_jsonl(jl)
        size = jl.stat().st_size
        print(f"jsonl: {n:,} events, {size / 1e6:.1f} MB in {secs:.2f}s = {n / secs:,.0f} events/s ({size / 1e6 / secs:.1f} MB/s); CPU time {JSONL_CPU:.2f}s = {n / JSONL_CPU:,.0f} events per CPU-second")
        (OUT / "jsonl").mkdir(exist_ok=True)
        jl.rename(OUT / "jsonl" / jl.name)
        n3, secs3 = bench_scan(OUT / "jsonl", jobs=2)
        print(f"jsonl via the scan stage, 2 workers (byte ranges): {n3:,} events in {secs3:.2f}s = {n3 / secs3:,.0f} events/s; "
              f"CPU (all processes, incl. SHA-256) {SCAN_CPU:.2f}s")
        nf, floor, n2, secs2 = bench_evtx(evdir)
        print(f"evtx parser alone (floor): {nf:,} records in {floor:.2f}s = {nf / floor:,.0f} records/s")
        print(f"evtx parse+normalise+match: {n2:,} events in {secs2:.2f}s = {n2 / secs2:,.0f} events/s "
              f"({floor / secs2:.0%} of the floor's speed)")
        n4, secs4 = bench_scan(evdir, jobs=2)
        print(f"evtx via the scan stage, 2 workers: {n4:,} events in {secs4:.2f}s = {n4 / secs4:,.0f} events/s; "
              f"CPU (all processes, incl. SHA-256) {SCAN_CPU:.2f}s")
    finally:
        if not args.keep:
            shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 1 << 20
    main()
