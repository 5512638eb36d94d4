"""Attacker-controlled values of any length (a multi-MB client address field) never flood the terminal."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from extriage.findings import (
    AttackStory,
    Confidence,
    EvidenceLine,
    Finding,
    Outcome,
    ScanResult,
    Severity,
    StoryStep,
    Verdict,
)
from extriage.report.terminal import render_scan

HUGE = "16" + "A" * 20_000


def test_huge_attacker_values_are_clipped_everywhere_in_the_summary() -> None:
    t = datetime(2021, 3, 3, 6, 49, 44, tzinfo=UTC)
    result = ScanResult(evidence_path="/ev")
    result.verdict = Verdict.COMPROMISED
    result.verdict_reason = f"Successful exploitation found from {HUGE}: x."
    f = Finding(rule_id="R", title=f"SSRF from {HUGE}", severity=Severity.CRITICAL, confidence=Confidence.HIGH,
                outcome=Outcome.SUCCESS, first_seen=t, last_seen=t)
    f.id = "F0001"
    f.indicators.client_ips.append(HUGE)
    f.indicators.user_agents.append(HUGE)
    f.evidence.append(EvidenceLine(source="/ev/a.log", line=1, raw=HUGE, fields={"AnchorMailbox": HUGE}))
    result.findings.append(f)
    result.stories.append(AttackStory(wave="proxylogon", title=f"ProxyLogon attack chain from {HUGE}",
                                      client_ips=[HUGE], first_seen=t, last_seen=t, outcome=Outcome.SUCCESS,
                                      steps=[StoryStep(t, f"step {HUGE}", detail=HUGE, finding_ids=["F0001"])]))
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    render_scan(result, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert len(text) < 20_000, len(text)
    flat = " ".join(text.split())
    assert "ProxyLogon attack chain from 16AAAA" in flat and "A … (success)" in flat
    assert "ip: 16AAAA" in flat and "AnchorMailbox=16AAAA" in flat and "VERDICT: COMPROMISED" in flat
