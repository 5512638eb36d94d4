"""Round trip: the generated XML applied to the real configs verifies as in-force; each way of
breaking it afterwards is named with the deciding file and element."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from extriage.detections.mitigations.plan import plan_from_assessment, render
from extriage.detections.mitigations.sources import MemorySource
from extriage.detections.mitigations.verify import VerifyReport, verify

from .conftest import APPHOST, HP, ROOT_WEB, SYSTEM, hive, server_files
from .xml_apply import (
    add_module_remove,
    add_to_rules,
    apply_rules,
    edit_rule,
    set_app_pool,
    wrap_rules_in_location,
)

XBE = "X-BEResource Abort - inbound"
XANON = "X-AnonResource-Backend Abort - inbound"
ECP_WEB = HP + "\\ecp\\web.config"
OWA_WEB = HP + "\\owa\\web.config"


@dataclass
class _Cve:
    id: str
    wave: str
    status: str
    known_exploited: bool = True
    fixed_by: object | None = None


@dataclass
class _Assessment:
    product: str
    cves: list[_Cve] = field(default_factory=list)


def assessment_2016_cu18() -> _Assessment:
    """Shaped like extriage.detections.builds.assess() for Exchange 2016 CU18 without the March 2021 SU."""
    return _Assessment(
        "Exchange Server 2016",
        [
            _Cve("CVE-2021-26855", "proxylogon", "vulnerable"),
            _Cve("CVE-2021-26857", "proxylogon", "vulnerable"),
            _Cve("CVE-2021-26858", "proxylogon", "vulnerable"),
            _Cve("CVE-2021-27065", "proxylogon", "vulnerable"),
            _Cve("CVE-2021-34473", "proxyshell", "vulnerable"),
            _Cve("CVE-2022-41040", "proxynotshell", "vulnerable"),
            _Cve("CVE-2022-41082", "proxynotshell", "vulnerable"),
        ],
    )


@pytest.fixture(scope="module")
def fragment() -> bytes:
    files = render(plan_from_assessment("15.1.2106.2", assessment_2016_cu18()))
    return files["rewrite-rules.xml"].encode("utf-8")


def repaired_web1(test_data: Path) -> dict[str, bytes]:
    """E19 with DefaultWebSite_web1.config (the real file holding the EEMS / RequestBlockingRule1 /
    PowerShell - inbound rules) as site root, its one unclosed <system.web> tag repaired."""
    files = server_files(test_data, "E19", root_web="DefaultWebSite_web1.config")
    broken = b"    <system.web>\r\n  </location>" if b"<system.web>\r\n  </location>" in files[ROOT_WEB] else b"    <system.web>\n  </location>"
    assert broken in files[ROOT_WEB]
    files[ROOT_WEB] = files[ROOT_WEB].replace(broken, broken.replace(b"<system.web>", b"</system.web>"))
    return files


def run(files: dict[str, bytes]) -> VerifyReport:
    return verify(MemorySource(dict(files)))


def applied(test_data: Path, fragment: bytes, version: str = "E19") -> dict[str, bytes]:
    files = server_files(test_data, version)
    files[ROOT_WEB] = apply_rules(files[ROOT_WEB], fragment)
    return files


def state(report: VerifyReport, mid: str) -> str:
    m = report.get(mid)
    assert m is not None
    return m.state


def codes(report: VerifyReport, mid: str) -> set[str]:
    m = report.get(mid)
    assert m is not None
    return {p.code for p in m.problems}


def test_real_configs_before_applying(e19: dict[str, bytes], e16: dict[str, bytes]) -> None:
    r19 = run(e19)
    assert state(r19, "proxylogon-rewrite") == "absent"
    assert state(r19, "proxynotshell-rewrite") == "absent"
    assert state(r19, "rewrite-module") == "in-force"
    assert state(r19, "ecp-apppool") == "absent"
    assert state(r19, "um-services") == "unknown"  # no SYSTEM hive: never in-force by default
    r16 = run(e16)
    assert state(r16, "rewrite-module") == "in-force"
    assert state(r16, "proxylogon-rewrite") == "absent"
    for m in r19.mitigations + r16.mitigations:
        assert m.reason
        if m.state != "unknown":
            assert m.decided_by, m.id


@pytest.mark.parametrize("version", ["E19", "E16"])
def test_generated_xml_verifies_in_force(test_data: Path, fragment: bytes, version: str) -> None:
    report = run(applied(test_data, fragment, version))
    assert state(report, "proxylogon-rewrite") == "in-force", report.get("proxylogon-rewrite")
    assert state(report, "proxynotshell-rewrite") == "in-force"
    m = report.get("proxylogon-rewrite")
    assert m is not None
    assert all(d.file == ROOT_WEB for d in m.decided_by)
    assert {d.element.split('"')[1] for d in m.decided_by} == {XBE, XANON}
    assert "Default Web Site/ecp" in m.checked and "Default Web Site/owa" in m.checked


@pytest.mark.parametrize("apphost", ["applicationHost.config", "applicationHost1.config", "applicationHost2.config"])
def test_generated_xml_on_every_real_application_host(test_data: Path, fragment: bytes, apphost: str) -> None:
    files = server_files(test_data, "E19", apphost=apphost)
    files[ROOT_WEB] = apply_rules(files[ROOT_WEB], fragment)
    assert state(run(files), "proxylogon-rewrite") == "in-force"
    assert state(run(files), "proxynotshell-rewrite") == "in-force"


def test_rules_without_the_module_do_nothing(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment, "E16")
    files[APPHOST] = files[APPHOST].replace(b'<add name="RewriteModule" image=', b'<add name="NotRewrite" image=')
    report = run(files)
    assert state(report, "rewrite-module") == "absent"
    assert state(report, "proxylogon-rewrite") == "partial"
    assert "rewrite-module-absent" in codes(report, "proxylogon-rewrite")


def test_applying_twice_changes_nothing(test_data: Path, fragment: bytes) -> None:
    once = applied(test_data, fragment)
    twice = dict(once)
    twice[ROOT_WEB] = apply_rules(once[ROOT_WEB], fragment)
    assert twice[ROOT_WEB] == once[ROOT_WEB]
    assert state(run(twice), "proxylogon-rewrite") == "in-force"


def test_applying_keeps_other_rules(test_data: Path, fragment: bytes) -> None:
    files = repaired_web1(test_data)
    files[ROOT_WEB] = apply_rules(files[ROOT_WEB], fragment)
    text = files[ROOT_WEB].decode()
    assert "EEMS M1.1 PowerShell - inbound" in text and "RequestBlockingRule1" in text
    assert state(run(files), "proxylogon-rewrite") == "in-force"


def _decider(report: VerifyReport, mid: str) -> tuple[str, int | None, str]:
    m = report.get(mid)
    assert m is not None and m.decided_by
    d = m.decided_by[0]
    return d.file, d.line, d.element


def test_remove_in_child_is_overridden(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[ECP_WEB] = add_to_rules(files[ECP_WEB], f'<remove name="{XBE}" />')
    report = run(files)
    assert state(report, "proxylogon-rewrite") == "overridden"
    assert "removed" in codes(report, "proxylogon-rewrite")
    file, line, element = _decider(report, "proxylogon-rewrite")
    assert file == ECP_WEB and element == f'<remove name="{XBE}">' and line
    m = report.get("proxylogon-rewrite")
    assert m is not None and "Default Web Site/ecp" in m.reason
    # other virtual directories are still fine: only /ecp is named
    assert {p.scope for p in m.problems if p.code == "removed"} == {"Default Web Site/ecp"}


def test_clear_in_child_is_overridden(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[OWA_WEB] = add_to_rules(files[OWA_WEB], "<clear />")
    report = run(files)
    assert state(report, "proxylogon-rewrite") == "overridden"
    assert state(report, "proxynotshell-rewrite") == "overridden"
    assert "cleared" in codes(report, "proxylogon-rewrite")
    file, _, element = _decider(report, "proxylogon-rewrite")
    assert file == OWA_WEB and element == "<clear>"
    m = report.get("proxylogon-rewrite")
    assert m is not None
    assert {p.scope for p in m.problems if p.code == "cleared"} >= {"Default Web Site/owa", "Default Web Site/owa/Calendar"}


def test_clear_in_location_of_root_config(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[ROOT_WEB] = add_to_rules(files[ROOT_WEB], "<clear />", location="ecp")
    report = run(files)
    assert state(report, "proxylogon-rewrite") == "overridden"
    assert _decider(report, "proxylogon-rewrite")[0] == ROOT_WEB


@pytest.mark.parametrize(
    ("rule", "path", "attr", "value", "code"),
    [
        (XBE, ".", "enabled", "false", "disabled"),
        (XBE, ".", "patternSyntax", "Wildcard", "wildcard-syntax"),
        (XBE, ".", "stopProcessing", None, "no-stop-processing"),
        (XBE, "match", "url", "ecp/.*", "wrong-match-url"),
        (XBE, "conditions/add", "pattern", "X-BEResource", "wrong-pattern"),
        (XBE, "conditions/add", "input", "{HTTP_HOST}", "wrong-input"),
        (XBE, "conditions/add", "negate", "true", "negated-condition"),
        (XBE, "conditions/add", "ignoreCase", "false", "case-sensitive"),
        (XBE, "action", "type", "None", "wrong-action"),
        (XANON, "action", "type", "Rewrite", "wrong-action"),
        (XANON, "conditions/add", "matchType", "IsFile", "wrong-match-type"),
    ],
)
def test_each_defect_is_named(
    test_data: Path, fragment: bytes, rule: str, path: str, attr: str, value: str | None, code: str
) -> None:
    files = applied(test_data, fragment)
    files[ROOT_WEB] = edit_rule(files[ROOT_WEB], rule, path, attr, value)
    report = run(files)
    assert state(report, "proxylogon-rewrite") == "partial"
    assert code in codes(report, "proxylogon-rewrite")
    file, line, _ = _decider(report, "proxylogon-rewrite")
    assert file == ROOT_WEB and line
    assert state(report, "proxynotshell-rewrite") == "in-force"  # untouched rule stays fine


def test_custom_response_action_is_accepted(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[ROOT_WEB] = edit_rule(files[ROOT_WEB], XBE, "action", "type", "CustomResponse")
    assert state(run(files), "proxylogon-rewrite") == "in-force"


def test_not_inherited_by_child_applications(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[ROOT_WEB] = wrap_rules_in_location(files[ROOT_WEB], inherit=False)
    report = run(files)
    assert state(report, "proxylogon-rewrite") == "partial"
    assert "missing" in codes(report, "proxylogon-rewrite")
    m = report.get("proxylogon-rewrite")
    assert m is not None and "Default Web Site/ecp" in m.reason
    files[ROOT_WEB] = wrap_rules_in_location(applied(test_data, fragment)[ROOT_WEB], inherit=True)
    assert state(run(files), "proxylogon-rewrite") == "in-force"


def test_rewrite_module_removed_in_child(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[ECP_WEB] = add_module_remove(files[ECP_WEB], "RewriteModule")
    report = run(files)
    assert state(report, "rewrite-module") == "overridden"
    assert _decider(report, "rewrite-module")[0] == ECP_WEB
    assert state(report, "proxylogon-rewrite") == "partial"
    assert "rewrite-module-overridden" in codes(report, "proxylogon-rewrite")


def test_duplicate_rule_in_child_is_named(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[ECP_WEB] = add_to_rules(files[ECP_WEB], f'<rule name="{XBE}"><match url=".*"/></rule>')
    assert "duplicate-rule" in codes(run(files), "proxylogon-rewrite")


def test_shadowing_rule_before_ours(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[ROOT_WEB] = add_to_rules(
        files[ROOT_WEB],
        '<rule name="Redirect all" stopProcessing="true"><match url=".*"/><action type="Rewrite" url="/x"/></rule>',
        first=True,
    )
    report = run(files)
    assert state(report, "proxylogon-rewrite") == "partial"
    assert "shadowed" in codes(report, "proxylogon-rewrite")


def test_proxynotshell_real_rules_and_weak_pattern(test_data: Path) -> None:
    files = repaired_web1(test_data)
    report = run(files)
    assert state(report, "proxynotshell-rewrite") == "in-force"
    m = report.get("proxynotshell-rewrite")
    assert m is not None and m.decided_by[0].element.startswith('<rule name="EEMS M1.1 PowerShell - inbound"')
    weak = files[ROOT_WEB].replace(b"(?=.*autodiscover)(?=.*powershell)", b".*autodiscover\\.json.*Powershell.*")
    files[ROOT_WEB] = weak
    report = run(files)
    assert state(report, "proxynotshell-rewrite") == "partial"
    assert "weak-pattern" in codes(report, "proxynotshell-rewrite")


def test_proxynotshell_removed_by_child(test_data: Path) -> None:
    files = repaired_web1(test_data)
    autod = HP + "\\Autodiscover\\web.config"
    for name in ("EEMS M1.1 PowerShell - inbound", "RequestBlockingRule1", "PowerShell - inbound"):
        files[autod] = add_to_rules(files[autod], f'<remove name="{name}" />')
    report = run(files)
    assert state(report, "proxynotshell-rewrite") == "overridden"
    assert _decider(report, "proxynotshell-rewrite")[0] == autod


def test_hsts_root_config_has_no_rules(test_data: Path, fragment: bytes) -> None:
    files = server_files(test_data, "E19", root_web="DefaultWebSite_web2.config")
    assert state(run(files), "proxynotshell-rewrite") == "absent"
    files[ROOT_WEB] = apply_rules(files[ROOT_WEB], fragment)
    assert b"Strict-Transport-Security" in files[ROOT_WEB]
    assert state(run(files), "proxylogon-rewrite") == "in-force"


def test_malformed_root_config_is_unknown(test_data: Path) -> None:
    files = server_files(test_data, "E19", root_web="DefaultWebSite_web1.config")
    report = run(files)
    for mid in ("proxylogon-rewrite", "proxynotshell-rewrite"):
        m = report.get(mid)
        assert m is not None and m.state == "unknown"
        assert "line 42" in m.reason and ROOT_WEB in m.reason
    assert any("not well-formed" in e for e in report.errors)


def test_bad_or_missing_application_host(test_data: Path, e19: dict[str, bytes]) -> None:
    bad = dict(e19)
    bad[APPHOST] = (test_data / "exchange-iis-config/E19/Exchange/IIS/BadApplicationHost.config").read_bytes()
    report = run(bad)
    for m in report.mitigations:
        if m.id != "um-services":
            assert m.state == "unknown", m.id
            assert "line 128" in m.reason
    missing = {k: v for k, v in e19.items() if k != APPHOST}
    report = run(missing)
    assert all(m.state == "unknown" for m in report.mitigations)
    assert "not in the evidence" in (report.get("proxylogon-rewrite").reason)  # type: ignore[union-attr]


def test_missing_child_config_is_never_in_force(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    del files[ECP_WEB]
    report = run(files)
    m = report.get("proxylogon-rewrite")
    assert m is not None and m.state == "unknown"
    assert ECP_WEB in m.not_checked
    only_apphost = {APPHOST: files[APPHOST]}
    assert state(run(only_apphost), "proxylogon-rewrite") == "unknown"


def test_non_exchange_site() -> None:
    apphost = b"""<configuration><system.applicationHost><sites>
      <site name="Default Web Site" id="1"><application path="/"><virtualDirectory path="/" physicalPath="C:\\inetpub\\wwwroot"/></application></site>
      </sites></system.applicationHost></configuration>"""
    report = run({APPHOST: apphost})
    m = report.get("proxylogon-rewrite")
    assert m is not None and m.state == "unknown" and "not an Exchange front end" in m.reason


def test_hostile_root_config() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><configuration>&b;</configuration>'
    files = {ROOT_WEB: bomb}
    from .conftest import FLAT  # noqa: F401  (paths documented there)

    report = run(files)
    assert all(m.state == "unknown" for m in report.mitigations)


@pytest.mark.parametrize(
    ("hive_name", "um", "ecp"),
    [
        ("SYSTEM_mitigated", "in-force", "in-force"),
        ("SYSTEM_um_only", "partial", "partial"),
        ("SYSTEM_default", "absent", "partial"),
        ("SYSTEM_e19_ma_off", "not-applicable", "in-force"),
    ],
)
def test_services_and_app_pools(e19: dict[str, bytes], hive_name: str, um: str, ecp: str) -> None:
    files = dict(e19)
    files[APPHOST] = set_app_pool(files[APPHOST], "MSExchangeECPAppPool", autoStart="false", startMode="OnDemand")
    files[SYSTEM] = hive(hive_name)
    report = run(files)
    assert state(report, "um-services") == um
    assert state(report, "ecp-apppool") == ecp
    assert state(report, "oab-apppool") == "absent"  # untouched pool
    m = report.get("um-services")
    assert m is not None
    if um != "not-applicable":
        assert any("ControlSet001\\Services\\MSExchangeUM\\Start" in d.element for d in m.decided_by)
    if ecp == "partial":
        assert "managed-availability-running" in codes(report, "ecp-apppool")


def test_corrupt_hive_is_unknown(e19: dict[str, bytes]) -> None:
    files = dict(e19)
    files[SYSTEM] = b"regf" + b"\x00" * 100
    report = run(files)
    assert state(report, "um-services") == "unknown"
    assert any("SYSTEM" in e for e in report.errors)
    files[SYSTEM] = b"MZ not a hive"
    assert "not a registry hive" in (report_reason := run(files).get("um-services").reason)  # type: ignore[union-attr]
    assert report_reason


@pytest.mark.parametrize("version", ["E16", "E19"])
def test_every_real_config_gets_a_verdict_with_its_deciding_file(test_data: Path, version: str) -> None:
    folder = test_data / "exchange-iis-config" / version / "Exchange" / "IIS"
    apphosts = sorted(p.name for p in folder.glob("*pplicationHost*.config"))
    roots = sorted(p.name for p in folder.glob("DefaultWebSite_web*.config"))
    assert apphosts and roots
    from extriage.detections.mitigations.verify import STATES

    seen: set[str] = set()
    for apphost in apphosts:
        for root in roots:
            report = run(server_files(test_data, version, apphost=apphost, root_web=root))
            assert len(report.mitigations) == 6
            for m in report.mitigations:
                assert m.state in STATES and m.reason
                seen.add(m.state)
                if m.state == "unknown":
                    continue  # the reason names what is missing or broken
                assert m.decided_by and all(d.file and d.element for d in m.decided_by), (apphost, root, m.id)
            if apphost == "BadApplicationHost.config":
                assert all(m.state == "unknown" for m in report.mitigations)
            if root == "DefaultWebSite_web1.config" and apphost != "BadApplicationHost.config":
                assert report.get("proxynotshell-rewrite").state == "unknown"  # type: ignore[union-attr]
    assert "in-force" in seen and "absent" in seen and "unknown" in seen


def test_front_end_site_with_another_name(test_data: Path, fragment: bytes) -> None:
    files = applied(test_data, fragment)
    files[APPHOST] = files[APPHOST].replace(b"Default Web Site", b"Exchange Front")
    report = run(files)
    assert state(report, "proxylogon-rewrite") == "in-force"
    assert any('"Exchange Front"' in n for n in report.notes)
    m = report.get("proxylogon-rewrite")
    assert m is not None and "Exchange Front/ecp" in m.checked
