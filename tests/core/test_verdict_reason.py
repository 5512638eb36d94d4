"""The ``no_evidence`` reason names the period of the LOGS read, never web-file times."""

from __future__ import annotations

from datetime import UTC, datetime

from extriage.detections.verdict import REVIEW_TAG, decide
from extriage.findings import Confidence, Finding, Outcome, ScanResult, Severity, Verdict


def _result() -> ScanResult:
    result = ScanResult(evidence_path="/ev")
    web = result.coverage.family("webfiles")
    web.files = 600
    web.span(datetime(2019, 6, 1, tzinfo=UTC))
    web.span(datetime(2021, 2, 5, tzinfo=UTC))
    return result


def test_period_is_that_of_the_log_lines_not_web_file_mtimes() -> None:
    result = _result()
    hp = result.coverage.family("httpproxy")
    hp.files, hp.lines = 3, 120
    hp.span(datetime(2021, 3, 5, 0, 16, tzinfo=UTC))
    hp.span(datetime(2021, 3, 11, 23, 39, tzinfo=UTC))
    verdict, reason = decide(result)
    assert verdict == Verdict.NO_EVIDENCE
    assert "the logs read cover 2021-03-05T00:16:00Z to 2021-03-11T23:39:00Z" in reason
    assert "2019" not in reason and "2021-02-05" not in reason


def test_only_web_files_is_inconclusive_and_says_no_log_lines_were_read() -> None:
    verdict, reason = decide(_result())
    assert verdict == Verdict.INCONCLUSIVE  # web files cannot show any wave's exploitation period
    assert "no log lines were read" in reason and "2019" not in reason and "Collect" in reason


def test_coverage_time_span_is_whole_on_an_80_column_terminal() -> None:
    import io

    from rich.console import Console

    from extriage.report.terminal import render_scan

    result = _result()
    ev = result.coverage.family("events-export:Microsoft-Windows-Sysmon/Operational")
    ev.files, ev.lines = 1, 20
    ev.span(datetime(2021, 3, 5, 6, 59, 12, tzinfo=UTC))
    ev.span(datetime(2021, 3, 11, 18, 46, 3, tzinfo=UTC))
    result.verdict, result.verdict_reason = decide(result)
    console = Console(file=io.StringIO(), width=80, force_terminal=False)
    render_scan(result, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    table = text[text.index("first (UTC)"):]
    row = next(line for line in table.splitlines() if line.lstrip().startswith("events-export"))
    assert "2021-03-05 06:59" in row and "2021-03-11 18:46" in row


def test_logs_ending_before_a_wave_window_are_warned_about() -> None:
    from datetime import UTC, datetime

    from extriage.detections.verdict import coverage_warnings, load_waves
    from extriage.findings import Coverage

    cov = Coverage()
    for fam in ("iis", "httpproxy"):
        f = cov.family(fam)
        f.files = 3
        f.span(datetime(2020, 12, 1, tzinfo=UTC))
        f.span(datetime(2021, 3, 12, tzinfo=UTC))
    warnings = coverage_warnings(cov, load_waves())
    later = [w for w in warnings if "before the ProxyShell exploitation period" in w]
    assert len(later) == 1 and "IIS" in later[0] and "2021-03-12" in later[0]
    # the ProxyLogon window is covered from its start: no warning about it
    assert not any("ProxyLogon exploitation period" in w for w in warnings)
    assert "whether it hit this server cannot be seen" in later[0]
    # when ProxyShell activity was found anyway, the warning says what is missing, not that nothing shows
    seen = [w for w in coverage_warnings(cov, load_waves(), seen={"proxyshell"})
            if "before the ProxyShell exploitation period" in w]
    assert len(seen) == 1 and "activity found happened before that period" in seen[0]
    assert "whether it hit this server" not in seen[0]


def test_late_starts_are_one_warning_per_wave_and_explained_families_are_not_repeated() -> None:
    from datetime import UTC, datetime

    from extriage.detections.verdict import coverage_warnings, load_waves
    from extriage.findings import Coverage

    cov = Coverage()
    for fam, day in (("iis", 19), ("httpproxy", 20), ("ecp", 21), ("oabgen", 22)):
        f = cov.family(fam)
        f.files = 1
        f.span(datetime(2021, 2, day, tzinfo=UTC))
        f.span(datetime(2021, 12, 30, tzinfo=UTC))
    warnings = coverage_warnings(cov, load_waves())
    proxylogon = [w for w in warnings if "ProxyLogon exploitation period" in w]
    assert len(proxylogon) == 1
    assert all(name in proxylogon[0] for name in ("IIS W3C", "HttpProxy", "ECP server", "OABGenerator"))
    assert "2021-02-19" in proxylogon[0]  # the earliest start
    assert any("No Rps_Http logs were found" in w for w in warnings)
    explained = coverage_warnings(cov, load_waves(), explained={"rps_http"})
    assert not any("Rps_Http" in w for w in explained)


def _attempt(title: str, tags: list[str]) -> Finding:
    return Finding(rule_id="R", title=title, severity=Severity.HIGH, confidence=Confidence.HIGH,
                   outcome=Outcome.ATTEMPT, tags=tags)


def test_review_only_findings_are_not_called_exploitation() -> None:
    """Mail forwarded outside is what attackers do after a break-in, and what users do too: when only
    such findings raise the verdict, the reason asks for a review instead of claiming an attack."""
    result = ScanResult(evidence_path="/ev")
    result.findings = [_attempt("Mailbox forwarding to an outside address", ["forwarding", REVIEW_TAG])]
    verdict, reason = decide(result)
    assert verdict == Verdict.ATTEMPTED
    assert reason.startswith("Suspicious activity that needs review") and "Exploitation was attempted" not in reason
    result.findings.append(_attempt("ProxyShell SSRF", []))
    assert decide(result)[1].startswith("Exploitation was attempted")


def test_forwarding_rules_carry_the_review_tag() -> None:
    from extriage.detections.events.engine import load_rules as load_event_rules
    from extriage.detections.logrules import load_rules

    log_tags = [r.tags for r in load_rules().rules if "forwarding" in r.tags]
    event_tags = [r.tags for r in load_event_rules().rules if "forwarding" in r.tags]
    assert log_tags and event_tags
    assert all(REVIEW_TAG in t for t in log_tags + event_tags)
