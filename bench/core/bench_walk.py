"""One worker's speed per log family: ``scan_log_file`` over a generated tree in this process.

    .venv/bin/python bench/scan/run_bench.py --size 2GB --keep          # makes bench/data/scan once
    .venv/bin/python bench/core/bench_walk.py --data bench/data/scan --rounds 3

For the IIS and the HttpProxy logs of the tree (every ``--every``-th file), times what one worker
process does per file — read, SHA-256, prefilter, parse and evaluate the selected lines, count
lines and hours — and reports MiB per second of wall and of CPU time, best of ``--rounds`` (the
page cache is warmed by the first round). The whole-scan figure with both cores is
``bench/scan/run_bench.py``; this one says where a change to the walk moves the per-core rate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="bench/data/scan")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--every", type=int, default=2, help="use every N-th file of each family")
    ap.add_argument("--engine", default="hyperscan", choices=["hyperscan", "re2"])
    args = ap.parse_args()
    if not Path(args.data).is_dir():
        print(f"{args.data} does not exist: run bench/scan/run_bench.py --keep first", file=sys.stderr)
        return 2

    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source
    from extriage.formats.sniff import family_from_path
    from extriage.scan.stages.logs import LogParams, scan_log_file

    inv = build_inventory(open_source(args.data), lambda _p, _w: None)
    params = LogParams(engine=args.engine)
    for family in ("iis", "httpproxy"):
        files = [f for f in inv.files if (fm := family_from_path(f.key)) is not None and fm.family == family]
        files = files[:: max(1, args.every)]
        size = sum(f.ref.size for f in files) / 2**20
        best_wall = best_cpu = float("inf")
        for _ in range(args.rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            for f in files:
                scan_log_file(f, params)
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        print(f"{family:10s} {len(files):5d} files {size:7.0f} MiB  wall {size / best_wall:5.0f} MiB/s  "
              f"cpu {size / best_cpu:5.0f} MiB/s  ({best_wall / len(files) * 1000:.2f} ms/file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
