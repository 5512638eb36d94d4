"""Phases of one ``extriage scan`` of a tree, from the workers' own batch times: when the first logs
batch starts (interpreter, command line, listing and waiting for the fork server before it), when
the last one ends, when the pivot pass's batches start and end, and the whole run; alternated
between this checkout and an older one.

    .venv/bin/python bench/scan/phases.py --tree bench/data/L2g --rounds 3 --old /tmp/old/src

Each run goes through the command line (``python -m extriage scan TREE -q --json``) with
``bench/scan/batch_trace.py`` added to the fork server's preload; seconds are counted from the
process start.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_RUN = """import sys, time
start = time.time()
import extriage.scan.registry as registry
registry.WORKER_MODULES.append("batch_trace")
sys.argv = ["extriage", "scan", *sys.argv[1:]]
from extriage.cli.main import main
try:
    main()
except SystemExit:
    pass
print(start, time.time())
"""


def one(tree: str, src: str, tmp: str) -> str:
    trace = Path(tmp) / "trace.txt"
    trace.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench' / 'scan'}{os.pathsep}{src}",
           "EXTRIAGE_BATCH_TRACE": str(trace)}
    out = subprocess.run([sys.executable, "-c", _RUN, tree, "-q", "--json", str(Path(tmp) / "r.json")],
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    start, end = float(out[-2]), float(out[-1])
    rows = [line.split() for line in trace.read_text(encoding="utf-8").splitlines()]
    logs = [(float(a), float(b)) for f, a, b in rows if f == "scan_log_file"]
    pivot = [(float(a), float(b)) for f, a, b in rows if f == "pivot_log_file"]

    def span(xs: list[tuple[float, float]]) -> str:
        return f"{min(a for a, _ in xs) - start:.2f}-{max(b for _, b in xs) - start:.2f}" if xs else "-"

    return f"logs batches {span(logs)}  pivot batches {span(pivot)}  total {end - start:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--old", metavar="SRC", help="an older checkout's src/ folder, run alternately")
    args = ap.parse_args()
    codes = [("new", str(ROOT / "src"))] + ([("old", str(Path(args.old).resolve()))] if args.old else [])
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for label, src in codes:
                print(f"round {r + 1} {label}: {one(args.tree, src, tmp)}  (load {os.getloadavg()[0]:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
