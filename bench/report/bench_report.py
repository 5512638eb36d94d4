"""Benchmark: report generation time per 10,000 findings (HTML, Markdown, STIX, MISP, CSV, Timesketch).

Reference measured in the same run: serialising the same result to JSON (``json.dumps(result.to_dict())``,
what ``extriage scan --json`` does), so the figures are ratios that survive a noisy machine.
Optionally (--browser) opens the 100,000-finding HTML in headless chromium and times until the first
page of findings is on screen. ``--distinct`` gives every finding its own web shell (path, SHA-256,
URL and attacker address: four distinct indicators per finding, the case of issue 19's 16,000 pages
in aspnet_client) and times ``extriage report`` end to end (load + every format) with its peak RSS.

    .venv/bin/python bench/report/bench_report.py --findings 10000 100000 [--browser]
    .venv/bin/python bench/report/bench_report.py --distinct --findings 16000
    .venv/bin/python bench/report/bench_report.py --distinct --findings 4000 16000 --compare /tmp/old/src
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from extriage.report.exports import write_reports  # noqa: E402
from report import samples  # noqa: E402


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--distinct", action="store_true")
    ap.add_argument("--compare", type=Path, help="with --distinct: also time the source tree at this path (e.g. an older "
                    "commit's src/ from `git archive`), in the same run")
    args = ap.parse_args()
    if args.distinct:
        distinct(args.findings, args.compare)
        return
    out = Path(tempfile.mkdtemp(prefix="bench-report-", dir=REPO / "bench" / "out" if (REPO / "bench" / "out").exists() else None))
    try:
        print(f"{'findings':>9} {'json ref s':>10} {'html s':>8} {'html/10k':>9} {'html MB':>8} {'md+stix+misp+csv+ts s':>22} {'all/10k':>8} {'html÷json':>9}")
        for n in args.findings:
            result = samples.large(n)
            ref = timed(lambda r=result: json.dumps(r.to_dict()))  # type: ignore[misc]
            d = out / str(n)
            t_html = timed(lambda r=result, d=d: write_reports([r], d, ["html"]))  # type: ignore[misc]
            t_rest = timed(lambda r=result, d=d: write_reports([r], d, ["md", "stix", "misp", "csv", "timesketch"]))  # type: ignore[misc]
            size = (d / "report.html").stat().st_size / 1024**2
            per = 10_000 / n
            print(f"{n:>9} {ref:>10.2f} {t_html:>8.2f} {t_html * per:>9.2f} {size:>8.1f} {t_rest:>22.2f} {(t_html + t_rest) * per:>8.2f} {t_html / ref:>9.1f}")
        if args.browser:
            from playwright.sync_api import sync_playwright

            n = max(args.findings)
            html = out / str(n) / "report.html"
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                      args=["--headless", "--no-sandbox", "--disable-gpu"])
                page = b.new_page()
                t = time.perf_counter()
                page.goto(html.as_uri())
                page.locator("#findings-0 details.f-item").first.wait_for()
                first = time.perf_counter() - t
                t = time.perf_counter()
                page.locator("#findings-0 .f-q").fill("203.0.1.17,python")
                page.locator("#findings-0 details.f-item").first.wait_for()
                filt = time.perf_counter() - t
                b.close()
            print(f"chromium, {n} findings: first page shown after {first:.2f} s; first text filter {filt:.2f} s")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def distinct_result(n: int):  # type: ignore[no-untyped-def]
    """A compromised result plus ``n`` web shell findings, each with its own indicators."""
    from datetime import timedelta

    from extriage.findings import EvidenceLine, FileRecord, Indicators, TimelineEvent

    r = samples.compromised()
    proxy = r.findings[0].evidence[0].source
    for i in range(n):
        ip = f"203.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        path = f"C:\\inetpub\\wwwroot\\aspnet_client\\p{i}\\page{i}.aspx"
        sha = f"{i:064x}"
        t = samples.T0 + timedelta(seconds=i)
        f = samples._finding(
            10 + i, first_seen=t, last_seen=t, id=f"F{10 + i:06d}", rule_id="WEBSHELL-UNKNOWN-ASPX",
            evidence=[EvidenceLine(path, None, "<%@ Page %> " + "x" * 200, timestamp=t, sha256=sha),
                      EvidenceLine(proxy, 100 + i, samples.RAW_PROXY.replace(samples.ATTACKER, ip), timestamp=t)],
            indicators=Indicators(client_ips=[ip], user_agents=[samples.UA], urls=[f"/aspnet_client/p{i}/page{i}.aspx"],
                                  paths=[path], hashes=[sha]),
        )
        r.findings.append(f)
        r.timeline.append(TimelineEvent(timestamp=t, source=path, line=None, kind="webshell", summary=f"web shell {path}",
                                        client_ip=ip, finding_ids=[f.id], raw=""))
        r.files.append(FileRecord(path, sha, 1234, t))
    return r


def _report_run(src: Path, out: Path, code: Path | None) -> tuple[float, float]:
    """``extriage report`` in a child process: (seconds, peak RSS in MB) of that child alone."""
    import os
    import subprocess

    env = dict(os.environ)
    if code is not None:  # an older copy of the source tree, ahead of the installed one
        env["PYTHONPATH"] = str(code)
    t = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "extriage", "report", str(src), "-o", str(out)],
                             stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"extriage report failed on {src}")
    return took, usage.ru_maxrss / 1024


def distinct(sizes: list[int], compare: Path | None = None) -> None:
    from extriage.outputs import json_bytes

    print(f"{'findings':>9} {'code':>5} {'json ref s':>10} {'report s':>9} {'per 10k s':>9} {'report÷json':>11} {'peak RSS MB':>11}")
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        for n in sizes:
            result = distinct_result(n)
            src = work / f"r{n}.json"
            src.write_bytes(json_bytes(result.to_dict()))
            runs: list[tuple[str, Path | None]] = [("old", compare)] if compare else []
            for label, code in [*runs, ("new", None)]:
                ref = timed(lambda r=result: json.dumps(r.to_dict()))  # type: ignore[misc]
                took, peak = _report_run(src, work / f"out{n}{label}", code)
                print(f"{n:>9} {label:>5} {ref:>10.2f} {took:>9.2f} {took * 10_000 / n:>9.2f} {took / ref:>11.1f} {peak:>11.0f}",
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
