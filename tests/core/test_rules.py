"""Log rules: the loader validates files by name; each detection against real quoted lines."""

from __future__ import annotations

import pytest

from extriage.detections.logrules import RuleError, load_rules, load_rules_from
from extriage.findings import Outcome
from extriage.formats.records import parse_record

from .builders import (
    ECP_BENIGN,
    ECP_PAYLOAD,
    FIELDS,
    IIS_SHELL,
    csv_line,
    hp_row,
    iis_line,
    nmap_probe,
    ssrf,
)

IIS_NAMES = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
             "cs(Referer) sc-status sc-substatus sc-win32-status time-taken").split()


def classify(family: str, line: str, names: list[str], protocol: str = "") -> list[tuple[str, str, Outcome]]:
    rules = load_rules()
    fields, _ = parse_record(family, line, names)
    out = []
    for rule in rules.for_family(family):
        if not rule.applies_to(family, (fields.get("Protocol") or protocol).lower()):
            continue
        cls = rule.classify(dict(fields))
        if cls:
            out.append((rule.id, cls.case.id, cls.outcome))
    return out


# -- CVE-2021-26855 -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "status", "case", "outcome"),
    [
        # helsecert incident lines (logs-and-detections.md §1a)
        ("/autodiscover/autodiscover.xml?#", "200", "autodiscover", Outcome.ATTEMPT),
        ("/ecp/proxyLogon.ecp?#", "241", "proxylogon-ecp", Outcome.SUCCESS),
        ("/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=8BeqxxxWYd1L8.&schema=ResetOABVirtualDirectory#", "200", "ddi", Outcome.SUCCESS),
        # CSS-Exchange issue #100 chain (microsoft-tools.md §1.4)
        ("/mapi/emsmdb/?#", "200", "mapi", Outcome.SUCCESS),
        ("/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=x&schema=OABVirtualDirectory#", "200", "ddi", Outcome.SUCCESS),
        ("/ecp/proxyLogon.ecp?#", "500", "proxylogon-ecp", Outcome.ATTEMPT),
        ("/owa/something#", "404", "ssrf-other", Outcome.ATTEMPT),
    ],
)
def test_26855_classification(target: str, status: str, case: str, outcome: Outcome) -> None:
    hits = classify("httpproxy", ssrf("2021-03-03T06:49:46.210Z", target, status), FIELDS)
    assert ("PL-26855-SSRF", case, outcome) in hits


def test_26855_scanner_selftest_is_not_an_attack() -> None:
    hits = classify("httpproxy", nmap_probe("2021-03-04T10:00:00.000Z"), FIELDS)
    assert hits == [("PL-26855-SSRF", "scanner-localhost", Outcome.SCANNER)]


def test_26855_backendcookie_variant_found() -> None:
    """Test-ProxyLogon misses this (issue #310); Microsoft's one-liner adds BackEndCookie -like 'Server~*/*~*'."""
    line = hp_row(DateTime="2021-03-03T06:50:00Z", Protocol="Ecp", UrlStem="/ecp/y.js", ClientIpAddress="203.0.113.9",
                  BackEndCookie="Server~a]@exsrv.dom:444/ecp/proxyLogon.ecp?#~1942062522", HttpStatus="241")
    assert classify("httpproxy", line, FIELDS) == [("PL-26855-SSRF", "backend-cookie", Outcome.SUCCESS)]


@pytest.mark.parametrize(
    ("anchor", "case", "outcome"),
    [
        # the cookie alone names autodiscover: only the exploit's first step, even when answered 200
        ("", "autodiscover", Outcome.ATTEMPT),
        # an AnchorMailbox naming a deeper target decides, whatever the cookie says
        ("ServerInfo~a]@exsrv.dom:444/mapi/emsmdb/?#", "mapi", Outcome.SUCCESS),
    ],
)
def test_26855_backendcookie_to_autodiscover_is_an_attempt(anchor: str, case: str, outcome: Outcome) -> None:
    line = hp_row(DateTime="2021-03-03T06:49:42Z", Protocol="Ecp", UrlStem="/ecp/y.js", ClientIpAddress="203.0.113.9",
                  AnchorMailbox=anchor,
                  BackEndCookie="Server~a]@exsrv.dom:444/autodiscover/autodiscover.xml?#~1942062522", HttpStatus="200")
    assert classify("httpproxy", line, FIELDS) == [("PL-26855-SSRF", case, outcome)]


def test_26855_benign_rows_do_not_match(shared_data) -> None:  # type: ignore[no-untyped-def]
    legit = hp_row(DateTime="2023-01-11T16:01:44Z", Protocol="PowerShell", UrlStem="/powershell",
                   AnchorMailbox="ServerVersion~Version 15.1 (Build 2374.0)",
                   BackEndCookie="Server~server_hostname.domain.test~1942063431~2023-01-11T16:11:44", HttpStatus="200")
    assert classify("httpproxy", legit, FIELDS) == []


def test_27065_reset_vdir_only_in_ecp_protocol_and_200() -> None:
    t = "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=8BeqxxxWYd1L8.&schema=ResetOABVirtualDirectory#"
    assert ("PL-27065-RESET-VDIR", "default", Outcome.SUCCESS) in classify("httpproxy", ssrf("2021-03-03T06:59:20.359Z", t, "200"), FIELDS)
    assert ("PL-27065-RESET-VDIR", "default", Outcome.ATTEMPT) in classify("httpproxy", ssrf("2021-03-03T06:59:20.359Z", t, "500"), FIELDS)
    other = ssrf("2021-03-03T06:59:20.359Z", t, "200", proto="Owa")
    assert not [h for h in classify("httpproxy", other, FIELDS) if h[0] == "PL-27065-RESET-VDIR"]


def test_27065_ecp_server_reports_cmdlet_parameter_payload() -> None:
    names = ["TimeStamp", "ServerName", "EventId", "EventData"]
    line = csv_line(["2021-03-03T06:49:53.772Z", "EXSRV", "ECP.Request", ECP_PAYLOAD])
    rules = load_rules()
    rule = rules.get("PL-27065-ECP-SETVDIR")
    assert rule is not None
    fields, _ = parse_record("ecp", line, names)
    cls = rule.classify(fields)
    assert cls is not None and cls.outcome == Outcome.SUCCESS
    assert fields["Cmdlet"] == "Set-OabVirtualDirectory" and fields["Parameter"] == "ExternalUrl"
    assert "<script language=\"JScript\" runat=\"server\">" in fields["Payload"] and fields["Payload"].endswith("</script>")
    # an admin setting a plain URL, and an unrelated cmdlet, are not flagged
    plain = csv_line(["2021-03-03T06:49:53.772Z", "EXSRV", "ECP.Request",
                      "S:CMD=Set-OabVirtualDirectory.ExternalUrl='https://mail.example.com/OAB'.Identity='x';S:URL=/ecp/DDI"])
    assert rule.classify(parse_record("ecp", plain, names)[0]) is None
    assert rule.classify(parse_record("ecp", ECP_BENIGN, names)[0]) is None


@pytest.mark.parametrize(
    ("path", "flagged"),
    [
        ("\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\discover.aspx", True),
        ("C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx", True),
        ("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\..\\..\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx", True),
        ("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\a.tmp", False),
    ],
)
def test_26858_oab_paths(path: str, flagged: bool) -> None:
    line = f"2021-03-03T07:00:10.000Z,12,Error,OABGeneratorAssistant,Download failed and temporary file '{path}' needs to be removed."
    hits = classify("oabgen", line, [])
    assert bool(hits) is flagged
    if flagged:
        rule = load_rules().get("PL-26858-OAB-WRITE")
        fields = parse_record("oabgen", line, [])[0]
        assert rule is not None and rule.classify(fields) is not None and fields["WrittenPath"] == path


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (IIS_SHELL, ("WS-OWA-AUTH", "default", Outcome.WEBSHELL)),  # helsecert: RedirSuiteServerProxy (not Service)
        (iis_line("2021-03-05 03:00:00", "POST", "/aspnet_client/discover.aspx", "1.2.3.4", "200"), ("WS-ASPNET-CLIENT", "default", Outcome.WEBSHELL)),
        (iis_line("2021-03-05 03:00:00", "GET", "/aspnet_client/discover.aspx", "1.2.3.4", "404"), ("WS-ASPNET-CLIENT", "default", Outcome.ATTEMPT)),
        (iis_line("2021-03-05 03:00:00", "POST", "/owa/auth/Current/themes/resources/a.aspx", "1.2.3.4", "200"), ("WS-OWA-AUTH", "version-folder", Outcome.WEBSHELL)),
        (iis_line("2021-03-05 03:00:00", "POST", "/owa/auth/15.1.2176/x.aspx", "1.2.3.4", "200"), ("WS-OWA-AUTH", "version-folder", Outcome.WEBSHELL)),
        (iis_line("2021-03-05 03:00:00", "POST", "/ecp/auth/w.aspx", "1.2.3.4", "200"), ("WS-ECP-AUTH", "default", Outcome.WEBSHELL)),
        (iis_line("2021-03-05 03:00:00", "POST", "/ecp/y.js", "1.2.3.4", "200", ua="python-requests/2.25.1"), ("PL-IIS-EXPLOIT-UA", "default", Outcome.ATTEMPT)),
        (iis_line("2021-03-05 03:00:00", "GET", "/owa/auth/x.js", "1.2.3.4", "500", ua="Mozilla/5.0+(compatible;+Nmap+Scripting+Engine)"), ("PL-IIS-SSRF-ENTRY", "scanner", Outcome.SCANNER)),
        (iis_line("2021-03-05 03:00:00", "POST", "/owa/auth/Current/themes/resources/logon.css", "1.2.3.4", "200"), ("PL-IIS-POST-STATIC", "default", Outcome.ATTEMPT)),
    ],
)
def test_iis_web_shell_and_entry_rules(line: str, expected: tuple[str, str, Outcome]) -> None:
    assert expected in classify("iis", line, IIS_NAMES)


@pytest.mark.parametrize("stem", ["/owa/auth/logon.aspx", "/owa/auth/LOGOFF.ASPX", "/owa/auth/RedirSuiteServiceProxy.aspx",
                                  "/ecp/auth/TimeoutLogout.aspx", "/owa/auth/15.1.2176/themes/resources/logo.png", "/ecp/default.aspx"])
def test_legitimate_pages_are_not_flagged(stem: str) -> None:
    assert classify("iis", iis_line("2021-03-05 03:00:00", "GET", stem, "10.0.0.5", "200"), IIS_NAMES) == []


def test_backend_view_is_not_an_attacker_ip_but_reset_is_found() -> None:
    line = ("2021-03-09 06:59:20 10.20.0.10 POST /ecp/DDI/DDIService.svc/SetObject schema=ResetOABVirtualDirectory&msExchEcpCanary=x 444 "
            "CORP\\EXCH01$ 10.20.0.10 python-requests/2.25.1 - 200 0 0 221")
    hits = classify("iis", line, IIS_NAMES)
    assert hits == [("PL-IIS-BACKEND-RESET-VDIR", "default", Outcome.SUCCESS)]


def test_web_shell_rules_apply_to_httpproxy_rows_too() -> None:
    line = hp_row(DateTime="2021-03-05T03:06:27Z", Protocol="Owa", UrlStem="/owa/auth/shel90.aspx", HttpStatus="200",
                  ClientIpAddress="139.162.202.236", Method="POST")
    assert ("WS-OWA-AUTH", "default", Outcome.WEBSHELL) in classify("httpproxy", line, FIELDS)


# -- the loader ---------------------------------------------------------------------------------
GOOD = """
rules:
  - id: T-1
    title: t
    family: iis
    wave: other
    prefilter: [x]
    match: {cs-uri-stem|contains: x}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("contains", "containz"), "unknown modifier"),
        (GOOD.replace("cs-uri-stem|contains: x", "cs-uri-stem|re: '(unclosed'"), "bad regular expression"),
        (GOOD.replace("prefilter: [x]", ""), "needs 'prefilter'"),
        (GOOD.replace("family: iis", "family: smtp"), "unknown family"),
        (GOOD.replace("wave: other", "wave: proxylogon2"), "wave"),
        (GOOD.replace("    prefilter: [x]", "    prefilter: [x]\n    outcome: pwned"), "outcome"),
        (GOOD.replace("cs-uri-stem|contains: x", "cs-uri-stem|list: nolist"), "unknown list"),
        (GOOD + "  - id: T-1\n    title: t\n    family: iis\n    wave: other\n    prefilter: [x]\n    match: {cs-method: b}\n", "also defined"),
        ("rules: [", "not valid YAML"),
        (GOOD.replace("    title: t\n", "    title: t\n    colour: red\n"), "unknown key"),
    ],
)
def test_loader_errors_name_file_and_rule(text: str, message: str) -> None:
    with pytest.raises(RuleError) as exc:
        load_rules_from([("custom/bad.yml", text)])
    assert "custom/bad.yml" in str(exc.value) and message in str(exc.value)
    if "rules: [" not in text:
        assert "T-1" in str(exc.value)


def test_like_is_case_insensitive_wildcard_with_literal_brackets() -> None:
    rs = load_rules_from([("x.yml", GOOD.replace("cs-uri-stem|contains: x", "AnchorMailbox|like: 'ServerInfo~*/*'")
                                   .replace("family: iis", "family: httpproxy"))])
    rule = rs.rules[0]
    assert rule.match({"AnchorMailbox": "serverinfo~a]@h:444/ecp/x#"})
    assert not rule.match({"AnchorMailbox": "ServerInfo~nopath"})


def test_packaged_rules_load_and_have_required_metadata() -> None:
    rs = load_rules()
    assert len(rs.rules) >= 9
    for r in rs.rules:
        assert r.references or r.id.startswith("WS-ECP"), r.id
        assert r.prefilter or r.prefilter_regex
