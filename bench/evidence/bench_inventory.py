"""Inventory cost per file of a large collection: listing (walk + disk-image check + logical paths)
and naming every file no stage read, at 25,000 / 50,000 / 100,000 files — linear means the cost
per file stays flat.

    .venv/bin/python bench/evidence/bench_inventory.py --max 100000
    .venv/bin/python bench/evidence/bench_inventory.py --max 100000 --per-folder 1   # a folder per file

Builds folders of small text files (``--per-folder`` files each: 1,000 by default; 1 is the shape
of a web server with a folder per application) under bench/data/inventory (deleted afterwards) and times
:func:`extriage.evidence.locate.build_inventory` and the verdict stage's
:func:`extriage.scan.stages.verdict.list_unread`, best of ``--rounds``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build(dest: Path, n: int, per_folder: int = 1000) -> None:
    for i in range(n):
        d = dest / f"d{i // per_folder}"
        if i % per_folder == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.txt").write_bytes(b"x\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per-folder", type=int, default=1000, help="files per folder (1: a folder per file)")
    ap.add_argument("--only-max", action="store_true", help="only the --max size (not a quarter and a half)")
    args = ap.parse_args()
    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source
    from extriage.findings import ScanResult
    from extriage.scan.context import ScanContext, ScanOptions
    from extriage.scan.stages.verdict import list_unread

    base = ROOT / "bench" / "data" / "inventory"
    shutil.rmtree(base, ignore_errors=True)
    try:
        for n in (args.max,) if args.only_max else (args.max // 4, args.max // 2, args.max):
            dest = base / str(n)
            build(dest, n, args.per_folder)
            inv_best = unread_best = cpu_best = float("inf")
            for _ in range(args.rounds):
                t, c = time.perf_counter(), time.process_time()
                inv = build_inventory(open_source(dest), lambda p, w: None)
                inv_best = min(inv_best, time.perf_counter() - t)
                cpu_best = min(cpu_best, time.process_time() - c)
                ctx = ScanContext(inv, ScanResult(evidence_path=str(dest)), ScanOptions(jobs=1))
                t = time.perf_counter()
                list_unread(ctx)
                unread_best = min(unread_best, time.perf_counter() - t)
            print(f"{n:>7,} files: inventory {inv_best:6.2f} s ({inv_best / n * 1e6:5.1f} us/file, "
                  f"CPU {cpu_best:5.2f} s), "
                  f"files not read listed {unread_best:5.2f} s ({unread_best / n * 1e6:4.1f} us/file)"
                  f"  [load {os.getloadavg()[0]:.1f}]")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
