"""Findings on source files ASP.NET compiles itself (App_Code, code-behind): false positives on real
application code, recall on real App_Code/IHttpModule backdoors (issue 14, helper A1).

Every ``.cs``/``.vb``/``.js`` file under each DIR goes through exactly what the scan does to it
(``content.examine``: one read, our YARA rules [+ ``--rules``], the behaviour analysis when the path
says ASP.NET compiles the file - an ``App_Code`` folder, or a code-behind named after its page). Keep
the files' own paths below DIR (``<project>/App_Code/x.cs``) so that decision is the scan's; with
``--as-code`` every file is analysed as compiled code whatever its path (for loose shells). A file
counts as flagged when any content check fires; the findings are listed per file with ``--list``.

Usage (from the repo root):
    .venv/bin/python bench/webfiles/bench_code_files.py DIR [DIR ...] [--rules DIR] [--as-code] [--list]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in content.CODE_EXTENSIONS)


def examine(path: Path, root: Path, params: content.ContentParams, as_code: bool) -> dict[str, Any]:
    key = "c:/inetpub/wwwroot/" + path.relative_to(root).as_posix().lower()
    t = content.Target(str(path), key, str(path), path.name, path.stat().st_size, None)
    compiled = content.NAMED_BY_PAGE if as_code else None
    out = content.examine(t, content.DEEP, params, None, compiled=compiled)
    hits = out.data.get("hits", [])
    return {
        "file": str(path.relative_to(root)),
        "project": path.relative_to(root).parts[0],
        "analysed_as_code": bool(out.data.get("code")),
        "hits": [
            {k: h.get(k) for k in ("check", "rule", "sink", "line", "source", "source_line", "raw")}
            for h in hits
        ],
        "partly": [s.reason for s in out.skipped],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--rules", action="append", default=[], help="extra YARA rules (repeatable)")
    ap.add_argument("--as-code", action="store_true", help="analyse every file as compiled code")
    ap.add_argument("--list", action="store_true", help="list every flagged file with its findings")
    args = ap.parse_args()
    rs = build_ruleset(args.rules)
    params = content.ContentParams(rs.serialized, 64 << 20, 5.0, external=any(s.external for s in rs.sources))
    results: list[dict[str, Any]] = []
    start = time.perf_counter()
    for root in args.dirs:
        for path in files_of(root):
            results.append(examine(path, root, params, args.as_code))
    seconds = time.perf_counter() - start
    flagged = [r for r in results if r["hits"]]
    by_check: Counter[str] = Counter(
        str(h.get("sink") or h.get("rule") or h["check"]) for r in flagged for h in r["hits"]
    )
    summary: dict[str, Any] = {
        "files": len(results),
        "projects": len({(r["project"]) for r in results}),
        "analysed_as_code": sum(r["analysed_as_code"] for r in results),
        "by_extension": dict(Counter(Path(r["file"]).suffix.lower() for r in results)),
        "flagged": len(flagged),
        "findings_by_check": dict(by_check.most_common()),
        "partly_analysed": [r["file"] for r in results if r["partly"]],
        "seconds": round(seconds, 2),
    }
    if args.list:
        summary["flagged_files"] = {r["file"]: r["hits"] for r in flagged}
        summary["not_flagged"] = [r["file"] for r in results if not r["hits"]]
    print(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
