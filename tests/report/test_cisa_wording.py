"""The CISA draft says what was exploited and whose rights a web shell has from where the shells
are: Exchange and SYSTEM for Exchange's own pages, a question to the reporter for a page of another
application on the same IIS (a MOVEit page made the draft say "Microsoft Exchange Server" and "as
SYSTEM" before; X33's finding, session 15)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from extriage.findings import Confidence, Finding, Indicators, Outcome, ScanResult, Severity, Verdict
from extriage.report.cisa import render_cisa
from extriage.report.markdown import md_code

T0 = datetime(2023, 6, 1, 2, 0, tzinfo=UTC)
OWA_SHELL = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx"
ASPNET_CLIENT_SHELL = "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\y.aspx"
MOVEIT_SHELL = "C:\\MOVEitTransfer\\wwwroot\\human2.aspx"


def _result(*paths: str, cves: tuple[str, ...] = ()) -> ScanResult:
    findings = [
        Finding(id=f"F{i:04d}", rule_id="WF-BEHAVIOUR", title="Web shell", severity=Severity.CRITICAL,
                confidence=Confidence.HIGH, outcome=Outcome.WEBSHELL, wave="post-exploitation",
                cves=list(cves), first_seen=T0, last_seen=T0, indicators=Indicators(paths=[p]))
        for i, p in enumerate(paths, 1)
    ]
    return ScanResult(evidence_path="/cases/S1", hostname="s1.corp.example", verdict=Verdict.COMPROMISED,
                      verdict_reason="web shell", findings=findings)


def _type_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("- Type:"))


def _rights_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("- Web shells were placed"))


@pytest.mark.parametrize("path", [OWA_SHELL, "\\\\localhost\\c$\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\ecp\\z.aspx", "/owa/auth/x.aspx"])
def test_a_shell_in_exchanges_pools_is_exchange_and_system(path: str) -> None:
    text = render_cisa([_result(path)])
    assert "(Microsoft Exchange Server)" in _type_line(text)
    assert "execution as SYSTEM" in _rights_line(text) and "FILL IN" not in _rights_line(text)


def test_aspnet_client_is_exchange_but_its_pool_identity_is_asked() -> None:
    text = render_cisa([_result(ASPNET_CLIENT_SHELL)])
    assert "(Microsoft Exchange Server)" in _type_line(text)
    rights = _rights_line(text)
    assert "execution as SYSTEM" not in rights and "[FILL IN: the pool's identity" in rights


def test_a_shell_of_another_application_is_not_called_exchange_or_system() -> None:
    text = render_cisa([_result(MOVEIT_SHELL)])
    line = _type_line(text)
    assert "Microsoft Exchange Server" not in line
    assert "[FILL IN: the application" in line and "human2.aspx" in line
    assert "execution as SYSTEM" not in _rights_line(text)


def test_an_attacked_exchange_cve_names_exchange_wherever_the_shell_is() -> None:
    text = render_cisa([_result(MOVEIT_SHELL, cves=("CVE-2021-26855",))])
    assert "(Microsoft Exchange Server); vulnerabilities CVE-2021-26855" in _type_line(text)
    assert "execution as SYSTEM" not in _rights_line(text)


def test_one_shell_outside_the_pools_takes_system_back() -> None:
    text = render_cisa([_result(OWA_SHELL, MOVEIT_SHELL)])
    assert "(Microsoft Exchange Server)" in _type_line(text)
    assert "execution as SYSTEM" not in _rights_line(text)


def test_the_shell_path_in_the_type_line_is_a_code_span() -> None:
    path = "C:\\sites\\shop\\a`](http://x)<script>.aspx"
    line = _type_line(render_cisa([_result(path)]))
    assert md_code(path) in line and line.count("<script>") == 1
