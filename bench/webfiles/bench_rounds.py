"""Many short rounds of the web file stage against the ``yara`` CLI, for old/new code in turn on a
shared, noisy machine (issue 14, web file stage throughput).

``bench_webfiles.py`` makes the tree and measures best vs best over a few rounds; this script runs the
stage on a tree that script left (``--out DIR`` of it, ``tree/`` and ``rules.yar``) for ``--rounds``
rounds, each ``yara -r`` then the stage, and prints one JSON line per round: wall and CPU seconds of
both, the per-process CPU of the stage (main process, workers), the load average and the findings.
The fork server is started and made ready, and the main process's tables built (``scan/prepare.py``'s
warmer for this stage), before the first round: a scan does both while it lists the evidence and
runs the log stages, so every round measures what a scan's web file stage costs. Run it with
``PYTHONPATH=<checkout>/src`` to measure another commit's stage with the same harness::

    .venv/bin/python bench/webfiles/bench_webfiles.py --repeat 1 --out /tmp/wf          # makes the tree
    for i in 1 2 3 4 5; do for c in /tmp/old /tmp/new; do
        PYTHONPATH=$c/src .venv/bin/python bench/webfiles/bench_rounds.py --out /tmp/wf --rounds 3 --tag $c
    done; done
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import inspect
import json
import os
import resource
import subprocess
import time
from pathlib import Path

from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.findings import ScanResult
from extriage.scan.context import ScanContext, ScanOptions, start_workers, worker_context
from extriage.scan.registry import WORKER_MODULES
from extriage.scan.stages.webfiles import WebFilesStage


def _forkserver_children_cpu() -> float:
    """CPU seconds of the fork server's reaped children (the stage's workers): /proc fields 16-17."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True, help="the --out folder of bench_webfiles.py")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tag", default="")
    ap.add_argument("--jobs", type=int, default=0)
    args = ap.parse_args()
    root, rules = args.out / "tree", args.out / "rules.yar"
    spec = open_source(root)
    inv = build_inventory(spec, lambda p, w: None)
    start_workers(WORKER_MODULES)
    with cf.ProcessPoolExecutor(1, mp_context=worker_context()) as pool:
        pool.submit(int).result()  # the fork server has imported the worker modules
    options = ScanOptions(jobs=args.jobs)
    try:  # what a scan builds beside its log stages (absent from older commits: built in round 0)
        from extriage.scan.prepare import WARMERS

        warm = WARMERS["webfiles"]
        params = len(inspect.signature(warm).parameters)
        # session 16 on: (options, evidence, inventory); sessions 13-15: (options, evidence); before: options
        args_of = {3: (options, None, inv), 2: (options, None), 1: (options,)}
        warm(*args_of.get(params, (options,)))  # type: ignore[arg-type, unused-ignore]
    except (ImportError, KeyError):
        pass
    for n in range(args.rounds):
        t = time.perf_counter()
        c = _children_cpu()
        proc = subprocess.run(["yara", "-r", "-w", str(rules), str(root)], capture_output=True, check=False)
        yara_s, yara_cpu = time.perf_counter() - t, _children_cpu() - c
        ctx = ScanContext(inv, ScanResult(spec.root), options)
        w0, m0, t = _forkserver_children_cpu(), time.process_time(), time.perf_counter()
        WebFilesStage().run(ctx)
        ours = time.perf_counter() - t
        main_cpu, workers_cpu = time.process_time() - m0, _forkserver_children_cpu() - w0
        print(
            json.dumps(
                {
                    "tag": args.tag,
                    "round": n,
                    "ours_s": round(ours, 3),
                    "yara_s": round(yara_s, 3),
                    "ratio": round(yara_s / ours, 3),
                    "ours_cpu_main": round(main_cpu, 3),
                    "ours_cpu_workers": round(workers_cpu, 3),
                    "yara_cpu": round(yara_cpu, 3),
                    "yara_matches": len(proc.stdout.splitlines()),
                    "findings": len(ctx.result.findings),
                    "files": len(ctx.result.files),
                    "load1": os.getloadavg()[0],
                    "running": Path("/proc/loadavg").read_text().split()[3],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
