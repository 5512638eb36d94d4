"""50 generated servers: the same scans run directly (``extriage scan --json``, N at a time), through
``extriage case scan`` in N local worker processes, and through ``case scan --scheduler`` on a Dask
cluster of N worker processes (1 thread each, started on 127.0.0.1 before the clock starts, with the
preload docs/case.md recommends unless --no-preload), for N = 1
and N = --workers; then the per-server cost of the case store (``add_scan``) against writing the
``scan --json`` file alone.

    .venv/bin/python bench/fleet/bench_fleet.py --fleet /tmp/fleet50 [--servers 50 --workers 2 --size 300KB]
    .venv/bin/python bench/fleet/bench_fleet.py --fleet /tmp/fleet50 --modes dask1,dask2   # only some modes

The fleet is generated once into --fleet (reused when present). All modes run in one process tree on
the same machine, one after the other (N = 1 modes, then N = --workers), the load average printed
with each. A shared machine makes wall times noisy, so each mode also reports CPU time (user+sys) of
every process it used: the direct scans (exact, ``wait4`` of each), the local ``case scan`` and its
worker processes (sampled every 0.1 s: a lower bound), the Dask client command plus the Dask worker
processes (exact, before/after). For Dask, the scheduler's task stream gives each task's compute time
and the gap a worker waits between one task's end and the next one's start (the per-task cost of
Dask), and the time from starting ``case scan`` to its first task (client start-up and connect).
Parallel efficiency is T(1) / (N x T(N)) of wall times of the same run.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from extriage.generator.api import generate
from extriage.outputs import json_bytes, write_bytes

SCENARIOS = ["proxylogon", "clean", "attempts", "scanner", "clean"]


def make_fleet(root: Path, servers: int, size: str) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(servers):
        dest = root / f"exch{i:02d}"
        if not dest.exists():
            generate(dest, scenario=SCENARIOS[i % len(SCENARIOS)], seed=i + 1, size=size, days=6, hostname=f"EXCH{i:02d}")
        paths.append(dest)
    return paths


def exe() -> str:
    return str(Path(sys.executable).parent / "extriage")


@dataclass
class Run:
    mode: str
    workers: int
    wall: float
    cpu: float
    load: float
    notes: list[str] = field(default_factory=list)


def run_waited(argv: list[str]) -> float:
    """CPU seconds (user+sys) of a command that starts no lasting children, exactly (``wait4``)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(_status)
    return usage.ru_utime + usage.ru_stime


class TreeCPU:
    """CPU seconds of a process and all its descendants, sampled every ``every`` seconds (a process's
    time after its last sample is missed: a lower bound)."""

    def __init__(self, root: int, every: float = 0.1) -> None:
        self.root = root
        self.every = every
        self.seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                top = psutil.Process(self.root)
                procs = [top, *top.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    t = p.cpu_times()
                    self.seen[(p.pid, p.create_time())] = t.user + t.system
                except psutil.Error:
                    pass
            self._stop.wait(self.every)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return sum(self.seen.values())


def direct(paths: list[Path], workers: int, out: Path) -> Run:
    load = os.getloadavg()[0]
    cpu: list[float] = []

    def one(p: Path) -> None:
        cpu.append(run_waited([exe(), "scan", str(p), "-q", "-j", "1", "--json", str(out / f"{p.name}.json")]))

    t = time.perf_counter()
    with cf.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))
    wall = time.perf_counter() - t
    return Run("direct", workers, wall, sum(cpu), load,
               [f"CPU per scan process: median {statistics.median(cpu):.2f} s, min {min(cpu):.2f} s"])


def local(paths: list[Path], workers: int, case: Path) -> Run:
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen([exe(), "case", "scan", *map(str, paths), "--case", str(case), "-q", "-j", str(workers)],
                            stdout=subprocess.DEVNULL)
    tree = TreeCPU(proc.pid)
    proc.wait()
    wall = time.perf_counter() - t
    return Run("local", workers, wall, tree.stop(), load, ["CPU sampled (lower bound)"])


def dask(paths: list[Path], workers: int, case: Path, preload: bool) -> Run:
    from distributed import Client, LocalCluster

    extra = {"preload": ["extriage.case.runner"]} if preload else {}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0", silence_logs=40, **extra) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers, timeout=120)
        pids: dict[str, int] = client.run(os.getpid)
        client.get_task_stream()  # registers the scheduler's task stream plugin before the run

        def worker_cpu() -> dict[str, float]:
            out = {}
            for addr, pid in pids.items():
                t = psutil.Process(pid).cpu_times()
                out[addr] = t.user + t.system + t.children_user + t.children_system
            return out

        before = worker_cpu()
        own = resource.getrusage(resource.RUSAGE_SELF)
        load = os.getloadavg()[0]
        started = time.time()
        t = time.perf_counter()
        client_cpu = run_waited([exe(), "case", "scan", *map(str, paths), "--case", str(case), "-q",
                                 "--scheduler", cluster.scheduler_address])
        wall = time.perf_counter() - t
        after = worker_cpu()
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        stream: list[dict[str, Any]] = client.get_task_stream(start=started)
    per_worker = {a: after[a] - before[a] for a in pids}
    notes = [f"client command (case scan: start-up, connect, storing every result): CPU {client_cpu:.1f} s",
             "worker processes CPU: " + ", ".join(f"{v:.1f} s" for v in per_worker.values()),
             "scheduler and nannies (threads of this bench process) CPU: "
             f"{own_after.ru_utime + own_after.ru_stime - own.ru_utime - own.ru_stime:.1f} s"]
    computes: list[tuple[str, float, float]] = []
    for rec in stream:
        for ss in rec.get("startstops", []):
            if ss.get("action") == "compute":
                computes.append((str(rec.get("worker")), float(ss["start"]), float(ss["stop"])))
    if computes:
        durations = sorted(stop - start for _w, start, stop in computes)
        first_start = min(start for _w, start, _s in computes)
        last_stop = max(stop for _w, _s, stop in computes)
        gaps = []
        for w in {c[0] for c in computes}:
            mine = sorted((s, e) for ww, s, e in computes if ww == w)
            gaps.extend(b[0] - a[1] for a, b in itertools.pairwise(mine))
        busy = sum(durations)
        firsts = [min((s, e) for ww, s, e in computes if ww == w) for w in {c[0] for c in computes}]
        notes += [
            f"{len(computes)} tasks: compute median {statistics.median(durations):.2f} s, longest {durations[-1]:.2f} s; "
            "first task of each worker " + ", ".join(f"{e - s:.2f} s" for s, e in sorted(firsts)),
            f"start of 'case scan' to first task: {first_start - started:.2f} s; last task to command end: "
            f"{started + wall - last_stop:.2f} s",
            (f"gap between tasks on a worker: median {statistics.median(gaps) * 1000:.1f} ms, max {max(gaps) * 1000:.0f} ms,"
             f" total {sum(gaps):.2f} s" if gaps else "no gaps (one task per worker)"),
            f"workers busy computing {busy / (workers * wall) * 100:.1f} % of {workers} x wall; worker CPU per task "
            f"{sum(per_worker.values()) / len(computes):.2f} s against a median task wall of "
            f"{statistics.median(durations):.2f} s (the difference is waiting for a core)",
        ]
    return Run("dask", workers, wall, client_cpu + sum(per_worker.values()), load, notes)


def case_verdicts(case: Path) -> dict[str, str]:
    """Each stored server's verdict, by evidence folder name (to check a mode scanned every server)."""
    from extriage.case.reader import open_reader

    reader = open_reader(str(case))
    try:
        return {Path(s.evidence).name: s.verdict for s in reader.servers()}
    finally:
        reader.close()


def direct_verdicts(results_dir: Path) -> dict[str, str]:
    import json

    return {p.stem: json.loads(p.read_bytes())["verdict"] for p in results_dir.glob("exch*.json")}


def store_overhead(results_dir: Path, case: Path) -> tuple[float, float]:
    """Median ms per server: the store's add_scan, and writing the scan --json file."""
    from extriage.case.store import open_case
    from extriage.report.load import load_result

    results = [load_result(p) for p in sorted(results_dir.glob("*.json"))]
    add, js = [], []
    with open_case(str(case)) as store:
        for r in results:
            t = time.perf_counter()
            store.add_scan(r, engine="local", worker="bench")
            add.append(time.perf_counter() - t)
            t = time.perf_counter()
            write_bytes(results_dir / "again.json", json_bytes(r.to_dict()) + b"\n")
            js.append(time.perf_counter() - t)
    return statistics.median(add) * 1000, statistics.median(js) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fleet", required=True)
    ap.add_argument("--servers", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--size", default="300KB")
    ap.add_argument("--modes", default="direct1,local1,dask1,direct2,local2,dask2,store",
                    help="Comma-separated: directN, localN, daskN (N = 1 or 2, 2 meaning --workers), store.")
    ap.add_argument("--no-preload", action="store_true",
                    help="Start the Dask workers without '--preload extriage.case.runner' (cold: the first task warms up).")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    paths = make_fleet(Path(args.fleet), args.servers, args.size)
    print(f"{len(paths)} servers in {args.fleet}, N = 1 and {args.workers} workers, {os.cpu_count()} cores", flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "json").mkdir()
        for mode in modes:
            if mode == "store":
                continue
            kind, n = mode[:-1], (1 if mode.endswith("1") else args.workers)
            if kind == "direct":
                run = direct(paths, n, t / "json")
            elif kind == "local":
                run = local(paths, n, t / f"{mode}.db")
            elif kind == "dask":
                run = dask(paths, n, t / f"{mode}.db", not args.no_preload)
            else:
                raise SystemExit(f"unknown mode {mode}")
            runs.append(run)
            if kind != "direct":  # every server stored, with the verdict its direct scan gave
                got = case_verdicts(t / f"{mode}.db")
                want = direct_verdicts(t / "json") or None
                if len(got) != len(paths) or (want is not None and got != want):
                    raise SystemExit(f"{mode}: the case holds {len(got)} servers of {len(paths)}"
                                     + ("" if want is None else f"; verdicts differing from the direct scans: "
                                        f"{sorted(k for k in want if got.get(k) != want[k])}"))
                run.notes.append(f"case holds all {len(got)} servers"
                                 + ("" if want is None else ", verdicts equal to the direct scans'"))
            print(f"{run.mode} x{run.workers}: wall {run.wall:.1f} s, CPU {run.cpu:.1f} s "
                  f"({run.cpu / len(paths):.2f} s per server), load {run.load:.2f}", flush=True)
            for note in run.notes:
                print(f"    {note}", flush=True)
        if "store" in modes and any((t / "json").glob("*.json")):
            add, js = store_overhead(t / "json", t / "store.db")
            print(f"per server: case store add_scan {add:.1f} ms (median) vs writing the scan --json file {js:.1f} ms")
    summary(runs)
    return 0


def summary(runs: list[Run]) -> None:
    by = {(r.mode, r.workers): r for r in runs}
    print("\nsummary (same run):")
    for r in runs:
        line = f"  {r.mode} x{r.workers}: wall {r.wall:.1f} s, CPU {r.cpu:.1f} s"
        base = by.get(("direct", r.workers))
        if base and r is not base:
            line += f"; vs direct x{r.workers}: wall {r.wall / base.wall:.2f}x, CPU {r.cpu / base.cpu:.2f}x"
        loc = by.get(("local", r.workers))
        if r.mode == "dask" and loc:
            line += f"; vs local x{r.workers}: wall {r.wall / loc.wall:.2f}x, CPU {r.cpu / loc.cpu:.2f}x"
        one = by.get((r.mode, 1))
        if one and r.workers > 1:
            line += f"; parallel efficiency {one.wall / (r.workers * r.wall) * 100:.0f} %"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
