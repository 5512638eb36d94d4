"""Recall and false positives of the web file content checks on *your own* collection of shells.

The shared corpus is a training set; what matters is how the rules do on shells nobody here wrote
rules from. Give this script a folder of real ASP.NET web shells (any depth, any names) and,
optionally, folders of benign pages; every file goes through exactly what ``extriage scan`` does to
a page (``content.examine``: one read, UTF-16 decoding, our YARA rules [+ ``--rules``], the behaviour
analysis of server code). A file counts as flagged when any content check fires. Files are
de-duplicated by SHA-256 first (``--exclude DIR`` also drops any file whose content is in DIR, e.g.
the shared training corpus, so only unseen shells are counted; ``--exclude-hashes FILE`` drops those
whose SHA-256 is listed, e.g. ``bench/webfiles/seen_shells.sha256``, the collections measured before).
``--print-hashes NAME`` prints ``sha256  NAME/relative-path`` lines for the folder's files and stops:
what a collector appends to that list once the collection is measured.

Usage (from the repo root):
    .venv/bin/python bench/webfiles/bench_unseen.py SHELLS [--benign DIR ...] [--exclude DIR ...]
        [--exclude-hashes FILE ...] [--rules signature-base/yara] [--list] [--exchange-configs]
    .venv/bin/python bench/webfiles/bench_unseen.py SHELLS --print-hashes NAME >> bench/webfiles/seen_shells.sha256

Figures: own rules alone, external rules alone (when ``--rules``), and both; false positives per
benign folder; ``--exchange-configs`` adds the real Exchange ``web.config`` files in
``tests/data/exchange-iis-config`` (and ``../shared/data/exchange-iis-config`` when present), which
must give no finding.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset

REPO = Path(__file__).resolve().parents[2]
#: Files that are not pages (licences, notes) are left out of the counts.
_NOT_PAGES = (".txt", ".md", ".rst")


def files_under(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.name.upper().startswith("LICENSE") and p.suffix.lower() not in _NOT_PAGES
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed_hashes(path: Path) -> set[str]:
    """SHA-256 values of a ``sha256  name`` list (``#`` comments and blank lines ignored)."""
    out: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].split(None, 1)
        if word:
            out.add(word[0].lower())
    return out


def unique(paths: list[Path], seen: set[str]) -> tuple[list[Path], int]:
    """Paths whose content is not in ``seen`` (updated), and how many were dropped."""
    out: list[Path] = []
    dropped = 0
    for p in paths:
        h = digest(p)
        if h in seen:
            dropped += 1
            continue
        seen.add(h)
        out.append(p)
    return out, dropped


def examine(path: Path, params: content.ContentParams) -> dict[str, Any]:
    t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
    t0 = time.perf_counter()
    res = content.examine(t, content.DEEP, params)
    hits = res.data.get("hits", [])
    return {
        "own_yara": sorted(
            {h["rule"] for h in hits if h["check"] == "yara" and h.get("namespace") == "extriage"}
        ),
        "external": sorted(
            {h["rule"] for h in hits if h["check"] == "yara" and h.get("namespace") != "extriage"}
        ),
        "behaviour": sorted({h["sink"] for h in hits if h["check"] == "behaviour"}),
        "other": sorted({h["check"] for h in hits if h["check"] not in ("yara", "behaviour")}),
        "partial": [s.reason for s in res.skipped],
        "seconds": time.perf_counter() - t0,
    }


def own(r: dict[str, Any]) -> bool:
    return bool(r["own_yara"] or r["behaviour"] or r["other"])


def rate(n: int, total: int) -> str:
    return f"{n}/{total} ({100 * n / max(1, total):.1f} %)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("shells", help="folder of real web shells (searched recursively)")
    ap.add_argument("--benign", action="append", default=[], help="folder of benign pages (repeatable)")
    ap.add_argument(
        "--exclude", action="append", default=[], help="drop shells whose content is in this folder"
    )
    ap.add_argument(
        "--exclude-hashes",
        action="append",
        default=[],
        help="drop shells whose SHA-256 is listed in this file (e.g. bench/webfiles/seen_shells.sha256)",
    )
    ap.add_argument(
        "--print-hashes", metavar="NAME", help="print 'sha256  NAME/path' for SHELLS' files and stop"
    )
    ap.add_argument(
        "--rules", action="append", default=[], help="external YARA rules, e.g. signature-base/yara"
    )
    ap.add_argument(
        "--exchange-configs", action="store_true", help="also count real Exchange web.config files"
    )
    ap.add_argument("--list", action="store_true", help="name missed shells and flagged benign files")
    args = ap.parse_args()

    if args.print_hashes:
        root = Path(args.shells)
        for p in files_under(root):
            print(f"{digest(p)}  {args.print_hashes}/{p.relative_to(root).as_posix()}")
        return
    seen: set[str] = set()
    for listing in args.exclude_hashes:
        seen |= listed_hashes(Path(listing))
    for folder in args.exclude:
        for p in files_under(Path(folder)):
            seen.add(digest(p))
    shells_all = files_under(Path(args.shells))
    shells, dupes = unique(shells_all, seen)
    excluded = dupes
    if not shells:
        raise SystemExit(f"{args.shells}: no shell left to measure ({len(shells_all)} files, {dupes} seen)")
    rs = build_ruleset(args.rules)
    for e in rs.errors:
        print(e, file=sys.stderr)
    external = any(s.external for s in rs.sources)
    params = content.ContentParams(rs.serialized, 64 << 20, 30.0, external=external)
    t0 = time.perf_counter()
    res = {str(p.relative_to(args.shells)): examine(p, params) for p in shells}
    n = len(res)
    report: dict[str, Any] = {
        "shell_files": len(shells_all),
        "dropped_duplicate_or_excluded": excluded,
        "shells_measured": n,
        "extensions": dict(Counter(Path(k).suffix.lower() for k in res).most_common()),
        "recall_own_rules": rate(sum(own(r) for r in res.values()), n),
        "recall_own_yara_only": rate(sum(bool(r["own_yara"]) for r in res.values()), n),
        "recall_behaviour_only": rate(sum(bool(r["behaviour"]) for r in res.values()), n),
    }
    if external:
        report["external_rules"] = [s.origin for s in rs.sources if s.external]
        report["recall_external_only"] = rate(sum(bool(r["external"]) for r in res.values()), n)
        report["recall_own_plus_external"] = rate(sum(own(r) or bool(r["external"]) for r in res.values()), n)
    report["behaviour_sinks_on_shells"] = Counter(
        s for r in res.values() for s in r["behaviour"]
    ).most_common()
    if args.list:
        report["missed_own"] = sorted(k for k, r in res.items() if not own(r))
        if external:
            report["missed_all"] = sorted(k for k, r in res.items() if not (own(r) or r["external"]))
    benign_dirs = [Path(b) for b in args.benign]
    if args.exchange_configs:
        benign_dirs += [
            d
            for d in (
                REPO / "tests/data/exchange-iis-config",
                REPO.parent / "shared/data/exchange-iis-config",
            )
            if d.is_dir()
        ]
    for folder in benign_dirs:
        pages = files_under(folder)
        if folder.name == "exchange-iis-config":
            pages = [p for p in pages if p.suffix.lower() == ".config"]
        ben = {str(p.relative_to(folder)): examine(p, params) for p in pages}
        flagged_own = {k: r["own_yara"] + r["behaviour"] + r["other"] for k, r in ben.items() if own(r)}
        row: dict[str, Any] = {"files": len(ben), "flagged_own": rate(len(flagged_own), len(ben))}
        if external:
            row["flagged_external"] = rate(sum(bool(r["external"]) for r in ben.values()), len(ben))
        if args.list:
            row["flagged"] = {
                k: r["own_yara"] + r["behaviour"] + r["other"] + r["external"]
                for k, r in ben.items()
                if own(r) or r["external"]
            }
        row["partly_analysed"] = sorted(k for k, r in ben.items() if r["partial"])
        report[f"benign:{folder}"] = row
    report["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
