"""Core-logs benchmark: the logs stage alone and the prefilter engines, against ripgrep, in one run.

    .venv/bin/python bench/core/bench_logs.py --size 300MB --rounds 3   # generate into bench/data/core, measure, delete
    .venv/bin/python bench/core/bench_logs.py --data bench/data/core --keep

Measures, on the same generated tree (page cache warmed first):
  * ripgrep (-j2, case-insensitive) for the prefilter literals/regexes of the log rules;
  * the ``logs`` stage alone (inventory + both worker processes: read, hash, prefilter, parse the
    selected lines, rules, coverage, requests per hour), with the Hyperscan and with the RE2 engine;
  * the raw prefilter engines on the in-memory bytes of the HttpProxy + IIS files (single core);
  * peak RSS of the stage's process tree.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rg_patterns() -> list[str]:
    from extriage.detections.logrules import load_rules

    def esc(x: str) -> str:
        return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in x)

    pats: list[str] = []
    for r in load_rules().rules:
        pats += [esc(x) for x in r.prefilter] + list(r.prefilter_regex)
    return list(dict.fromkeys(pats))


def tree_rss_peak(stop: threading.Event, out: list[int]) -> None:
    me = os.getpid()
    peak = 0
    while not stop.is_set():
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().split()
                if int(pid) == me or int(stat[3]) == me:
                    total += int(stat[23]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                continue
        peak = max(peak, total)
        time.sleep(0.05)
    out.append(peak)


def run_stage(data: Path, engine: str) -> tuple[float, int, int]:
    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source
    from extriage.findings import ScanResult
    from extriage.scan.context import ScanContext, ScanOptions
    from extriage.scan.stages.logs import LogsStage

    stop, peaks = threading.Event(), []  # type: ignore[var-annotated]
    th = threading.Thread(target=tree_rss_peak, args=(stop, peaks))
    th.start()
    t0 = time.perf_counter()
    spec = open_source(str(data))
    inv = build_inventory(spec, lambda p, w: None)
    ctx = ScanContext(inv, ScanResult(str(data)), ScanOptions(jobs=2, extra={"prefilter_engine": engine}))
    LogsStage().run(ctx)
    secs = time.perf_counter() - t0
    stop.set()
    th.join()
    lines = sum(c.lines for c in ctx.result.coverage.families.values())
    return secs, peaks[0], lines


def engines_raw(data: Path) -> dict[str, float]:
    from extriage.formats.prefilter import Prefilter

    lits = sorted({x for r in __import__("extriage.detections.logrules", fromlist=["x"]).load_rules().rules for x in r.prefilter})
    rxs = sorted({x for r in __import__("extriage.detections.logrules", fromlist=["x"]).load_rules().rules for x in r.prefilter_regex})
    blobs = [p.read_bytes() for p in data.rglob("*") if p.is_file() and p.suffix.lower() == ".log"][:400]
    size = sum(map(len, blobs))
    out = {}
    for engine in ("hyperscan", "re2"):
        pf = Prefilter(lits, rxs, engine)
        t0 = time.perf_counter()
        hits = sum(len(pf.line_spans(b)) for b in blobs)
        out[engine] = size / (time.perf_counter() - t0) / 2**20
        out[engine + "_hits"] = hits
    out["mib"] = size / 2**20
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="300MB")
    ap.add_argument("--data", default=str(ROOT / "bench/data/core"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "extriage-generated.json").exists():
        from extriage.generator.api import generate

        generate(data, scenario="full", seed=11, size=args.size, days=14, jobs=2, overwrite=True)
    total = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    pats = rg_patterns()
    cmd = ["rg", "-j2", "-i", "-c", "--no-messages"] + [a for p in pats for a in ("-e", p)] + [str(data)]
    subprocess.run(cmd, capture_output=True, check=False)  # warm the page cache
    print(f"tree: {total / 2**20:.0f} MiB")
    for rnd in range(args.rounds):  # alternate the tools: the shared machine's load changes by the second
        t0 = time.perf_counter()
        rg = subprocess.run(cmd, capture_output=True, check=False)
        rg_s = time.perf_counter() - t0
        if rg.returncode not in (0, 1):
            sys.exit(f"ripgrep failed: {rg.stderr.decode()[:300]}")
        print(f"round {rnd + 1}: ripgrep -j2: {rg_s:.2f} s = {total / rg_s / 2**20:.0f} MiB/s; load {os.getloadavg()[0]:.1f}")
        for engine in ("hyperscan", "re2"):
            secs, peak, lines = run_stage(data, engine)
            print(f"  logs stage ({engine}): {secs:.2f} s = {total / secs / 2**20:.0f} MiB/s, ratio to rg {rg_s / secs:.2f}, "
                  f"{lines:,} lines, peak tree RSS {peak / 2**20:.0f} MiB, this process maxrss "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    raw = engines_raw(data)
    print(f"raw prefilter, 1 core, {raw['mib']:.0f} MiB in memory: hyperscan {raw['hyperscan']:.0f} MiB/s "
          f"({raw['hyperscan_hits']} lines), re2 {raw['re2']:.0f} MiB/s ({raw['re2_hits']} lines)")
    if not args.keep:
        shutil.rmtree(data)


if __name__ == "__main__":
    main()
