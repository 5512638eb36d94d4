"""Issue 13: w3wp injecting into / starting unusual processes, w3wp explicit-credential logons;
findings kept with the computer that wrote them; undated event findings in stories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.events.engine import default_rules
from extriage.findings import Outcome

from .helpers import jsonl, read_export_bytes, rule_ids, scan

W3WP = "C:\\Windows\\System32\\inetsrv\\w3wp.exe"
EXCH_POOL = f'{W3WP.lower()} -ap "MSExchangeOWAAppPool" -v "v4.0" -c "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\GenericAppPoolConfigWithGCServerEnabledFalse.config"'
SYSMON = {"Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon"}
SECURITY = {"Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing"}


def _sysmon(eid: int, host: str = "EXCH01.corp.local", t: str = "2021-03-02 10:00:00", **data: Any) -> dict[str, Any]:
    return {"EventID": eid, **SYSMON, "Hostname": host, "UtcTime": t, **data}


def _security(eid: int, host: str = "EXCH01.corp.local", t: str = "2021-03-02T10:00:00Z", **data: Any) -> dict[str, Any]:
    return {"EventID": eid, **SECURITY, "Hostname": host, "@timestamp": t, **data}


def _rules_for(doc: dict[str, Any]) -> set[str]:
    recs, _ = read_export_bytes(jsonl(doc))
    return {r.id for r in default_rules().match(recs[0])}


@pytest.mark.parametrize(
    ("child", "parent_cmd", "expected"),
    [
        ("C:\\Windows\\System32\\notepad.exe", EXCH_POOL, {"EVT-PROC-EXCH-W3WP-UNUSUAL-CHILD"}),
        ("C:\\Users\\Public\\svc.exe", EXCH_POOL, {"EVT-PROC-EXCH-W3WP-UNUSUAL-CHILD"}),
        ("C:\\Windows\\System32\\notepad.exe", None, {"EVT-PROC-W3WP-UNUSUAL-CHILD"}),
        ("C:\\Windows\\System32\\msiexec.exe", None, {"EVT-PROC-W3WP-UNUSUAL-CHILD"}),
        # covered by the shell rules: one finding per event, not two
        ("C:\\Windows\\System32\\rundll32.exe", EXCH_POOL, {"EVT-PROC-EXCH-W3WP-SHELL"}),
        ("C:\\Windows\\System32\\mshta.exe", None, {"EVT-PROC-W3WP-SHELL"}),
        ("C:\\Windows\\System32\\regsvr32.exe", EXCH_POOL, {"EVT-PROC-EXCH-W3WP-SHELL"}),
        # what Exchange's web workers start themselves
        ("C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe", EXCH_POOL, set()),
        ("C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\cvtres.exe", EXCH_POOL, set()),
        ("C:\\Windows\\System32\\conhost.exe", EXCH_POOL, set()),
        ("C:\\Windows\\System32\\WerFault.exe", EXCH_POOL, set()),
        ("C:\\Program Files\\PHP\\php-cgi.exe", None, set()),  # another IIS site's own FastCGI
    ],
)
def test_w3wp_children(child: str, parent_cmd: str | None, expected: set[str]) -> None:
    doc = _sysmon(1, Image=child, CommandLine=child, ParentImage=W3WP, User="NT AUTHORITY\\SYSTEM")
    if parent_cmd:
        doc["ParentCommandLine"] = parent_cmd
    assert _rules_for(doc) == expected
    # Security 4688 names the same processes NewProcessName / ParentProcessName (no pool)
    doc4688 = _security(4688, NewProcessName=child, ParentProcessName=W3WP, CommandLine=child)
    if not parent_cmd:
        assert _rules_for(doc4688) == expected


def test_remote_thread_and_lsass_access_from_w3wp() -> None:
    inject = _sysmon(8, SourceImage=W3WP, TargetImage="C:\\Windows\\System32\\notepad.exe", StartAddress="0x0000021A5C2B0000")
    assert _rules_for(inject) == {"EVT-PROC-W3WP-REMOTE-THREAD"}
    other = inject | {"SourceImage": "C:\\Windows\\System32\\svchost.exe"}
    assert _rules_for(other) == set()
    dump = _sysmon(10, SourceImage=W3WP, TargetImage="C:\\Windows\\system32\\lsass.exe", GrantedAccess="0x1010")
    assert _rules_for(dump) == {"EVT-PROC-W3WP-LSASS-ACCESS"}
    assert _rules_for(dump | {"GrantedAccess": "0x1000"}) == set()  # query information only


def test_positional_sysmon_8_and_4648_from_convertto_json() -> None:
    def gw(eid: int, provider: str, log: str, values: list[str]) -> dict[str, Any]:
        return {"Id": eid, "ProviderName": provider, "LogName": log, "MachineName": "EXCH01", "RecordId": 1,
                "TimeCreated": "/Date(1614679587161)/", "Properties": [{"Value": v} for v in values]}

    s8 = gw(8, "Microsoft-Windows-Sysmon", "Microsoft-Windows-Sysmon/Operational",
            ["-", "2021-03-02 10:06:27.161", "{g}", "4242", W3WP, "{g2}", "900", "C:\\Windows\\System32\\notepad.exe",
             "1234", "0x1", "-", "-", "IIS APPPOOL\\MSExchangeOWAAppPool", "NT AUTHORITY\\SYSTEM"])
    e4648 = gw(4648, "Microsoft-Windows-Security-Auditing", "Security",
               ["S-1-5-18", "EXCH01$", "CORP", "0x3e7", "{0}", "administrator", "CORP", "{0}", "DC01.corp.local",
                "DC01.corp.local", "0x1f0", W3WP, "-", "-"])
    data = json.dumps([s8, e4648]).encode()
    recs, _ = read_export_bytes(data)
    assert [{r.id for r in default_rules().match(rec)} for rec in recs] == [
        {"EVT-PROC-W3WP-REMOTE-THREAD"},
        {"EVT-ACCT-W3WP-EXPLICIT-CREDS"},
    ]


def test_w3wp_explicit_credentials_only_towards_another_server() -> None:
    base = _security(4648, ProcessName=W3WP, TargetUserName="administrator", SubjectUserName="EXCH01$")
    assert _rules_for(base | {"TargetServerName": "DC01.corp.local"}) == {"EVT-ACCT-W3WP-EXPLICIT-CREDS"}
    # forms-based / basic authentication through w3wp: every OWA logon looks like this
    assert _rules_for(base | {"TargetServerName": "localhost", "TargetInfo": "localhost"}) == set()
    assert _rules_for(base | {"TargetServerName": "DC01", "ProcessName": "C:\\Windows\\System32\\svchost.exe"}) == set()


def test_export_csv_message_of_4648_is_read() -> None:
    message = (
        "A logon was attempted using explicit credentials.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n"
        "\tAccount Name:\t\tEXCH01$\r\n\r\nAccount Whose Credentials Were Used:\r\n\tAccount Name:\t\tadministrator\r\n"
        "\r\nTarget Server:\r\n\tTarget Server Name:\tDC01.corp.local\r\n\tAdditional Information:\tDC01.corp.local\r\n"
        f"\r\nProcess Information:\r\n\tProcess ID:\t\t0x1f0\r\n\tProcess Name:\t\t{W3WP}\r\n"
    )
    rows = [
        '"Message","Id","ProviderName","LogName","MachineName","TimeCreated"',
        '"' + message + '","4648","Microsoft-Windows-Security-Auditing","Security","EXCH01","3/2/2021 10:06:27 AM"',
    ]
    recs, _ = read_export_bytes("\r\n".join(rows).encode())
    assert recs[0].data["TargetServerName"] == "DC01.corp.local" and recs[0].data["TargetInfo"] == "DC01.corp.local"
    assert {r.id for r in default_rules().match(recs[0])} == {"EVT-ACCT-W3WP-EXPLICIT-CREDS"}


def _write(folder: Path, name: str, *docs: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(jsonl(*docs))


LSASS = {"Image": "C:\\Windows\\System32\\rundll32.exe",
         "CommandLine": "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\ProgramData\\lsass.dmp full"}


def test_one_hosts_compromise_does_not_make_anothers_account_events_success(tmp_path: Path) -> None:
    _write(tmp_path / "exch01", "sysmon.jsonl", _sysmon(1, **LSASS))
    _write(
        tmp_path / "web02",
        "security.jsonl",
        _security(4720, host="WEB02.corp.local", t="2021-03-02T11:00:00Z", TargetUserName="helpdesk2", SubjectUserName="admin"),
        _security(4732, host="WEB02.corp.local", t="2021-03-02T11:01:00Z", TargetUserName="Administrators", MemberName="CN=helpdesk2"),
    )
    _write(tmp_path / "exch01", "security.jsonl",
           _security(4720, t="2021-03-02T11:00:00Z", TargetUserName="evil", SubjectUserName="SYSTEM"))
    result = scan(tmp_path)
    by_host = {(f.rule_id, f.indicators.hosts[0]): f.outcome for f in result.findings}
    assert by_host[("EVT-PROC-LSASS-DUMP", "EXCH01.corp.local")] == Outcome.SUCCESS
    assert by_host[("EVT-ACCT-CREATED", "EXCH01.corp.local")] == Outcome.SUCCESS
    assert by_host[("EVT-ACCT-CREATED", "WEB02.corp.local")] == Outcome.INFO
    assert by_host[("EVT-ACCT-PRIV-GROUP", "WEB02.corp.local")] == Outcome.INFO
    web02 = next(f for f in result.findings if f.rule_id == "EVT-ACCT-CREATED" and f.outcome == Outcome.INFO)
    assert "No compromise trace was found on WEB02.corp.local (only on exch01" in web02.description
    # the collection says it holds two computers (JSON and the coverage warnings the terminal prints)
    assert [c["name"] for c in result.extras["events"]["computers"]] == ["EXCH01.corp.local", "WEB02.corp.local"]
    assert any("come from 2 computers" in w and "WEB02.corp.local" in w for w in result.coverage.warnings)
    assert result.hostname == ""
    # stories stay per computer too
    for story in result.stories:
        hosts = {h for st in story.steps for f in result.findings if f.id in st.finding_ids for h in f.indicators.hosts}
        assert len(hosts) <= 1, story.title


def test_one_computer_in_exports_and_short_names_are_one_host(tmp_path: Path) -> None:
    _write(tmp_path, "a.jsonl", _sysmon(1, **LSASS))
    _write(tmp_path, "b.jsonl", _security(4720, host="exch01", t="2021-03-02T11:00:00Z", TargetUserName="evil"))
    result = scan(tmp_path)
    assert not any("computers (" in w for w in result.coverage.warnings)
    assert result.hostname == "EXCH01.corp.local"
    acct = next(f for f in result.findings if f.rule_id == "EVT-ACCT-CREATED")
    assert acct.outcome == Outcome.SUCCESS


def test_undated_findings_join_one_story_not_stories_with_null_times(tmp_path: Path) -> None:
    dated = _sysmon(1, **LSASS)
    shell = {k: v for k, v in _sysmon(1, Image="C:\\Windows\\System32\\cmd.exe", CommandLine="cmd /c whoami",
                                     ParentImage=W3WP, ParentCommandLine=EXCH_POOL).items() if k != "UtcTime"}
    shell2 = shell | {"CommandLine": "cmd /c ipconfig"}
    _write(tmp_path / "dated", "e.jsonl", dated, shell, shell2)
    result = scan(tmp_path / "dated")
    assert len(result.stories) == 1
    story = result.stories[0]
    assert story.first_seen is not None and len(story.steps) == 3
    assert sum("time unknown" in st.detail for st in story.steps) == 2
    # only undated findings: one story for the computer, said to be undated
    _write(tmp_path / "undated", "e.jsonl", shell, shell2)
    result = scan(tmp_path / "undated")
    assert len(result.stories) == 1 and "event times unknown" in result.stories[0].title
    assert rule_ids(result) == {"EVT-PROC-EXCH-W3WP-SHELL"}


def test_undated_finding_of_another_computer_does_not_join(tmp_path: Path) -> None:
    shell = {k: v for k, v in _sysmon(1, host="EXCH02", Image="C:\\Windows\\System32\\cmd.exe", CommandLine="cmd /c whoami",
                                     ParentImage=W3WP, ParentCommandLine=EXCH_POOL).items() if k != "UtcTime"}
    _write(tmp_path, "e.jsonl", _sysmon(1, **LSASS), shell)
    result = scan(tmp_path)
    assert len(result.stories) == 2
    undated = next(s for s in result.stories if s.first_seen is None)
    assert "EXCH02" in undated.title and "times unknown" in undated.title


def test_chain_story_of_undated_events_says_its_times_are_unknown(tmp_path: Path) -> None:
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan

    doc = {
        "EventID": 1,
        "Channel": "MSExchange Management",
        "SourceName": "MSExchange CmdletLogs",
        "Hostname": "EXCH01",
        "Message": 'Cmdlet succeeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox "admin@corp.local" '
        '-FilePath "\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx".',
    }
    _write(tmp_path, "e.jsonl", doc)
    result = run_scan(str(tmp_path), ScanOptions(jobs=1))  # all stages: the correlate stage builds the chain
    assert result.stories
    for story in result.stories:
        assert story.first_seen is not None or "times unknown" in story.title, story.title
