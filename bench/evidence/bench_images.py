"""Scan throughput from a disk image vs the same files in a folder (issue 16 target: >= 0.5x).

    .venv/bin/python bench/evidence/bench_images.py --size 50MB --jobs 1

Generates a ``full`` server (drive layout) into a temporary folder, builds an NTFS volume of it
(``mkntfs`` + ``ntfs-3g``, as root), converts it to E01 (``ewfacquire``, deflate fast) and VHDX
(``qemu-img``), then times ``extriage scan`` in a child process on the folder, the raw volume, the
E01 and the VHDX, in that order, ``--rounds`` times, and prints the best time of each with its
ratio to the folder (MB/s of evidence bytes). The listing alone (inventory) is timed too, since it is
what differs most. Everything is deleted afterwards.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=3600)


def _time_scan(path: Path, jobs: int, out: Path) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "extriage", "scan", str(path), "--jobs", str(jobs), "--json",
                           str(out), "-q"], capture_output=True, timeout=7200)
    took = time.perf_counter() - t
    if proc.returncode not in (0, 3, 10, 20):
        raise SystemExit(f"scan of {path} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def _time_inventory(path: Path) -> tuple[float, int]:
    code = ("import sys,time; from extriage.evidence.locate import build_inventory; "
            "from extriage.evidence.source import open_source; t=time.perf_counter(); "
            "inv=build_inventory(open_source(sys.argv[1]), lambda p, w: None); "
            "print(time.perf_counter()-t, len(inv.files))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    secs, files = out.stdout.split()
    return float(secs), int(files)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="50MB")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from images.conftest import make_ntfs  # the test helpers build the images the same way

    work = Path(tempfile.mkdtemp(prefix="extriage-bench-images-"))
    try:
        tree = work / "C"
        _run(sys.executable, "-m", "extriage", "generate", str(tree), "--scenario", "full", "--size", args.size,
             "--layout", "drive")
        size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
        vol_mib = max(64, int(size * 1.6) // 2**20 + 32)
        raw = make_ntfs(work / "server.raw", vol_mib, tree)
        _run("ewfacquire", "-u", "-q", "-t", str(work / "server"), "-f", "encase6", "-c", "deflate:fast", "-S",
             "1572864000", "-C", "c", "-D", "d", "-E", "1", "-e", "e", "-N", "n", str(raw))
        _run("qemu-img", "convert", "-f", "raw", "-O", "vhdx", str(raw), str(work / "server.vhdx"))
        targets = {"folder": tree, "raw": raw, "e01": work / "server.E01", "vhdx": work / "server.vhdx"}
        best: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, path in targets.items():
                took, _rss = _time_scan(path, args.jobs, work / f"{name}.json")
                best[name] = min(best.get(name, took), took)
        print(f"evidence: {size / 2**20:,.1f} MiB in {sum(1 for p in tree.rglob('*') if p.is_file()):,} files "
              f"(--size {args.size}, NTFS volume {vol_mib} MiB), --jobs {args.jobs}, best of {args.rounds}")
        for name, path in targets.items():
            inv_secs, files = _time_inventory(path)
            print(f"{name:7s} scan {best[name]:7.2f} s  {size / 2**20 / best[name]:6.2f} MiB/s  "
                  f"{best['folder'] / best[name]:5.2f}x folder   listing {inv_secs:6.2f} s ({files:,} files)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
