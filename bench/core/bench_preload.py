"""The worker fork server's start: from its start until two workers answer, wall and CPU time of the
whole process tree, for the preload a scan uses (:func:`extriage.scan.pipeline.worker_modules`)
and for every module of :data:`extriage.scan.registry.WORKER_MODULES`, alternated round by round.

    .venv/bin/python bench/core/bench_preload.py --rounds 8

Each run starts a fresh interpreter (its ~0.1 s start is in every row alike). Linux only (the fork
server's CPU is counted by making this process the reaper of its orphans).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "core"))
sys.path.insert(0, str(ROOT / "bench" / "scan"))

from bench_floor import _READY  # noqa: E402
from bench_startup import _subreaper, run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=0, help="the scan's --jobs (0 = one per core)")
    args = ap.parse_args()
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import worker_modules
    from extriage.scan.registry import WORKER_MODULES

    _subreaper()
    variants = {"every WORKER_MODULES": ",".join(WORKER_MODULES),
                f"worker_modules(jobs={args.jobs})": ",".join(worker_modules(ScanOptions(jobs=args.jobs)))}
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    loads = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for label, mods in variants.items():
            wall, cpu, _rc = run([sys.executable, "-c", _READY, mods], None)
            results[label].append((wall, cpu))
        loads.append(os.getloadavg()[0])
    print(f"{args.rounds} rounds; load average {min(loads):.1f}-{max(loads):.1f}")
    print("| preload | wall median (best) | CPU median (best) |\n|---|---|---|")
    for label, runs in results.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(f"| {label} ({variants[label].count(',') + 1} modules) | {statistics.median(walls):.3f} s "
              f"({min(walls):.3f}) | {statistics.median(cpus):.3f} s ({min(cpus):.3f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
