"""Scan throughput from a disk image vs the same files in a folder (issue 16 target: >= 0.5x).

    .venv/bin/python bench/evidence/bench_images.py --size 50MB --jobs 1 [--old /tmp/old_X]

Generates a ``full`` server (drive layout) into a temporary folder, builds an NTFS volume of it
(``mkntfs`` + ``ntfs-3g``, as root), converts it to E01 (``ewfacquire``, deflate fast) and VHDX
(``qemu-img``) and a two-segment Ex01 (written by the tests' EWF2 writer, read through libewf), and
lays the files out as an acquire collection (``fs/C:/…``) in a plain tar and a
gzip-compressed tar (Python's tarfile, as acquire writes them); then times ``extriage scan`` in a
child process on the folder, the raw volume, the E01, the Ex01, the VHDX and the tars, in that order,
``--rounds`` times, and prints the best wall time and the best CPU time (user+sys of the child) of
each with its ratio to the folder (MB/s of evidence bytes). The scan of an image includes the
SHA-256 of the image file itself (hashed in a thread beside the stages). ``--old DIR`` (a
``git worktree`` of an earlier commit) runs every scan with that code too, alternating old/new in
the same round. The listing alone (inventory) is timed too. Everything is deleted afterwards.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=3600)


def _time_scan(path: Path, jobs: int, out: Path, src: str = "") -> tuple[float, float]:
    """Wall and CPU (user+sys) seconds of one ``extriage scan`` in a child process (``src``: the
    ``src`` folder of other code to run instead)."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "extriage", "scan", str(path), "--jobs", str(jobs), "--json",
                           str(out), "-q"], capture_output=True, timeout=7200, env=env)
    took = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 3, 10, 20):
        raise SystemExit(f"scan of {path} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def _acquire_layout(tree: Path, dest: Path, compressed: bool) -> Path:
    """The tree as acquire lays out a collection (``fs/C:/…``), in a tar (gzip: ``--compress``)."""
    with tarfile.open(dest, "w") as tf:
        for p in sorted(tree.rglob("*")):
            if p.is_file():
                tf.add(p, "fs/C:/" + p.relative_to(tree).as_posix())
    if not compressed:
        return dest
    gz = dest.with_name(dest.name + ".gz")
    with dest.open("rb") as src, gzip.open(gz, "wb", compresslevel=6) as out:
        shutil.copyfileobj(src, out, 1024 * 1024)
    dest.unlink()
    return gz


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
    ap.add_argument("--old", default="", help="a git worktree of earlier code, run alternately with this one")
    args = ap.parse_args()
    from images.conftest import make_ex01, make_ntfs  # the test helpers build the images the same way

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
        (work / "ex01").mkdir()
        targets = {"folder": tree, "raw": raw, "e01": work / "server.E01",
                   "ex01": make_ex01(raw, work / "ex01" / "server.Ex01", segments=2), "vhdx": work / "server.vhdx",
                   "tar": _acquire_layout(tree, work / "acquire.tar", False),
                   "tar.gz": _acquire_layout(tree, work / "acquire2.tar", True)}
        codes = {"new": ""} | ({"old": str(Path(args.old) / "src")} if args.old else {})
        best: dict[tuple[str, str], tuple[float, float]] = {}
        for _ in range(args.rounds):
            for name, path in targets.items():
                for code, src in codes.items():  # old and new alternate on each target
                    if code == "old" and name.startswith(("tar", "ex01")):
                        continue  # tars and Ex01 are read by the new code only
                    took, cpu = _time_scan(path, args.jobs, work / f"{name}-{code}.json", src)
                    was = best.get((code, name), (took, cpu))
                    best[(code, name)] = (min(was[0], took), min(was[1], cpu))
        print(f"evidence: {size / 2**20:,.1f} MiB in {sum(1 for p in tree.rglob('*') if p.is_file()):,} files "
              f"(--size {args.size}, NTFS volume {vol_mib} MiB), --jobs {args.jobs}, best of {args.rounds}, "
              f"load average {os.getloadavg()[0]:.1f}")
        for code in codes:
            fw, fc = best[(code, "folder")]
            for name, path in targets.items():
                if (code, name) not in best:
                    continue
                wall, cpu = best[(code, name)]
                listing = ""
                if code == "new":
                    inv_secs, files = _time_inventory(path)
                    listing = f"   listing {inv_secs:6.2f} s ({files:,} files)"
                print(f"{code} {name:7s} scan {wall:7.2f} s {size / 2**20 / wall:6.2f} MiB/s {fw / wall:5.2f}x folder"
                      f"   cpu {cpu:7.2f} s {fc / cpu:5.2f}x folder{listing}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
