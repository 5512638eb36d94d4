"""50 generated servers: the same scans run directly (``extriage scan --json``, N at a time), through
``extriage case scan`` in N local worker processes, and through ``case scan --scheduler`` on a Dask
cluster of N worker processes (1 thread each) started on 127.0.0.1 before the clock starts; then the
per-server cost of the case store (``add_scan``) against writing the ``scan --json`` file alone.

    .venv/bin/python bench/fleet/bench_fleet.py --fleet /tmp/fleet50 [--servers 50 --workers 2 --size 300KB]

The fleet is generated once into --fleet (reused when present). All modes run in the same process
tree on the same machine, one after the other; ratios are against the direct run of the same run.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def direct(paths: list[Path], workers: int, out: Path) -> float:
    def one(p: Path) -> None:
        subprocess.run([exe(), "scan", str(p), "-q", "-j", "1", "--json", str(out / f"{p.name}.json")], check=False)

    t = time.perf_counter()
    with cf.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))
    return time.perf_counter() - t


def case_scan(paths: list[Path], case: Path, extra: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([exe(), "case", "scan", *map(str, paths), "--case", str(case), "-q", *extra], check=False)
    return time.perf_counter() - t


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
    ap.add_argument("--modes", default="direct,local,dask,dask1,store")
    args = ap.parse_args()
    modes = args.modes.split(",")
    paths = make_fleet(Path(args.fleet), args.servers, args.size)
    print(f"{len(paths)} servers in {args.fleet}, {args.workers} workers, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "json").mkdir()
        base = None
        if "direct" in modes:
            base = direct(paths, args.workers, t / "json")
            print(f"direct: extriage scan --json, {args.workers} at a time: {base:.1f} s")
        if "local" in modes:
            s = case_scan(paths, t / "local.db", ["-j", str(args.workers)])
            print(f"case scan, {args.workers} local processes: {s:.1f} s" + (f" ({s / base:.2f}x direct)" if base else ""))
        for mode, n in (("dask", args.workers), ("dask1", 1)):
            if mode not in modes:
                continue
            from distributed import LocalCluster

            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None, silence_logs=40) as cluster:
                s = case_scan(paths, t / f"{mode}.db", ["--scheduler", cluster.scheduler_address])
            print(f"case scan on Dask, {n} workers: {s:.1f} s" + (f" ({s / base:.2f}x direct)" if base else ""))
        if "store" in modes and any((t / "json").glob("*.json")):
            add, js = store_overhead(t / "json", t / "store.db")
            print(f"per server: case store add_scan {add:.1f} ms (median) vs writing the scan --json file {js:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
