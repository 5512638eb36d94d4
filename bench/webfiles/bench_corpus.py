"""Recall and false positives of the web file content checks on the shared ASP.NET corpus.

Every file of ``../shared/data/aspnet-corpus/{webshells,benign}`` goes through exactly what the scan
does to a page (``content.examine``: one read, UTF-16 decoding, our YARA rules [+ ``--rules``], the
behaviour analysis). A file counts as flagged when any content check fires. The corpus is split in
two halves by its content hash (file names are SHA-256 prefixes): ``dev`` = first hex digit 0-7, the
half the behaviour rules were written from; ``held-out`` = 8-f, only ever counted. The held-out
half's figures are the closer estimate of recall on shells nobody here has seen.

Usage (from the repo root):
    .venv/bin/python bench/webfiles/bench_corpus.py [--shared DIR] [--rules DIR] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset

REPO = Path(__file__).resolve().parents[2]


def shared_dir(arg: str | None) -> Path:
    for cand in [arg, os.environ.get("EXTRIAGE_SHARED"), str(REPO.parent / "shared")]:
        if cand and (Path(cand) / "data" / "aspnet-corpus").is_dir():
            return Path(cand) / "data" / "aspnet-corpus"
    raise SystemExit("needs the shared ASP.NET corpus: lay shared/ beside the checkout or pass --shared DIR")


def half(name: str) -> str:
    return "dev" if name[:1].lower() in "01234567" else "held-out"


def examine_all(folder: Path, params: content.ContentParams) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith("LICENSE") or p.suffix.lower() in (".txt", ".md"):
            continue
        t = content.Target(str(p), str(p).lower(), str(p), p.name, p.stat().st_size, None)
        t0 = time.perf_counter()
        res = content.examine(t, content.DEEP, params)
        hits = res.data.get("hits", [])
        out[p.name] = {
            "yara": sorted(
                {h["rule"] for h in hits if h["check"] == "yara" and h.get("namespace") == "extriage"}
            ),
            "external": sorted(
                {h["rule"] for h in hits if h["check"] == "yara" and h.get("namespace") != "extriage"}
            ),
            "behaviour": sorted({h["sink"] for h in hits if h["check"] == "behaviour"}),
            "partial": [s.reason for s in res.skipped],
            "seconds": time.perf_counter() - t0,
        }
    return out


def summarise(res: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
    def flagged(r: dict[str, Any], what: str) -> bool:
        if what == "own-yara":
            return bool(r["yara"])
        if what == "behaviour":
            return bool(r["behaviour"])
        if what == "own":
            return bool(r["yara"] or r["behaviour"])
        return bool(r["yara"] or r["behaviour"] or r["external"])

    out: dict[str, Any] = {}
    for part in ("all", "dev", "held-out"):
        names = [n for n in res if part == "all" or half(n) == part]
        row: dict[str, Any] = {"files": len(names)}
        for what in ("own-yara", "behaviour", "own", "own+external"):
            n = sum(1 for x in names if flagged(res[x], what))
            row[what] = f"{n}/{len(names)} ({100 * n / max(1, len(names)):.1f} %)"
        out[part] = row
    return {key: out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", help="the shared/ folder (default: beside the checkout)")
    ap.add_argument(
        "--rules", action="append", default=[], help="external YARA rules, e.g. signature-base/yara"
    )
    ap.add_argument("--list", action="store_true", help="name the missed shells and flagged benign files")
    args = ap.parse_args()
    corpus = shared_dir(args.shared)
    rs = build_ruleset(args.rules)
    for e in rs.errors:
        print(e, file=sys.stderr)
    params = content.ContentParams(
        rs.serialized, 64 << 20, 30.0, external=any(s.external for s in rs.sources)
    )
    t0 = time.perf_counter()
    shells = examine_all(corpus / "webshells", params)
    benign = examine_all(corpus / "benign", params)
    elapsed = time.perf_counter() - t0
    report: dict[str, Any] = {
        "rules": [s.origin for s in rs.sources],
        **summarise(shells, "recall_webshells"),
        **summarise(benign, "flagged_benign"),
        "behaviour_sinks_on_shells": Counter(
            s for r in shells.values() for s in r["behaviour"]
        ).most_common(),
        "behaviour_sinks_on_benign": Counter(
            s for r in benign.values() for s in r["behaviour"]
        ).most_common(),
        "partly_analysed": [n for d in (shells, benign) for n, r in d.items() if r["partial"]],
        "seconds": round(elapsed, 1),
        "slowest_file_s": round(max(r["seconds"] for d in (shells, benign) for r in d.values()), 3),
    }
    if args.list:
        report["missed"] = [
            n for n, r in shells.items() if not (r["yara"] or r["behaviour"] or r["external"])
        ]
        report["benign_flagged"] = {
            n: r["yara"] + r["behaviour"] + r["external"]
            for n, r in benign.items()
            if r["yara"] or r["behaviour"] or r["external"]
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
