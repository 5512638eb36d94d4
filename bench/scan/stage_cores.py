"""Where one ``extriage scan`` leaves a core idle: each stage's wall span (from a wrapper around its
``run``) and, over the same spans, the CPU the main process and its worker processes used, sampled
from ``/proc`` every 20 ms. A stage using both cores shows ~2.0 cores busy; one core idle, ~1.0.

    .venv/bin/python bench/scan/stage_cores.py --tree bench/data/scan2g --rounds 2 [--old /tmp/old/src]

Seconds are counted from the process start. Linux only (``/proc``). The sampler runs in this
process, outside the scan, and costs it ~1-2 % of one core.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")

_RUN = """import sys, time
start = time.time()
import extriage.scan.pipeline as pipeline
from extriage.scan import registry
spans = []
_default = registry.default_stages

def _wrapped():
    stages = _default()
    for s in stages:
        cls = type(s)
        if getattr(cls, "_timed", False):
            continue
        def timed(self, ctx, run=cls.run):
            a = time.time()
            try:
                run(self, ctx)
            finally:
                spans.append((getattr(self, "name", type(self).__name__), a, time.time()))
        cls.run = timed
        cls._timed = True
    return stages

registry.default_stages = _wrapped
registry.WORKER_MODULES.append("batch_trace")
pipeline.default_stages = _wrapped
sys.argv = ["extriage", "scan", *sys.argv[1:]]
from extriage.cli.main import main
try:
    main()
except SystemExit:
    pass
end = time.time()
with open(sys.argv[-1] + ".spans", "w") as fh:
    fh.write(f"start {start} {start}\\n")
    for name, a, b in spans:
        fh.write(f"{name} {a} {b}\\n")
    fh.write(f"end {end} {end}\\n")
"""


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(children.get(p, []))
    return out


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            f = fh.read().rsplit(b")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / TICK
    except (OSError, IndexError, ValueError):
        return -1.0


def one(tree: str, src: str, tmp: str, jobs: str, bins: float = 0.0) -> str:
    out = str(Path(tmp) / "r.json")
    trace = Path(tmp) / "trace.txt"
    trace.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench' / 'scan'}{os.pathsep}{src}", "EXTRIAGE_BATCH_TRACE": str(trace)}
    proc = subprocess.Popen([sys.executable, "-c", _RUN, tree, "-q", "-j", jobs, "--json", out], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, float, float]] = []  # time, main CPU, others' CPU (cumulative)
    seen: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            now = time.time()
            main_cpu = _cpu(proc.pid)
            for p in _tree(proc.pid)[1:]:
                c = _cpu(p)
                if c >= 0:
                    seen[p] = c
            if main_cpu >= 0:
                samples.append((now, main_cpu, sum(seen.values())))
            stop.wait(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, err = proc.communicate()
    stop.set()
    t.join()
    if proc.returncode not in (0, 3, 10, 20):
        sys.stderr.write(err.decode("utf-8", "replace")[-2000:])
    rows = [line.split() for line in Path(out + ".spans").read_text().splitlines()]
    start = float(rows[0][1])
    end = float(rows[-1][2])

    def cores(a: float, b: float) -> tuple[float, float]:
        inside = [s for s in samples if a <= s[0] <= b]
        if len(inside) < 2 or inside[-1][0] - inside[0][0] <= 0:
            return 0.0, 0.0
        dt = inside[-1][0] - inside[0][0]
        return (inside[-1][1] - inside[0][1]) / dt, (inside[-1][2] - inside[0][2]) / dt

    lines = []
    first = min((float(r[1]) for r in rows[1:-1]), default=end)
    m, w = cores(samples[0][0] if samples else start, first)
    lines.append(f"  {'(before stages)':<22} {0:6.2f}-{first - start:6.2f}  {first - start:5.2f} s  main {m:.2f} workers {w:.2f}")
    for name, a, b in rows[1:-1]:
        fa, fb = float(a), float(b)
        if fb - fa < 0.02:
            continue
        m, w = cores(fa, fb)
        lines.append(f"  {name:<22} {fa - start:6.2f}-{fb - start:6.2f}  {fb - fa:5.2f} s  main {m:.2f} workers {w:.2f}")
    if bins:  # main + workers cores per bin over the whole run, to see where one core idles
        row = []
        t = start
        while t < end:
            m, w = cores(t, t + bins)
            row.append(f"{m + w:.1f}")
            t += bins
        lines.append(f"  cores busy per {bins:g} s: " + " ".join(row))
    batches = [line.split() for line in trace.read_text().splitlines()] if trace.exists() else []
    for kind in sorted({b[0] for b in batches}):
        spans = [(float(b[1]), float(b[2])) for b in batches if b[0] == kind]
        lines.append(f"  worker batches {kind}: {len(spans)} from {min(a for a, _ in spans) - start:.2f} "
                     f"to {max(b for _, b in spans) - start:.2f}")
    total_main = samples[-1][1] if samples else 0
    total_workers = samples[-1][2] if samples else 0
    lines.append(f"  total {end - start:.2f} s wall; CPU main {total_main:.2f} s, others {total_workers:.2f} s")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--jobs", default="0")
    ap.add_argument("--bins", type=float, default=0.0, help="also print the cores busy per BINS seconds")
    ap.add_argument("--old", metavar="SRC", help="an older checkout's src/ folder, run alternately")
    args = ap.parse_args()
    codes = [("new", str(ROOT / "src"))] + ([("old", str(Path(args.old).resolve()))] if args.old else [])
    # bytecode first, as an installed package has it: with PYTHONDONTWRITEBYTECODE (set in the helpers'
    # shells) a worktree never gets any, and every scan compiled its modules again: +0.3 CPU-s for a
    # tree of one small log, more with a fork server (BENCHMARKS.md, issue 18, session 15)
    for _, src in codes:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(src) / "extriage")], check=True,
                       stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for label, src in codes:
                print(f"round {r + 1} {label} (load {os.getloadavg()[0]:.1f}):\n{one(args.tree, src, tmp, args.jobs, args.bins)}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
