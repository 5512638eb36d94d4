"""Fixed cost of the command line: ``extriage --version``, ``--help`` and a scan of a small tree,
wall and CPU time of the whole process tree (the scan's fork server and workers included), with the
variants alternated round by round in one run.

    .venv/bin/python bench/core/bench_startup.py --rounds 5
    .venv/bin/python bench/core/bench_startup.py --rounds 5 --old /tmp/old/src   # + an older checkout
    .venv/bin/python bench/core/bench_startup.py --tree bench/data/scan200 --jobs 0 1

Small tree by default: the shipped test data (``tests/data``: a few CC0 log and event samples, 0.5
MB). ``--jobs`` scans it with each worker setting (0 = one per core: the fork server is started;
1 = everything in the main process). Reports the median and best of each variant and the load
average. Linux only (the fork server's CPU is counted by making this process their reaper).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise SystemExit("PR_SET_CHILD_SUBREAPER failed: Linux needed")


def run(argv: list[str], env: dict[str, str] | None) -> tuple[float, float, int]:
    """Wall and CPU (user + system, every descendant) of one run, and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    wall = time.perf_counter() - start
    while True:  # the fork server outlives the main process by a moment: reap it (and its CPU)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if proc.returncode not in (0, 3, 10, 20):
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-2000:])
    return wall, cpu, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tree", default=str(ROOT / "tests" / "data"))
    ap.add_argument("--jobs", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--old", metavar="SRC", help="an older checkout's src/ folder, run alternately (PYTHONPATH)")
    ap.add_argument("--only-scan", action="store_true", help="skip --version and --help")
    args = ap.parse_args()
    _subreaper()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "extriage")], check=True)
    codes: list[tuple[str, dict[str, str] | None]] = [("new", None)]
    if args.old:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(args.old) / "extriage")], check=True)
        codes.append(("old", {**os.environ, "PYTHONPATH": str(Path(args.old).resolve())}))
    exe = str(BIN / "extriage")
    with tempfile.TemporaryDirectory() as tmp:
        variants: list[tuple[str, list[str]]] = []
        if not args.only_scan:
            variants += [("--version", [exe, "--version"]), ("--help", [exe, "--help"])]
        for j in args.jobs:
            variants.append((f"scan -j{j}", [exe, "scan", args.tree, "-q", "--json", str(Path(tmp) / "r.json"),
                                             "-j", str(j)]))
        results: dict[str, list[tuple[float, float]]] = {}
        loads = [os.getloadavg()[0]]
        for _ in range(args.rounds):
            for label, argv in variants:
                for code, env in codes:
                    wall, cpu, _rc = run(argv, env)
                    results.setdefault(f"{code} {label}", []).append((wall, cpu))
            loads.append(os.getloadavg()[0])
    print(f"tree {args.tree}; {args.rounds} rounds; load average {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'variant':24s} {'wall median':>11s} {'wall best':>9s} {'CPU median':>10s} {'CPU best':>8s}")
    for key, runs in results.items():
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        print(f"{key:24s} {statistics.median(walls):11.3f} {min(walls):9.3f} {statistics.median(cpus):10.3f} "
              f"{min(cpus):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
