"""Web shell pivot cost against the number of shell URLs: is it linear?

    .venv/bin/python bench/core/bench_pivot.py --shells 1000 8000 33000
    PYTHONPATH=<old checkout>/src .venv/bin/python bench/core/bench_pivot.py --shells 1000 8000   # before/after

For each N, builds in a temporary folder a drive tree with N pages in ``inetpub/wwwroot/aspnet_client``
(plus ``--others`` unrelated files and ``--logs`` IIS logs of a day each), tells the correlate stage
that all N pages are web shells (as the web file stage does when it flags them), and times the
correlate stage's pivot (URL-to-file lookup, then one raw multi-pattern search of every IIS log
and a walk of the logs that hold a hit) in this process (``--jobs 1``). Prints one Markdown row per N.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

IIS_HEADER = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-05 00:00:00\n"
              "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")


def build(root: Path, shells: int, others: int, logs: int) -> None:
    web = root / "C/inetpub/wwwroot/aspnet_client/system_web"
    web.mkdir(parents=True)
    for i in range(shells):
        (web / f"p{i}.aspx").write_bytes(b"<%@ Page %>")
    system = root / "C/Windows/System32/drivers/etc"  # a drive tree (KAPE layout), not a plain folder of logs
    system.mkdir(parents=True)
    (system / "hosts").write_text("127.0.0.1 localhost\n")
    junk = root / "C/ProgramData/junk"
    junk.mkdir(parents=True)
    for i in range(others):
        (junk / f"f{i}.dat").write_bytes(b"x")
    lines = [f"2021-03-05 0{h % 10}:{m:02d}:00 10.0.0.1 GET /owa/auth/logon.aspx - 443 - 10.0.0.5 Mozilla/5.0 - 200 0 0 15"
             for h in range(10) for m in range(60)]
    lines.append("2021-03-05 09:59:00 10.0.0.1 GET /aspnet_client/system_web/p1.aspx - 443 - 203.0.113.9 curl - 200 0 0 15")
    folder = root / "C/inetpub/logs/LogFiles/W3SVC1"
    folder.mkdir(parents=True)
    for d in range(logs):
        (folder / f"u_ex2103{d + 1:02d}.log").write_text(IIS_HEADER + "\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shells", type=int, nargs="+", default=[1000, 8000])
    ap.add_argument("--others", type=int, default=0, help="unrelated files beside them")
    ap.add_argument("--logs", type=int, default=20)
    args = ap.parse_args()

    from extriage.scan.context import ScanContext, ScanOptions
    from extriage.scan.facts import LogPivots, WebFilePivots
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages import correlate, logs, verdict

    timing: dict[str, float] = {}
    real_pivot = correlate._pivot

    def timed_pivot(ctx: Any) -> None:
        t = time.perf_counter()
        real_pivot(ctx)
        timing["pivot"] = time.perf_counter() - t

    correlate._pivot = timed_pivot  # type: ignore[assignment]

    class Plant:  # stands in for the web file stage
        name = "plant"
        requires = (LogPivots,)
        provides = (WebFilePivots,)

        def __init__(self, n: int) -> None:
            self.n = n

        def run(self, ctx: ScanContext) -> None:
            paths = ctx.facts.get(WebFilePivots).webshell_paths
            paths.update(f"c:\\inetpub\\wwwroot\\aspnet_client\\system_web\\p{i}.aspx" for i in range(self.n))

    print("| shell URLs | files in the evidence | IIS logs | pivot | whole scan (core stages) |")
    print("|---|---|---|---|---|")
    for n in args.shells:
        tmp = Path(tempfile.mkdtemp(prefix="bench-pivot-"))
        try:
            build(tmp, n, args.others, args.logs)
            t = time.perf_counter()
            result = run_scan(str(tmp), ScanOptions(jobs=1), stages=[*logs.STAGES, Plant(n), *correlate.STAGES,
                                                                      *verdict.STAGES])
            whole = time.perf_counter() - t
            files = n + args.others + args.logs
            assert result.extras["logs"]["pivots"]["webshell_files_in_evidence"], "pivot found no file"
            print(f"| {n:,} | {files:,} | {args.logs} | {timing['pivot']:.2f} s | {whole:.2f} s |", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
