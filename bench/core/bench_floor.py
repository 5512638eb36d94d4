"""The floor of a scan of a small tree: what a Python process costs before it reads any evidence,
against ripgrep's whole run over the tree, each command alternated round by round in one run.

    PATH=<ripgrep>:$PATH .venv/bin/python bench/core/bench_floor.py --tree bench/data/L200 --rounds 5

Rows: ripgrep (``-i -c -j2 -uuu``, the log rules' prefilter patterns, as ``bench/scan/run_bench.py``),
``python -c pass``, importing the command line, the imports of a scan (command line, pipeline, every
stage), walking + reading + SHA-256 of every file of the tree in one process, ``extriage scan`` of
an empty folder (every fixed cost, no worker), and ``extriage scan TREE`` with ``-j 1`` and with one
worker per core. Then how long the worker fork server takes from its start until two workers answer,
with the registered preload (``WORKER_MODULES``) and without each module of it in turn: what the
logs stage's workers wait for at the start of a parallel scan.

Wall and CPU time (user + system of every descendant, the fork server included: this process makes
itself their reaper; Linux only). Reports the median and best of each row and the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "core"))
sys.path.insert(0, str(ROOT / "bench" / "scan"))

from bench_startup import _subreaper, run  # noqa: E402
from run_bench import prefilter_patterns  # noqa: E402

_SHA = """import hashlib, os, sys
buf = bytearray(1 << 22); view = memoryview(buf)
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        h = hashlib.sha256()
        with open(os.path.join(folder, name), "rb", buffering=0) as fh:
            while n := fh.readinto(view):
                h.update(view[:n])
"""

_READY = """import sys, time, concurrent.futures as cf, os
from extriage.scan.context import start_workers, worker_context
start = time.perf_counter()
start_workers([m for m in sys.argv[1].split(",") if m])
with cf.ProcessPoolExecutor(2, mp_context=worker_context()) as pool:
    [f.result() for f in [pool.submit(os.getpid) for _ in range(2)]]
    print(time.perf_counter() - start)
"""


def _reap() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    _subreaper()
    rg = shutil.which("rg")
    if not rg:
        print("ripgrep (rg) is not on PATH", file=sys.stderr)
        return 2
    py, exe = sys.executable, str(Path(sys.executable).parent / "extriage")
    pats = [x for p in prefilter_patterns() for x in ("-e", p)]
    from extriage.scan.registry import WORKER_MODULES

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        out = str(Path(tmp) / "r.json")
        rows: dict[str, list[str]] = {
            "ripgrep, the whole tree": [rg, "-i", "-c", "-j2", "--no-messages", "-uuu", *pats, args.tree],
            "python -c pass": [py, "-c", "pass"],
            "import extriage.cli.main": [py, "-c", "import extriage.cli.main"],
            "imports of a scan (CLI, pipeline, every stage)": [
                py, "-c", "import extriage.cli.main, extriage.cli.scan_cmd\n"
                          "from extriage.scan.pipeline import plan\nplan()"],
            "walk + read + SHA-256 of every file": [py, "-c", _SHA, args.tree],
            "extriage scan EMPTY folder": [exe, "scan", str(empty), "-q", "--json", out],
            "extriage scan TREE -j 1": [exe, "scan", args.tree, "-q", "--json", out, "-j", "1"],
            "extriage scan TREE": [exe, "scan", args.tree, "-q", "--json", out],
        }
        subprocess.run([rg, "-c", "-uuu", "--no-messages", "x", args.tree], stdout=subprocess.DEVNULL, check=False)
        preloads = {"fork server ready, WORKER_MODULES": ",".join(WORKER_MODULES)}
        for m in WORKER_MODULES:
            preloads[f"  ... without {m}"] = ",".join(x for x in WORKER_MODULES if x != m)
        results: dict[str, list[tuple[float, float]]] = {}
        loads = [os.getloadavg()[0]]
        for _ in range(args.rounds):
            for label, argv in rows.items():
                wall, cpu, _rc = run(argv, None)
                results.setdefault(label, []).append((wall, cpu))
            for label, mods in preloads.items():
                res = subprocess.run([py, "-c", _READY, mods], capture_output=True, text=True, check=True)
                results.setdefault(label, []).append((float(res.stdout.strip()), float("nan")))
                _reap()  # its fork server: not counted in the next row's CPU
            loads.append(os.getloadavg()[0])
    print(f"tree {args.tree}; {args.rounds} rounds; load average {min(loads):.1f}-{max(loads):.1f}")
    print("| what | wall median (best) | CPU median (best) |\n|---|---|---|")
    for label, runs in results.items():
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs if c == c]
        cpu = f"{statistics.median(cpus):.2f} s ({min(cpus):.2f})" if cpus else "—"
        print(f"| {label} | {statistics.median(walls):.2f} s ({min(walls):.2f}) | {cpu} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
