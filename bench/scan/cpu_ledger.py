"""Where one ``extriage scan``'s CPU goes, process by process and thread by thread: a CPU ledger.

    .venv/bin/python bench/scan/cpu_ledger.py --tree /tmp/trees/scan2g --rounds 3 [--old /tmp/old/src]

One scan runs in a child process (``python -c``, the command line's own ``main``) with marks that cost
nothing per file: the main thread's CPU (``time.thread_time``) before the first stage and around each
stage's ``run``; every other thread's CPU when it ends (its class and name: the prepare thread, the
pools' manager and queue feeder threads); and, in the workers (a module the fork server preloads), each
batch's function and CPU (``time.process_time`` around it). The fork server's own CPU and that of the
workers it reaped are read from ``/proc`` before the scan's process exits. What the workers used outside
their batches (start after the fork, waiting, hand-overs) is their total less their batches.

Lines are CPU-s, the median of the rounds (and each round's figure); the wall time and the load are
printed beside them. Linux only (``/proc``, the fork server).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_WORKER = '''"""Preloaded by the fork server for bench/scan/cpu_ledger.py: each worker batch's CPU."""
import gc, os, time
from extriage.scan import context
_original = context._safe_batch
_gc = [0.0, 0.0]
def _on_gc(phase, info):
    if phase == "start":
        _gc[1] = time.process_time()
    else:
        _gc[0] += time.process_time() - _gc[1]
gc.callbacks.append(_on_gc)
_started = []
def _timed(func, batch, params):
    cpu = time.process_time()
    _gc[0] = 0.0
    try:
        return _original(func, batch, params)
    finally:
        with open(os.environ["EXTRIAGE_LEDGER_TRACE"], "a", encoding="utf-8") as fh:
            if not _started:  # this worker's CPU from its fork to its first batch
                _started.append(cpu)
                fh.write(f"start {os.getpid()} {cpu:.6f} 0\\n")
            fh.write(f"{func.__name__} {os.getpid()} {time.process_time() - cpu:.6f} {_gc[0]:.6f}\\n")
context._safe_batch = _timed
'''

_RUN = r"""import json, os, resource, sys, threading, time
start_cpu = time.process_time()
start = time.time()
threads = []
_inner = threading.Thread._bootstrap_inner
def _bootstrap_inner(self):
    try:
        _inner(self)
    finally:
        threads.append((type(self).__name__, self.name, time.thread_time()))
threading.Thread._bootstrap_inner = _bootstrap_inner
import gc
gcs = {}
_gc_at = {}
def _gc(phase, info):
    me = threading.current_thread()
    key = "main thread" if me is threading.main_thread() else type(me).__name__
    if phase == "start":
        _gc_at[me] = time.thread_time()
    else:
        n, t = gcs.get(key, (0, 0.0))
        gcs[key] = (n + 1, t + time.thread_time() - _gc_at.pop(me, time.thread_time()))
gc.callbacks.append(_gc)
import extriage.scan.pipeline as pipeline
from extriage.scan import registry
registry.WORKER_MODULES.append("_ledger_worker")
marks = []
_default = registry.default_stages
def _wrapped():
    stages = _default()
    for s in stages:
        cls = type(s)
        if getattr(cls, "_ledger", False):
            continue
        def timed(self, ctx, run=cls.run):
            a = time.thread_time()
            try:
                run(self, ctx)
            finally:
                marks.append((getattr(self, "name", type(self).__name__), a, time.thread_time()))
        cls.run = timed
        cls._ledger = True
    return stages
registry.default_stages = _wrapped
pipeline.default_stages = _wrapped
out = sys.argv[-1]
sys.argv = ["extriage", "scan", *sys.argv[1:-1]]
from extriage.cli.main import main
try:
    main()
except SystemExit:
    pass
main_cpu = time.thread_time()
self_cpu = time.process_time()
wall = time.time() - start
server = -1.0
try:
    from multiprocessing import forkserver
    pid = forkserver._forkserver._forkserver_pid
    with open(f"/proc/{pid}/stat", "rb") as fh:
        f = fh.read().rsplit(b")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    server = [(int(f[11]) + int(f[12])) / tick, (int(f[13]) + int(f[14])) / tick]
except Exception:
    server = None
json.dump({"start_cpu": start_cpu, "main": main_cpu, "self": self_cpu, "wall": wall, "marks": marks,
           "threads": threads, "server": server, "gc": gcs}, open(out, "w"))
"""


def one(tree: str, src: str, tmp: str, jobs: str) -> dict:
    trace = Path(tmp) / "trace.txt"
    trace.unlink(missing_ok=True)
    (Path(tmp) / "_ledger_worker.py").write_text(_WORKER, encoding="utf-8")
    res = Path(tmp) / "ledger.json"
    env = {**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{src}", "EXTRIAGE_LEDGER_TRACE": str(trace)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    proc = subprocess.run([sys.executable, "-c", _RUN, tree, "-q", "-j", jobs, "--json", str(Path(tmp) / "r.json"),
                           str(res)], env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 3, 10, 20):
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(proc.returncode)
    d = json.loads(res.read_text())
    batches: dict[str, float] = {}
    batches_gc: dict[str, float] = {}
    starts: list[float] = []
    pids = set()
    for line in trace.read_text().splitlines() if trace.exists() else []:
        func, pid, cpu, in_gc = line.split()
        if func == "start":
            starts.append(float(cpu))
            continue
        batches[func] = batches.get(func, 0.0) + float(cpu)
        batches_gc[func] = batches_gc.get(func, 0.0) + float(in_gc)
        pids.add(pid)
    rows: dict[str, float] = {}
    marks = d["marks"]
    first = min((a for _, a, _ in marks), default=d["main"])
    rows["main thread: interpreter start (before the script)"] = d["start_cpu"]
    rows["main thread: CLI, stage imports, inventory, prepare start (before the first stage)"] = first - d["start_cpu"]
    last = first
    for name, a, b in marks:
        rows[f"main thread: stage {name}"] = rows.get(f"main thread: stage {name}", 0.0) + b - a
        last = max(last, b)
    rows["main thread: after the last stage (outputs, exit)"] = d["main"] - last
    named = 0.0
    for cls, name, cpu in d["threads"]:
        key = f"thread {cls} ({name.split('-')[0] if name.startswith('Thread-') else name})"
        rows[key] = rows.get(key, 0.0) + cpu
        named += cpu
    rows["threads not seen ending"] = d["self"] - d["main"] - named
    for key, (_, cpu) in sorted(d.get("gc", {}).items()):
        rows[f"  of the above: garbage collection in {key}"] = cpu
    if d["server"]:
        own, children = d["server"]
        rows["fork server (own: interpreter, preload)"] = own
        for func, cpu in sorted(batches.items()):
            rows[f"workers: batches of {func}"] = cpu
            rows[f"  of which garbage collection in {func}"] = batches_gc.get(func, 0.0)
        rows["workers: outside batches (start, waits, hand-overs)"] = children - sum(batches.values())
        rows[f"  of which from fork to first batch ({len(starts)} workers)"] = sum(starts)
    rows["TOTAL"] = d["self"] + (sum(d["server"]) if d["server"] else 0.0)
    rows["_wall"] = d["wall"]
    rows["_load"] = float(load)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", default="0")
    ap.add_argument("--old", metavar="SRC", help="an older checkout's src/ folder, run alternately")
    ap.add_argument("--json", help="also write every round's rows here")
    args = ap.parse_args()
    codes = {"new": str(ROOT / "src")}
    if args.old:
        codes["old"] = str(Path(args.old).resolve())
    for src in codes.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", src], check=False, stdout=subprocess.DEVNULL)
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in codes}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, src in codes.items():
                runs[name].append(one(args.tree, src, tmp, args.jobs))
    for name, rs in runs.items():
        keys = list(dict.fromkeys(k for r in rs for k in r))
        print(f"== {name} ({codes[name]}), {len(rs)} rounds, CPU-s: median (each round)")
        for k in keys:
            vals = [r.get(k, 0.0) for r in rs]
            label = {"_wall": "wall s", "_load": "load (1 min)"}.get(k, k)
            print(f"  {label:<82} {statistics.median(vals):7.3f}  ({' '.join(f'{v:.3f}' for v in vals)})")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
