"""The events stage of ``extriage scan`` on one folder: wall clock, CPU time of all processes and
the load average, one line per run — to compare two versions of the code, alternating on the same
data (issue 18: "measure ratios in one run, alternate old/new"):

    for i in 1 2 3; do
      PYTHONPATH=/tmp/old/src .venv/bin/python bench/events/bench_events_stage.py DIR   # a git worktree of the old commit
      PYTHONPATH=src .venv/bin/python bench/events/bench_events_stage.py DIR
    done

DIR holds the event files (e.g. the data of ``bench_events.py --keep`` or ``bench_evtx_cores.py
--keep``). The stage's workers are forked from this process (the scan starts them from its fork
server, whose children's CPU time ``getrusage`` cannot see) so that their CPU time is counted.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import time

from extriage.scan import context
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import events as events_stage


def _cpu_all() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    context.worker_context = lambda: mp.get_context("fork")
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), _cpu_all()
    result = run_scan(args.folder, ScanOptions(jobs=args.jobs), stages=list(events_stage.STAGES))
    wall, cpu = time.perf_counter() - t0, _cpu_all() - c0
    n = sum(f.lines for f in result.coverage.families.values())
    print(f"{n:,} events: wall {wall:.2f}s ({n / wall:,.0f}/s), CPU {cpu:.2f}s ({n / cpu:,.0f} per CPU-s); "
          f"load {load:.1f}")


if __name__ == "__main__":
    main()
