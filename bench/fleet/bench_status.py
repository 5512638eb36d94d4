"""``case status`` and the dashboard's first page at fleet scale: N servers and M findings in a case
(SQLite file or PostgreSQL URL), built once, then timed.

    .venv/bin/python bench/fleet/bench_status.py --case /tmp/fleet500.db [--servers 500 --findings 1000000]
    .venv/bin/python bench/fleet/bench_status.py --case postgresql://postgres@127.0.0.1:5433/fleet
    .venv/bin/python bench/fleet/bench_status.py --case /tmp/fleet500.db --commands-only --rounds 7 --old-src /tmp/old/src

The servers go in through the store's own ``add_scan`` (synthetic results with stories, attacker
addresses shared between servers, web shells); the bulk of the findings rows is then inserted
directly in batches (storing 1 M findings through scans would take an hour of scanning, and
``case status`` reads the same rows either way); a case that already holds the servers is reused.
Timed: the commands as a user runs them (``extriage case status --json -``, the terminal table,
``extriage --version``), CPU time (user+sys) and wall, in rounds, optionally against an older tree
(``--old-src``, alternating); in-process: the status document, and the dashboard's first page
(counts + first 50 servers + shared indicators); the real dashboard over HTTP.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from extriage.case import models
from extriage.case.reader import open_reader
from extriage.case.status import status_document
from extriage.case.store import open_case
from extriage.findings import (
    AttackStory,
    Confidence,
    Finding,
    Indicators,
    Outcome,
    ScanResult,
    Severity,
    Verdict,
)

T0 = datetime(2021, 3, 2, tzinfo=UTC)


def synthetic(i: int, rng: random.Random) -> ScanResult:
    ips = [f"203.0.113.{rng.randrange(1, 40)}" for _ in range(3)]
    compromised = i % 5 == 0
    findings = [
        Finding(rule_id="PL-26855-SSRF", title="ProxyLogon SSRF", severity=Severity.CRITICAL, confidence=Confidence.HIGH,
                outcome=Outcome.SUCCESS if compromised else Outcome.ATTEMPT, wave="proxylogon", cves=["CVE-2021-26855"],
                first_seen=T0 + timedelta(hours=i), last_seen=T0 + timedelta(hours=i + 5),
                indicators=Indicators(client_ips=ips, user_agents=[f"python-requests/2.{rng.randrange(20, 28)}.0"]),
                id="F0001"),
    ]
    if compromised:
        shell = rng.choice(["supp0rt.aspx", "discover.aspx", "OutlookEN.aspx", f"x{i}.aspx"])
        findings.append(Finding(
            rule_id="WEB-SHELL", title="Web shell", severity=Severity.CRITICAL, confidence=Confidence.HIGH,
            outcome=Outcome.WEBSHELL, wave="proxylogon", first_seen=T0 + timedelta(hours=i + 1),
            indicators=Indicators(paths=[f"C:\\inetpub\\wwwroot\\aspnet_client\\{shell}"], hashes=[f"{hash(shell) & (2**64 - 1):064x}"]),
            id="F0002"))
    stories = [AttackStory(wave="proxylogon", title=f"ProxyLogon attack chain from {ips[0]}", client_ips=ips[:1],
                           first_seen=T0 + timedelta(hours=i), last_seen=T0 + timedelta(hours=i + 5),
                           outcome=Outcome.SUCCESS if compromised else Outcome.ATTEMPT)]
    return ScanResult(evidence_path=f"/cases/fleet/exch{i:03d}", hostname=f"EXCH{i:03d}", layout="kape",
                      verdict=Verdict.COMPROMISED if compromised else Verdict.ATTEMPTED, findings=findings, stories=stories,
                      waves={"proxylogon": Verdict.COMPROMISED if compromised else Verdict.ATTEMPTED})


def build(case: str, servers: int, findings: int) -> None:
    rng = random.Random(1)
    started = time.perf_counter()
    with open_case(case) as store:
        if store.count_servers() >= servers:
            print(f"case already holds {store.count_servers()} servers; reusing it")
            return
        ids = [store.add_scan(synthetic(i, rng), engine="local", worker="bench:1") for i in range(servers)]
        per = max(0, findings // servers - 2)
        batch: list[dict[str, object]] = []
        with store.engine.begin() as conn:
            for sid in ids:
                for n in range(per):
                    batch.append({"server_id": sid, "finding_id": f"F{n + 3:04d}", "rule_id": "IIS-SCANNER",
                                  "title": "Scanner request", "severity": n % 3, "confidence": 1, "outcome": "scanner",
                                  "wave": "proxylogon", "cves": "", "first_seen": T0 + timedelta(seconds=n),
                                  "last_seen": T0 + timedelta(seconds=n), "count": 1})
                    if len(batch) >= 20000:
                        conn.execute(sa.insert(models.findings), batch)
                        batch.clear()
            if batch:
                conn.execute(sa.insert(models.findings), batch)
            conn.execute(sa.update(models.servers).values(findings_count=models.servers.c.findings_count + per))
    print(f"built {servers} servers / ~{servers * (per + 2):,} findings in {time.perf_counter() - started:.1f} s")


def timed(label: str, fn: object, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    print(f"{label}: median {med * 1000:.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {runs} runs)")
    return med


def run_cpu(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(user+sys CPU seconds, wall seconds) of one command, its children included."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def commands(case: str, rounds: int, old_src: str | None) -> None:
    """The commands as a user runs them, in rounds: each round runs every command once, one after the
    other (the old code's right after the new's when --old-src is given), so a change of load hits
    both. CPU time (user+sys) is what to compare on a shared machine; the load is printed per round."""
    exe = str(Path(sys.executable).parent / "extriage")
    env = dict(os.environ)
    variants = [("new", env)]
    if old_src:
        variants.append(("old", {**env, "PYTHONPATH": old_src}))
    cmds = {
        "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
        "extriage --version": [exe, "--version"],
        "extriage case status --json -": [exe, "case", "status", "--case", case, "--json", "-"],
        "extriage case status (terminal table)": [exe, "case", "status", "--case", case],
    }
    got: dict[tuple[str, str], list[tuple[float, float]]] = {}
    loads = []
    for r in range(rounds):
        loads.append(os.getloadavg()[0])
        for label, argv in cmds.items():
            for name, e in variants if label != "python -c pass (interpreter alone)" else variants[:1]:
                got.setdefault((label, name), []).append(run_cpu(argv, e))
        print(f"round {r + 1}/{rounds} done, load average {loads[-1]:.2f}", file=sys.stderr)
    print(f"commands, {rounds} rounds, load average (1 min) {min(loads):.2f}-{max(loads):.2f} during the runs")
    for (label, name), values in got.items():
        cpu = statistics.median(v[0] for v in values)
        wall = statistics.median(v[1] for v in values)
        print(f"  {label} [{name}]: CPU {cpu * 1000:.0f} ms (min {min(v[0] for v in values) * 1000:.0f}), "
              f"wall {wall * 1000:.0f} ms (min {min(v[1] for v in values) * 1000:.0f}) (medians of {len(values)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", required=True)
    ap.add_argument("--servers", type=int, default=500)
    ap.add_argument("--findings", type=int, default=1_000_000)
    ap.add_argument("--commands-only", action="store_true",
                    help="Only time the commands (case status, --version) in rounds; no in-process or dashboard timings.")
    ap.add_argument("--rounds", type=int, default=5, help="Rounds of the command timings.")
    ap.add_argument("--old-src", help="Also time the commands of an older tree (its src/ folder, as PYTHONPATH), alternating.")
    args = ap.parse_args()
    build(args.case, args.servers, args.findings)
    if args.commands_only:
        commands(args.case, args.rounds, args.old_src)
        return 0
    with open_case(args.case, create=False, readonly=True) as store:
        with store.engine.connect() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(models.findings)).scalar_one()
        print(f"case: {store.count_servers()} servers, {n:,} findings rows")
        timed("status document (in-process, the store)", lambda: status_document(store))
        with open_reader(args.case) as reader:
            timed("status document (in-process, the reader 'case status' uses)", lambda: status_document(reader))

        def first_page() -> None:
            store.counts()
            store.servers(limit=50)
            store.count_servers()
            store.shared_indicators(limit=100)

        timed("dashboard first page queries (in-process)", first_page)
        sid = store.servers(limit=1)[0].id
        timed("one server's findings, first 500 (in-process)", lambda: store.findings(sid))
    commands(args.case, args.rounds, args.old_src)
    dashboard_pages(str(Path(sys.executable).parent / "extriage"), args.case)
    return 0


def dashboard_pages(exe: str, case: str) -> None:
    """The real dashboard (``extriage case serve`` on 127.0.0.1): first page and a server page over
    HTTP, rendered, as a browser gets them (the first request warms the templates and is not counted)."""
    import re

    import httpx

    proc = subprocess.Popen([exe, "case", "serve", "--case", case, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline())
        assert found, "the dashboard did not start"
        base = found.group(0)
        with httpx.Client(base_url=base, timeout=30) as http:
            http.get("/").raise_for_status()

            def get(path: str) -> None:
                http.get(path).raise_for_status()

            timed("dashboard first page over HTTP (100 rows, rendered)", lambda: get("/"))
            timed("dashboard filtered by verdict over HTTP", lambda: get("/?verdict=compromised&sort=name"))
            timed("dashboard server page over HTTP (500 findings)", lambda: get("/server/1"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
