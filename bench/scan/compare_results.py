"""Whether two ``extriage scan --json`` results say the same, as old-vs-new benchmarks need.

    .venv/bin/python bench/scan/compare_results.py bench/out/scan-result-old.json bench/out/scan-result.json

Drops what differs between any two runs (``started``, ``finished``, the patch stage's source
timestamps, the evidence path when ``--any-path``), then compares the rest twice: as written, and
with every list sorted (the order of ``files`` and of some lists follows the order in which the
workers' batches came back). Prints each difference by its JSON path; exit status 0 when the sorted
forms are equal.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

VOLATILE = {"started", "finished"}


def _clean(x: Any, path: str = "") -> Any:
    if isinstance(x, dict):
        return {k: _clean(v, f"{path}/{k}") for k, v in x.items()
                if k not in VOLATILE and not (k == "timestamp" and path.startswith("/extras/patch/evidence"))}
    if isinstance(x, list):
        return [_clean(v, path + "[]") for v in x]
    return x


def _sorted(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _sorted(v) for k, v in x.items()}
    if isinstance(x, list):
        return sorted((_sorted(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True))
    return x


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if type(a) is not type(b):
        out.append(f"{path}: {type(a).__name__} vs {type(b).__name__}")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'new' if k in b else 'old'}")
            else:
                _diff(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} vs {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {str(a)[:80]!r} vs {str(b)[:80]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--any-path", action="store_true", help="ignore evidence_path (two copies of a tree)")
    args = ap.parse_args()
    if args.any_path:
        VOLATILE.add("evidence_path")
    with open(args.old, encoding="utf-8") as fa, open(args.new, encoding="utf-8") as fb:
        a, b = _clean(json.load(fa)), _clean(json.load(fb))
    as_written: list[str] = []
    _diff(a, b, "", as_written)
    unordered: list[str] = []
    _diff(_sorted(a), _sorted(b), "", unordered)
    print(f"as written: {len(as_written)} difference(s)" + (f", first at {as_written[0]}" if as_written else ""))
    print(f"lists sorted: {len(unordered)} difference(s)")
    for line in unordered[:40]:
        print("  " + line)
    return 1 if unordered else 0


if __name__ == "__main__":
    sys.exit(main())
