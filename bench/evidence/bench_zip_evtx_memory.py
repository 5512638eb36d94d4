"""Peak memory of a scan whose zip holds large ``.evtx`` files: each is streamed into a temporary
file outside the evidence (the parser seeks), never read whole into memory.

    .venv/bin/python bench/evidence/bench_zip_evtx_memory.py --mb 450

Writes bench/data/zip-evtx/ev.zip (two stored members of ``--mb`` MiB each: an EVTX file header,
then random chunks the parser reports as damaged; deleted afterwards), scans it with ``-j 1`` in a
child process and prints the child's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=450)
    args = ap.parse_args()
    base = ROOT / "bench" / "data" / "zip-evtx"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    try:
        archive = base / "ev.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
            for name in ("Security.evtx", "Application.evtx"):
                with zf.open(name, "w", force_zip64=True) as out:
                    out.write(b"ElfFile\x00" + b"\x00" * 4088)
                    for _ in range(args.mb):
                        out.write(os.urandom(1024 * 1024))
        exe = Path(sys.executable).parent / "extriage"
        t = time.perf_counter()
        subprocess.run([str(exe), "scan", str(archive), "-q", "-j", "1", "--json", str(base / "out.json")],
                       check=False)
        took = time.perf_counter() - t
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"zip of 2 x {args.mb} MiB .evtx: {took:.1f} s, peak RSS {peak_kb / 1024:.0f} MiB "
              f"[load {os.getloadavg()[0]:.1f}]")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
