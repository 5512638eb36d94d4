"""Events benchmark: events/s for a large JSON-lines export and a large .evtx set, next to the
``evtx`` parser alone (the floor: records rendered to JSON, nothing else).

Data is made by repeating the real CC0 records in ../shared/data/evtx-samples-cc0: the .evtx set is
N copies of the six files; the JSON-lines export is the same records flattened (EventData at the top
level beside EventID/Channel/Hostname, as in public datasets) repeated to --lines lines.

    .venv/bin/python bench/events/bench_events.py --copies 400 --lines 300000

Single process (the scan spreads files over both cores with ``map_files``). Generated data goes to
bench/data/events (git-ignored) and is deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import time
from pathlib import Path

import evtx

from extriage.detections.events.collect import EventCollector
from extriage.detections.events.engine import default_rules
from extriage.evidence.reading import HashingReader
from extriage.formats.event_export import SNIFF_BYTES, ExportStats, iter_export, sniff
from extriage.formats.evtx_file import EvtxStats, iter_evtx

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "evtx-samples-cc0"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/data/evtx-samples-cc0")
OUT = Path(__file__).resolve().parents[1] / "data" / "events"


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
    with path.open("rb") as fh:
        reader = HashingReader(fh)
        head = reader.read(SNIFF_BYTES)
        stats = ExportStats()
        for rec in iter_export(reader, sniff(head), head, stats):
            coll.feed(rec)
        reader.drain()
        reader.hexdigest()
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=400)
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
        for i in range(args.copies):
            for f in SAMPLES.glob("*.evtx"):
                shutil.copyfile(f, evdir / f"{i:05d}-{f.name}")
        n, secs = bench_jsonl(jl)
        size = jl.stat().st_size
        print(f"jsonl: {n:,} events, {size / 1e6:.1f} MB in {secs:.2f}s = {n / secs:,.0f} events/s ({size / 1e6 / secs:.1f} MB/s)")
        nf, floor, n2, secs2 = bench_evtx(evdir)
        print(f"evtx parser alone (floor): {nf:,} records in {floor:.2f}s = {nf / floor:,.0f} records/s")
        print(f"evtx parse+normalise+match: {n2:,} events in {secs2:.2f}s = {n2 / secs2:,.0f} events/s "
              f"({floor / secs2:.0%} of the floor's speed)")
    finally:
        if not args.keep:
            shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 1 << 20
    main()
