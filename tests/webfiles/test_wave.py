"""A file's wave comes from what its content says, not from where it sits."""

from __future__ import annotations

from extriage.detections.waves.registry import shells_wave_id
from extriage.detections.webfiles.classify import (
    FileFacts,
    Reason,
    build_finding,
    check_reason,
    location_reason,
    yara_reason,
)
from extriage.detections.webfiles.knowledge import location_rules
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


def _china_chopper() -> Reason:
    # what a shipped rule of no particular wave gives (wave = "any")
    return yara_reason({"rule": "EXT_WEBSHELL_ChinaChopper_Eval", "namespace": "extriage",
                        "meta": {"wave": "any", "outcome": "webshell", "severity": "critical"}}, ".aspx")


def _mstic_path() -> Reason:
    rule = next(r for r in location_rules() if r.id == "WF-IOC-MSTIC-PATH" and r.pattern.endswith("aspnet_client\\.aspx$"))
    return location_reason(rule, "C:\\inetpub\\wwwroot\\aspnet_client\\aspnet_client.aspx")


def test_a_shell_of_no_particular_wave_counts_with_unattributed_shells() -> None:
    finding = build_finding(_facts(_china_chopper()))
    assert finding is not None and finding.wave == shells_wave_id() == "post-exploitation"


def test_a_path_of_microsofts_proxylogon_list_names_proxylogon_whatever_the_content_rule_says() -> None:
    """Microsoft's list is of the ProxyLogon intrusions; a China Chopper page says only that a shell is there."""
    for reasons in ([_china_chopper(), _mstic_path()], [_mstic_path(), _china_chopper()]):
        finding = build_finding(_facts(*reasons))
        assert finding is not None and finding.wave == "proxylogon", [r.rule_id for r in reasons]


def test_a_pst_encoded_china_chopper_page_is_proxyshells() -> None:
    """The PST header names the wave (a mailbox export written as a page); the China Chopper inside names none."""
    pst = check_reason({"check": "pst-shell", "line": 1, "raw": "!BDN..."})
    assert pst is not None
    for reasons in ([_china_chopper(), pst], [pst, _china_chopper()]):
        finding = build_finding(_facts(*reasons))
        assert finding is not None and finding.wave == "proxyshell"
