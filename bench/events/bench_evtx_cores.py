""".evtx read + match with both cores against the ``evtx`` parser alone with both cores (issue 18).

Data (made in bench/data/evtx-cores, git-ignored, deleted at the end unless --keep): one large
``.evtx`` file — one real CC0 file header, then the six CC0 sample files' chunks repeated --copies
times (each chunk is self-contained, so the parser reads them all) — the shape of one multi-GB
archive (``Archive-Security-*.evtx``) that a scan must read on both cores. Two kinds:

* default, **attack-dense**: the six *attack* samples as they are (85 % of the records have a
  candidate rule, 42 % match one);
* ``--realistic``, **server-like**: the same chunks with most records made ordinary
  (``evtx_realistic.py``: event ids rewritten in place, chunk CRCs recomputed); the original attack
  chunks in one copy of every 40 (about 1 % of the records match a rule; the run prints the shares).

Measured per round, alternating, each in fresh worker processes (wall clock and CPU time of all
processes, from ``getrusage``):

* ``parser, 2 processes``: two processes, each rendering half of the file's chunks to JSON with the
  parser and doing nothing else (the floor with both cores);
* ``parser, own threads``: one process, ``PyEvtxParser(path, number_of_threads=0)`` (the parser's
  own use of both cores);
* ``read+match, 2 processes``: two processes, each reading half the chunks through the scan's
  reader and collector (records screened in batches, those that can matter normalised and matched,
  coverage, IP index), the parts merged as the scan merges them;
* ``read+match in full, 2 processes``: the same with every record decoded, normalised and matched
  (the path before the batch screening; same results);
* ``events stage, 2 workers``: ``extriage scan``'s events stage on the folder (adds the SHA-256 of
  the file, the inventory and the result; its workers are forked from this process so that their
  CPU time is counted).

    .venv/bin/python bench/events/bench_evtx_cores.py --copies 400 --rounds 3
    .venv/bin/python bench/events/bench_evtx_cores.py --copies 400 --rounds 3 --realistic
    .venv/bin/python bench/events/bench_evtx_cores.py --copies 400 --rounds 3 --dense
    .venv/bin/python bench/events/bench_evtx_cores.py --copies 400 --rounds 3 --varied

``read+match raw chunks`` (issue 18, area E4): chunks where no record can matter are read from their
bytes without the parser (``formats/evtx_raw.py``); the row without it is the path before, in the
same run. ``--dense``: the server-like file made of dense chunks (``evtx_dense.py``, ~100 records a
chunk as on a real server; the parser's per-chunk work weighs less per record there). ``--varied``:
dense chunks whose records carry distinct values as a real log's do (``evtx_varied.py``: times, ids,
names, GUIDs, string sizes; the other files repeat the samples' records byte for byte).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import evtx

from extriage.detections.events.collect import EventCollector
from extriage.detections.events.engine import default_rules
from extriage.formats.evtx_file import (
    CHUNK,
    HEADER,
    ChunkView,
    EvtxStats,
    chunk_count,
    iter_evtx,
    iter_evtx_batches,
)
from extriage.scan import context
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import events as events_stage
from extriage.scan.stages.events.reading import split_ranges

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evtx_dense import make_dense
from evtx_realistic import make_realistic
from evtx_varied import make_varied

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "data" / "evtx-samples-cc0"
OUT = Path(__file__).resolve().parents[1] / "data" / "evtx-cores"


def make(copies: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    head = b""
    chunks: list[bytes] = []
    for f in sorted(SAMPLES.glob("*.evtx")):
        data = f.read_bytes()
        head = head or data[:HEADER]
        chunks.extend(data[i : i + CHUNK] for i in range(HEADER, len(data), CHUNK))
    path = OUT / "Archive-Security-big.evtx"
    with path.open("wb") as fh:
        fh.write(head)
        block = b"".join(chunks)
        for _ in range(copies):
            fh.write(block)
    return path


def parse_part(path: str, first: int, end: int) -> int:
    """The parser alone on chunks [first, end): records rendered to JSON, nothing else."""
    with open(path, "rb") as raw:
        view = ChunkView(raw, os.path.getsize(path), first, end)
        return sum(1 for _ in evtx.PyEvtxParser(view, number_of_threads=1).records_json())


def parse_threads(path: str) -> int:
    return sum(1 for _ in evtx.PyEvtxParser(path, number_of_threads=0).records_json())


def match_part(path: str, first: int, end: int) -> EventCollector:
    """As the scan reads a part: batches screened, the records that can matter read in full."""
    coll = EventCollector(default_rules(), path, "evtx", keep_ids=False, part=True)
    stats = EvtxStats()
    with open(path, "rb") as fh:
        for batch in iter_evtx_batches(fh, os.path.getsize(path), path, stats, chunks=(first, end)):
            coll.feed_batch(batch)
    return coll


def match_part_raw(path: str, first: int, end: int) -> EventCollector:
    """As the scan reads a part since issue 18 area E4: chunks where no record can matter read
    from their bytes without the parser (``raw=``), the others screened as in ``match_part``."""
    coll = EventCollector(default_rules(), path, "evtx", keep_ids=False, part=True)
    stats = EvtxStats()
    with open(path, "rb") as fh:
        for batch in iter_evtx_batches(fh, os.path.getsize(path), path, stats, chunks=(first, end), raw=coll.raw_chunk):
            coll.feed_batch(batch)
    return coll


def match_part_full(path: str, first: int, end: int) -> EventCollector:
    """Every record decoded, normalised and matched (the path without screening)."""
    coll = EventCollector(default_rules(), path, "evtx", keep_ids=False, part=True)
    stats = EvtxStats()
    with open(path, "rb") as fh:
        for rec in iter_evtx(fh, os.path.getsize(path), path, stats, chunks=(first, end)):
            coll.feed(rec)
    return coll


def shares(path: Path) -> str:
    """How many records have a candidate rule and how many match one (read in full, one process)."""
    rules = default_rules()
    stats = EvtxStats()
    cand = hits = 0
    with path.open("rb") as fh:
        for rec in iter_evtx(fh, path.stat().st_size, str(path), stats):
            cand += bool(rules.candidates(rec))
            hits += bool(rules.match(rec))
    n = stats.records
    return f"{n:,} records: {cand / n:.1%} with a candidate rule, {hits / n:.2%} match one"


def _cpu_all() -> float:
    return _cpu_main() + _cpu_workers()


def _cpu_main() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _cpu_workers() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], int]) -> tuple[int, float, float, float]:
    """``(records, wall, CPU of all processes, CPU of this one)``: in the events stage this process
    hashes the file (SHA-256) while its workers read it, and merges what they send back."""
    t0, m0, w0 = time.perf_counter(), _cpu_main(), _cpu_workers()
    n = fn()
    main = _cpu_main() - m0
    return n, time.perf_counter() - t0, main + _cpu_workers() - w0, main


def state(coll: EventCollector) -> object:
    """What a part's collector holds (to check the two read+match paths agree)."""
    return (
        [(f.rule_id, f.count, f.first_seen, f.last_seen, len(f.evidence)) for f in coll.findings.values()],
        coll.channel_summary(),
        sorted(coll.ip_index()),
        coll.time_fields,
        len(coll.events),
    )


def in_pool(path: Path, worker: Callable[..., object], merge: bool, check: list[object] | None = None) -> int:
    ranges = split_ranges("evtx", path.stat().st_size, 2)
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        parts = [f.result() for f in [pool.submit(worker, str(path), a, b) for a, b in ranges]]
    if not merge:
        return sum(int(p) for p in parts)  # type: ignore[call-overload]
    first, *rest = parts
    assert isinstance(first, EventCollector)
    for later in rest:
        assert isinstance(later, EventCollector)
        first.absorb(later)
    if check is not None:
        check.append(state(first))
    return sum(s.records for s in first.channels.values())


def one_process(path: Path) -> int:
    with cf.ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(parse_threads, str(path)).result()


def stage(path: Path) -> int:
    # Workers forked from this process (the scan starts them from its fork server, whose children's
    # CPU time getrusage cannot see); they inherit the loaded rules, which the scan's workers load
    # once each (~0.2 s CPU per worker and scan).
    context.worker_context = lambda: mp.get_context("fork")
    result = run_scan(str(path.parent), ScanOptions(jobs=2), stages=list(events_stage.STAGES))
    return sum(f.lines for f in result.coverage.families.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=400, help="repetitions of the six sample files' chunks")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--realistic", action="store_true", help="a server-like file (about 1 %% of records match)")
    ap.add_argument("--dense", action="store_true",
                    help="a server-like file of dense chunks (~100 records each, evtx_dense.py)")
    ap.add_argument("--varied", action="store_true",
                    help="dense chunks of records with distinct values, as a real log's (evtx_varied.py)")
    args = ap.parse_args()
    try:
        if args.varied:
            OUT.mkdir(parents=True, exist_ok=True)
            path = OUT / "Archive-Security-varied.evtx"
            make_varied(SAMPLES, path, args.copies, attack_every=40)
        elif args.dense:
            OUT.mkdir(parents=True, exist_ok=True)
            path = OUT / "Archive-Security-dense.evtx"
            make_dense(SAMPLES, path, args.copies, attack_every=40)
        elif args.realistic:
            OUT.mkdir(parents=True, exist_ok=True)
            path = OUT / "Archive-Security-realistic.evtx"
            make_realistic(SAMPLES, path, args.copies, attack_every=40)
        else:
            path = make(args.copies)
        size = path.stat().st_size
        print(f"{path.name}: {size / 1e6:.0f} MB, {chunk_count(size):,} chunks; load average {os.getloadavg()[0]:.1f}")
        print(shares(path), flush=True)
        agree: list[object] = []
        modes: list[tuple[str, Callable[[], int]]] = [
            ("parser, 2 processes", lambda: in_pool(path, parse_part, merge=False)),
            ("read+match, 2 processes", lambda: in_pool(path, match_part, merge=True, check=agree)),
            ("read+match raw chunks, 2 processes", lambda: in_pool(path, match_part_raw, merge=True, check=agree)),
            ("read+match in full, 2 processes", lambda: in_pool(path, match_part_full, merge=True, check=agree)),
            ("parser, own threads", lambda: one_process(path)),
            ("events stage, 2 workers", lambda: stage(path)),
        ]
        rows: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in modes}
        for r in range(args.rounds):
            for name, fn in modes:
                n, wall, cpu, main = timed(fn)
                rows[name].append((wall, cpu))
                print(f"round {r + 1} {name}: {n:,} records, wall {wall:.2f}s ({n / wall:,.0f}/s), "
                      f"CPU {cpu:.2f}s ({n / cpu:,.0f} per CPU-s; main process {main:.2f}s); "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
        assert all(a == agree[0] for a in agree), "the screened and full paths disagree"
        for floor_name in ("parser, 2 processes", "parser, own threads"):
            floor = rows[floor_name]
            for name in ("read+match, 2 processes", "read+match raw chunks, 2 processes",
                         "read+match in full, 2 processes", "events stage, 2 workers"):
                ratios = [f[0] / m[0] for f, m in zip(floor, rows[name], strict=True)]
                cpu_ratios = [f[1] / m[1] for f, m in zip(floor, rows[name], strict=True)]
                print(f"{name} vs {floor_name}, same round: wall ratio median "
                      f"{statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)}); "
                      f"CPU ratio median {statistics.median(cpu_ratios):.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
