"""Exported events in each shape, built from the real event texts of logs-and-detections.md §1f."""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime

from extriage.detections.events.engine import default_rules, norm

from .helpers import jsonl, read_export_bytes

SET_OAB_PARAMS = (
    '-ExternalUrl "http://ffff/#<script language="JScript" runat="server"> function Page_Load(){/**/eval(Request["code"],"unsafe");}</script>" '
    '-Identity "OAB (Default Web Site)"'
)
OTRF_PARENT = (
    'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool" -v "v4.0" -c "C:\\Program Files\\Microsoft\\'
    'Exchange Server\\V15\\bin\\GenericAppPoolConfigWithGCServerEnabledFalse.config"'
)


def _matches(rec: object) -> set[str]:
    return {r.id for r in default_rules().match(rec)}  # type: ignore[arg-type]


def test_ecs_winlogbeat_with_unnamed_management_data() -> None:
    doc = {
        "@timestamp": "2021-03-03T10:00:01.123Z",
        "message": f"Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters {SET_OAB_PARAMS}.",
        "winlog": {
            "channel": "MSExchange Management",
            "provider_name": "MSExchange CmdletLogs",
            "event_id": 1,
            "record_id": 77,
            "computer_name": "MXS01.azsentinel.local",
            "event_data": {"param1": "Set-OabVirtualDirectory", "param2": SET_OAB_PARAMS, "param3": "azsentinel.local/Users/x", "param6": "Remote-PowerShell-Unknown"},
        },
    }
    recs, stats = read_export_bytes(jsonl(doc))
    assert stats.kind == "jsonl" and stats.events == 1
    r = recs[0]
    assert r.time == datetime(2021, 3, 3, 10, 0, 1, 123000, tzinfo=UTC) and r.time_field == "@timestamp"
    assert r.data["cmdlet"] == "Set-OabVirtualDirectory" and r.record_id == 77
    assert "EVT-MGMT-OAB-SCRIPT" in _matches(r)


def test_flattened_prefers_utc_field_over_local_timestamp() -> None:
    # OTRF quirk: @timestamp is local time, UtcTime is UTC (here without any zone in @timestamp)
    doc = {
        "@timestamp": "2021-03-02T05:06:27.000",
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "SourceName": "Microsoft-Windows-Sysmon",
        "Hostname": "MXS01.azsentinel.local",
        "UtcTime": "2021-03-02 10:06:27.161",
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": "cmd /c whoami",
        "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        "ParentCommandLine": OTRF_PARENT,
        "User": "NT AUTHORITY\\SYSTEM",
    }
    recs, _ = read_export_bytes(jsonl(doc))
    r = recs[0]
    assert r.time_field == "UtcTime" and r.time == datetime(2021, 3, 2, 10, 6, 27, 161000, tzinfo=UTC)
    assert "EVT-PROC-EXCH-W3WP-SHELL" in _matches(r)
    # a zoned @timestamp is converted to UTC when no UtcTime exists
    doc2 = {k: v for k, v in doc.items() if k != "UtcTime"} | {"@timestamp": "2021-03-02T05:06:27.000-05:00"}
    r2 = read_export_bytes(jsonl(doc2))[0][0]
    assert r2.time == datetime(2021, 3, 2, 10, 6, 27, tzinfo=UTC) and r2.time_field == "@timestamp"


def test_asp_net_compilation_and_health_worker_do_not_alert() -> None:
    base = {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon", "UtcTime": "2021-03-02 10:06:27.161"}
    csc = base | {"Image": "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe", "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe", "ParentCommandLine": OTRF_PARENT}
    hm = base | {"Image": "C:\\Windows\\System32\\netsh.exe", "ParentImage": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\MSExchangeHMWorker.exe"}
    recs, _ = read_export_bytes(jsonl(csc, hm))
    assert [_matches(r) for r in recs] == [set(), set()]


def test_get_winevent_convertto_json_array_utf16() -> None:
    events = [
        {
            "Id": 11,
            "ProviderName": "Microsoft-Windows-Sysmon",
            "LogName": "Microsoft-Windows-Sysmon/Operational",
            "MachineName": "MXS01",
            "RecordId": 5,
            "TimeCreated": "/Date(1614679161000)/",
            "Message": "File created: ...",
            "Properties": [{"Value": v} for v in ["-", "2021-03-02 09:59:21.000", "{g}", 4, "System",
                                                  "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\ohyeah.aspx",
                                                  "2021-03-02 09:59:21.000"]],
        }
    ]
    data = codecs.BOM_UTF16_LE + json.dumps(events, indent=2).encode("utf-16-le")
    recs, stats = read_export_bytes(data)
    assert stats.kind == "json" and len(recs) == 1
    r = recs[0]
    assert r.data["Image"] == "System" and r.data["TargetFilename"].endswith("ohyeah.aspx")
    assert r.time == datetime(2021, 3, 2, 9, 59, 21, tzinfo=UTC) and r.time_field == "TimeCreated"
    assert "EVT-FILE-WEBSHELL-SYSTEM" in _matches(r)


def test_export_csv_recovers_fields_from_the_message() -> None:
    header = '"Message","Id","Version","Level","RecordId","ProviderName","LogName","MachineName","TimeCreated","Properties"'
    msg = ("Process Create:\nRuleName: -\nUtcTime: 2021-03-02 12:13:45.000\nImage: C:\\Windows\\System32\\rundll32.exe\n"
           "CommandLine: rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 612 C:\\Users\\Public\\lsass.dmp full")
    row = f'"{msg}","1","5","4","9","Microsoft-Windows-Sysmon","Microsoft-Windows-Sysmon/Operational","MXS01","3/2/2021 7:13:45 AM","System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]"'
    recs, stats = read_export_bytes((header + "\r\n" + row + "\r\n").encode())
    assert stats.kind == "csv" and len(recs) == 1
    r = recs[0]
    assert r.data["Image"].endswith("rundll32.exe")
    assert "(no zone, taken as UTC)" in r.time_field  # Export-Csv writes local time without a zone
    assert "EVT-PROC-LSASS-DUMP" in _matches(r)


def test_event_viewer_csv_with_rendered_cmdlet_message() -> None:
    text = (
        "Level,Date and Time,Source,Event ID,Task Category\n"
        'Information,3/2/2021 10:01:00 AM,MSExchange CmdletLogs,1,(1),"Cmdlet suceeded. Cmdlet New-ManagementRoleAssignment, '
        "parameters -Role 'Mailbox Import Export' -User 'administrator@contoso.com'.\"\n"
    )
    recs, _ = read_export_bytes(text.encode())
    r = recs[0]
    assert r.channel == "MSExchange Management" and r.data["cmdlet"] == "New-ManagementRoleAssignment"
    assert "EVT-MGMT-ROLE-IMPORT-EXPORT" in _matches(r)  # single quotes normalised to the Sigma keyword


def test_proxyshell_export_to_unc_aspx() -> None:
    params = ("-Mailbox 'administrator@contoso.com' -FilePath '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet\\p433zrwewrvmcv.aspx' "
              "-IncludeFolders ('#Drafts#') -ContentFilter 'Subject -eq ''x'''")
    doc = {"EventID": 1, "Channel": "MSExchange Management", "SourceName": "MSExchange CmdletLogs", "Hostname": "EXCH",
           "TimeCreated": "2021-08-10T10:00:00Z", "Data0": "New-MailboxExportRequest", "Message": f"Cmdlet suceeded. Cmdlet New-MailboxExportRequest, parameters {params}."}
    r = read_export_bytes(jsonl(doc))[0][0]
    assert r.data["param.filepath"] == "\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet\\p433zrwewrvmcv.aspx"
    assert "EVT-MGMT-EXPORT-WEBSHELL" in _matches(r)


def test_um_invalidcast_and_ecp_ssrf() -> None:
    um = {"EventID": 1032, "Channel": "Application", "SourceName": "MSExchange Unified Messaging", "Level": 2,
          "TimeCreated": "2021-03-02T10:00:00Z", "Message": "An unhandled exception occurred: System.InvalidCastException: Unable to cast object"}
    um_info = um | {"Level": 4}
    ecp = {"EventID": 4, "Channel": "Application", "SourceName": "MSExchange Control Panel", "Level": 2, "TimeCreated": "2021-03-02T10:00:00Z",
           "Message": "Request for URL 'https://mxs01:444/ecp/about.aspx?a=]:444/ecp/tpy.js(https://localhost/ecp/tpy.js)' failed"}
    recs, _ = read_export_bytes(jsonl(um, um_info, ecp))
    assert [_matches(r) for r in recs] == [{"EVT-UM-26857-INVALIDCAST"}, set(), {"EVT-ECP-SSRF-ERROR"}]


def test_not_events_and_broken_lines_are_counted_and_rest_read() -> None:
    good = {"EventID": 4720, "Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing", "TimeCreated": "2021-03-02T10:00:00Z", "TargetUserName": "x"}
    data = jsonl(good) + b'{"EventID": 1, "broken\n' + b'{"user": "not an event"}\n' + b"\x00\x01garbage\n" + jsonl(good)
    recs, stats = read_export_bytes(data)
    assert len(recs) == 2 and stats.bad == 2 and stats.not_events == 1 and "line 2" in stats.first_problem


def test_non_event_json_is_not_sniffed_as_events() -> None:
    assert read_export_bytes(jsonl({"name": "x", "value": 1}))[0] == []
    assert read_export_bytes(b"a,b,c\n1,2,3\n")[0] == []


def test_quote_normalisation() -> None:
    assert norm("-Role 'Mailbox  Import Export'") == norm('-role "Mailbox Import Export"')


def test_hostile_inputs_finish_quickly() -> None:
    import time

    # a rendered cmdlet message with a huge run of spaces (catastrophic backtracking bait)
    msg = "Cmdlet suceeded. Cmdlet Set-Mailbox, parameters " + " " * 200_000 + "x"
    doc = {"EventID": 1, "Channel": "MSExchange Management", "SourceName": "MSExchange CmdletLogs",
           "TimeCreated": "2021-03-02T10:00:00Z", "Message": msg}
    cmd = {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon",
           "UtcTime": "2021-03-02 10:00:00.000", "CommandLine": "net user " * 3600 + "x"}
    t0 = time.perf_counter()
    recs, _ = read_export_bytes(jsonl(doc, cmd))
    for r in recs:
        default_rules().match(r)
    assert recs[0].data["cmdlet"] == "Set-Mailbox"
    # deeply nested JSON in an array export is reported, not a crash
    deep = b"[" + b'{"EventID": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]"
    recs2, stats = read_export_bytes(deep)
    assert recs2 == [] and stats.bad == 1
    assert time.perf_counter() - t0 < 5
