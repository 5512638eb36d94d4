"""Correlation after detection (issue 13): proofs, forwarding judgement and stories on many findings.

A hostile or noisy log can make thousands of findings (one per client address), so the passes that
join findings must stay near-linear. Builds N synthetic ProxyLogon findings (a third without a
client address, 40 back-end targets, 97 session canaries) plus N/10 forwarding findings, and times
each pass in-process. Usage: .venv/bin/python bench/detect/bench_correlation.py [N ...]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from extriage.detections.correlation import build_stories
from extriage.detections.forwarding import judge_forwarding
from extriage.detections.proofs import apply_proofs
from extriage.findings import Confidence, EvidenceLine, Finding, Indicators, Outcome, Severity


def findings(n: int) -> list[Finding]:
    rng = random.Random(1)
    t0 = datetime(2021, 3, 3, tzinfo=UTC)
    out: list[Finding] = []
    for i in range(n):
        case = rng.choice(["autodiscover", "mapi", "proxylogon-ecp", "ddi"])
        ip = "" if i % 3 == 0 else f"198.51.100.{i % 250}"
        path = (f"ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=TOKEN{i % 97:05d}xyz&schema=x#" if case == "ddi"
                else "ecp/proxyLogon.ecp?#")
        ts = t0 + timedelta(minutes=i)
        out.append(Finding(
            rule_id="PL-26855-SSRF", title="t", severity=Severity.HIGH, confidence=Confidence.HIGH,
            outcome=Outcome.ATTEMPT, tags=[f"case:{case}"], first_seen=ts, last_seen=ts, id=f"F{i:05d}",
            indicators=Indicators(client_ips=[ip] if ip else []),
            evidence=[EvidenceLine("x.log", i, "raw", {"AnchorMailbox": f"ServerInfo~a]@srv{i % 40}.x.local:444/{path}",
                                                       "HttpStatus": ""}, ts)]))
    for i in range(n // 10):
        out.append(Finding(
            rule_id="MAIL-FWD-ECP", title="fwd", severity=Severity.HIGH, confidence=Confidence.MEDIUM,
            outcome=Outcome.ATTEMPT, tags=["case:mailbox", "forwarding"], id=f"G{i:05d}",
            evidence=[EvidenceLine("e.log", i, "raw", {"Recipient": f"a{i}@ext{i % 7}.example",
                                                       "Mailbox": f"u{i}@contoso.com"}, t0)]))
    return out


def main(sizes: list[int]) -> None:
    for n in sizes:
        fs = findings(n)
        t = time.perf_counter()
        made = apply_proofs(fs)
        proofs = time.perf_counter() - t
        t = time.perf_counter()
        judge_forwarding(fs)
        forwarding = time.perf_counter() - t
        t = time.perf_counter()
        stories = build_stories(fs + made)
        story_time = time.perf_counter() - t
        print(f"{len(fs):>7,} findings: proofs {proofs:6.2f} s, forwarding {forwarding:5.2f} s, "
              f"stories {story_time:6.2f} s ({len(stories)} stories, {len(made)} proof findings)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000, 20000])
