"""End to end: what the generator plants is what ``extriage scan`` concludes (core logs only, so the
verdict rests on the generated HttpProxy/IIS/ECP/OABGenerator lines, not on other planters)."""

from __future__ import annotations

import pytest

from extriage.findings import Outcome, Verdict
from extriage.generator import GeneratedServer
from extriage.scan.pipeline import run_scan


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("clean", {Verdict.NO_EVIDENCE}),
        ("attempts", {Verdict.ATTEMPTED}),
        ("scanner", {Verdict.NO_EVIDENCE, Verdict.ATTEMPTED}),  # never compromised
        ("proxylogon", {Verdict.COMPROMISED}),
    ],
)
def test_verdict_matches_scenario(
    servers: dict[str, GeneratedServer], scenario: str, expected: set[Verdict]
) -> None:
    g = servers[scenario]
    result = run_scan(str(g.dest))
    assert result.verdict in expected, result.verdict_reason
    # every generated file was readable by the scan; the generator's own marker is listed as no evidence
    assert [s.path for s in result.coverage.skipped if not s.path.endswith("extriage-generated.json")] == []
    fams = result.coverage.families
    assert fams["httpproxy"].files == len(list(g.dest.rglob("HttpProxy_*.LOG")))
    assert {"httpproxy", "iis"} <= set(fams)
    first = min(f.first for f in fams.values() if f.first)
    assert first is not None and first.date() <= g.plan.start.date()
    if scenario == "proxylogon":
        bad = [f for f in result.findings if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL)]
        ips = {ip for f in bad for ip in f.indicators.client_ips}
        assert g.plan.attacker_ips[0] in ips
        paths = " ".join(p.lower() for f in result.findings for p in f.indicators.paths + f.indicators.urls)
        assert g.plan.shells[0].url.lower() in paths
        assert result.timeline == sorted(result.timeline, key=lambda e: (e.timestamp, e.source, e.line or 0))
