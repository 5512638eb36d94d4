"""The compromised verdict's reason says what the evidence shows: a web shell found on disk with nothing in
the logs read tying a request to it is not "successful exploitation or web shell use" (B16, session 16: one
misread page made a scan with no log evidence read as if an attack had been seen)."""

from __future__ import annotations

from datetime import UTC, datetime

from extriage.detections.verdict import decide
from extriage.findings import Confidence, Finding, Indicators, Outcome, ScanResult, Severity, Verdict

_T = datetime(2021, 3, 3, 4, 5, 6, tzinfo=UTC)


def _file(rule: str, confidence: Confidence, ips: list[str] | None = None) -> Finding:
    return Finding(
        rule, f"Web shell page: x{rule[-1]}.aspx", Severity.CRITICAL, confidence, Outcome.WEBSHELL,
        first_seen=_T, indicators=Indicators(client_ips=ips or []),
    )


def _result(*findings: Finding) -> ScanResult:
    r = ScanResult(evidence_path="/ev")
    r.findings = list(findings)
    return r


def test_a_shell_on_disk_alone_is_said_to_be_one() -> None:
    verdict, reason = decide(_result(_file("WF-YARA-A", Confidence.HIGH)))
    assert verdict is Verdict.COMPROMISED
    assert reason.startswith("A web shell was found on disk: Web shell page: xA.aspx (file time 2021-03-03")
    assert "Nothing read shows it being requested" in reason and "not certain" not in reason
    assert "Successful exploitation" not in reason


def test_a_shell_found_only_by_uncertain_checks_asks_for_a_look() -> None:
    verdict, reason = decide(_result(_file("WF-BEHAV-B", Confidence.MEDIUM)))
    assert verdict is Verdict.COMPROMISED
    assert "not certain: read the page before acting" in reason


def test_a_shell_tied_to_requests_or_a_log_success_keeps_the_attack_wording() -> None:
    requested = _file("WF-YARA-C", Confidence.MEDIUM, ips=["198.51.100.7"])
    verdict, reason = decide(_result(requested))
    assert verdict is Verdict.COMPROMISED and reason.startswith("Successful exploitation or web shell use found")
    log = Finding("PL-26855-SSRF", "SSRF answered", Severity.HIGH, Confidence.HIGH, Outcome.SUCCESS, first_seen=_T)
    verdict, reason = decide(_result(_file("WF-YARA-D", Confidence.HIGH), log))
    assert reason.startswith("Successful exploitation or web shell use found")
