"""A file's wave comes from what its content says, not from where it sits."""

from __future__ import annotations

from extriage.detections.webfiles.classify import FileFacts, Reason, build_finding, check_reason
from extriage.findings import Confidence, Outcome, Severity


def _location(severity: Severity = Severity.CRITICAL) -> Reason:
    return Reason(
        "WF-LOC-ASPNET-CLIENT", "Server-side page in aspnet_client", severity, Confidence.HIGH,
        Outcome.WEBSHELL, "location", raw="C:\\inetpub\\wwwroot\\aspnet_client\\p.aspx", wave="proxylogon",
    )


def _facts(*reasons: Reason) -> FileFacts:
    return FileFacts("ev/p.aspx", "C:\\inetpub\\wwwroot\\aspnet_client\\p.aspx", "p.aspx", "0" * 64, 10, None,
                     "/aspnet_client/p.aspx", list(reasons))


def test_pst_shell_in_aspnet_client_is_proxyshell() -> None:
    pst = check_reason({"check": "pst-shell", "line": 1, "raw": "!BDN..."})
    assert pst is not None and pst.wave == "proxyshell"
    finding = build_finding(_facts(_location(), pst))
    assert finding is not None
    assert finding.wave == "proxyshell"
    assert finding.outcome is Outcome.WEBSHELL


def test_location_alone_keeps_its_wave() -> None:
    finding = build_finding(_facts(_location()))
    assert finding is not None and finding.wave == "proxylogon"
