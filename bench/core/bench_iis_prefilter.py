"""IIS prefilter cost of the field-order-independent POST patterns (PL-IIS-POST-STATIC), vs the old
default-order-only patterns, on the same generated IIS logs, in one run.

    .venv/bin/python bench/core/bench_iis_prefilter.py --size 40MB --rounds 6

Generates a ``full`` server into bench/data/iis-prefilter (deleted afterwards), loads its IIS W3C logs
into memory and times :class:`~extriage.formats.prefilter.Prefilter` (one core) with the packaged IIS
rules' literals/regexes, once as shipped and once with the three old ``POST <stem>`` regexes instead.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OLD = ["POST /owa/auth/Current/themes/resources/", r"POST /ecp/default\.flt", r"POST /ecp/main\.css"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="40MB")
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    from extriage.detections.logrules import load_rules
    from extriage.formats.prefilter import Prefilter

    dest = ROOT / "bench/data/iis-prefilter"
    shutil.rmtree(dest, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "extriage", "generate", str(dest), "--scenario", "full", "--size", args.size,
                    "--days", "7"], check=True, capture_output=True)
    try:
        data = b"".join(p.read_bytes() for p in sorted(dest.rglob("u_ex*.log")))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    rules = load_rules().for_family("iis")
    lits = sorted({x for r in rules for x in r.prefilter})
    rxs = sorted({x for r in rules for x in r.prefilter_regex})
    sets = {"shipped": rxs, "old POST <stem>": [x for x in rxs if "POST" not in x] + OLD}
    print(f"{len(data) / 2**20:.1f} MiB of IIS logs, {len(lits)} literals")
    for engine in ("hyperscan", "re2"):
        for name, regexes in sets.items():
            pf = Prefilter(lits, regexes, engine)
            speeds, lines = [], 0
            for _ in range(args.rounds):
                t = time.perf_counter()
                lines = sum(len(pf.line_spans(data[i : i + (4 << 20)])) for i in range(0, len(data), 4 << 20))
                speeds.append(len(data) / 2**20 / (time.perf_counter() - t))
            speeds.sort()
            print(f"{engine:9} {name:16} best {speeds[-1]:6.0f} MiB/s, median {speeds[len(speeds) // 2]:6.0f} MiB/s,"
                  f" {lines} lines")


if __name__ == "__main__":
    main()
