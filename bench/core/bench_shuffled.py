"""Logs in shuffled time order against the same logs in order: one worker's rate per log family.

    .venv/bin/python bench/core/bench_shuffled.py --size 200MB --rounds 3

Generates a ``full`` server (or reuses ``--data``), writes a copy of its IIS and HttpProxy logs
whose data lines are shuffled inside each file (the header lines before the first dated line stay
on top: a merged or re-exported log), then times what one worker does per file (``scan_log_file``: read, SHA-256, prefilter, parse
the selected lines, count lines and requests per hour) on both copies, alternated, best of
``--rounds``, in CPU seconds (MiB per CPU-second; the machine is shared). It also checks that both
copies give the same line counts and requests per hour. Issue 18's target: shuffled >= 0.9x ordered.
Generated data goes to bench/data/shuffled (git-ignored) and is deleted unless --keep.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

_DATED = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d")
OUT = Path(__file__).resolve().parents[1] / "data" / "shuffled"


def shuffled_copy(src: Path, dest: Path, seed: int) -> None:
    rnd = random.Random(seed)
    for path in sorted(p for p in src.rglob("*") if p.suffix.lower() == ".log"):
        rel = path.relative_to(src)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = [ln if ln.endswith(b"\n") else ln + b"\n" for ln in path.read_bytes().splitlines(keepends=True)]
        cut = next((i for i, ln in enumerate(lines) if _DATED.match(ln)), len(lines))
        head, body = lines[:cut], lines[cut:]  # header lines (#…, a bare CSV header) stay on top
        rnd.shuffle(body)
        target.write_bytes(b"".join(head + body))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="200MB")
    ap.add_argument("--data", help="an existing generated server (else one is generated)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source
    from extriage.formats.sniff import family_from_path
    from extriage.scan.stages.logs import LogParams, scan_log_file

    OUT.mkdir(parents=True, exist_ok=True)
    try:
        ordered = Path(args.data) if args.data else OUT / "ordered"
        if not args.data:
            from extriage.generator.api import generate

            generate(ordered, scenario="full", seed=3, size=args.size, days=14, jobs=2, events=False,
                     webshell_files=False)
        shuffled = OUT / "shuffled"
        if not shuffled.exists():
            shuffled_copy(ordered, shuffled, seed=1)
        params = LogParams()
        for family in ("iis", "httpproxy"):
            picked: dict[str, list[object]] = {}
            for name, root in (("ordered", ordered), ("shuffled", shuffled)):
                inv = build_inventory(open_source(str(root)), lambda _p, _w: None)
                picked[name] = sorted(
                    (f for f in inv.files if (fm := family_from_path(f.key)) is not None and fm.family == family),
                    key=lambda f: f.key)  # type: ignore[attr-defined]
            size = sum(f.ref.size for f in picked["ordered"]) / 2**20  # type: ignore[attr-defined]
            best = {"ordered": float("inf"), "shuffled": float("inf")}
            totals: dict[str, tuple[int, Counter[str]]] = {}
            for _ in range(args.rounds):
                for name in ("ordered", "shuffled"):
                    lines = 0
                    hours: Counter[str] = Counter()
                    cpu = time.process_time()
                    for f in picked[name]:
                        out = scan_log_file(f, params)  # type: ignore[arg-type]
                        lines += sum(fam.lines for fam in out.coverage)
                        hours.update(out.data.get("hours") or {})
                    best[name] = min(best[name], time.process_time() - cpu)
                    totals[name] = (lines, hours)
            same = totals["ordered"] == totals["shuffled"]
            print(f"{family:10s} {len(picked['ordered']):5d} files {size:7.0f} MiB  "
                  f"ordered {size / best['ordered']:5.0f} MiB/CPU-s  shuffled {size / best['shuffled']:5.0f} MiB/CPU-s  "
                  f"ratio {best['ordered'] / best['shuffled']:.2f}  same lines and hours: {same}")
    finally:
        if not args.keep:
            shutil.rmtree(OUT, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
