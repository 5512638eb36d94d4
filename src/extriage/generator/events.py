"""Planter: Windows events exported as JSON (several real-world shapes) into a generated server.

EVTX files cannot be written here (no writer library), so events are planted as the exports a
responder receives from a SIEM or PowerShell, each channel in a different shape so all readers are
exercised: Winlogbeat/ECS JSON lines (Application), flattened JSON lines with a local-time
``@timestamp`` beside ``UtcTime`` (Sysmon, as in OTRF datasets), flattened JSON lines for
MSExchange Management, and a ``Get-WinEvent | ConvertTo-Json`` array in UTF-16 (Security, as
Windows PowerShell 5.1 writes it). Event texts follow the real records quoted in
../shared/reference/logs-and-detections.md §1f; every attack fact comes from the :class:`AttackPlan`.
"""

from __future__ import annotations

import codecs
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from extriage.generator.plan import AttackPlan
from extriage.generator.tree import Tree

EXPORT_DIR = "C:\\Triage\\EventExports"
_LOCAL = timezone(timedelta(hours=-5))  # the OTRF datasets' local offset


def _utc(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sysmon_utc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{ts.microsecond // 1000:03d}"


def plant(tree: Tree, plan: AttackPlan, rng: random.Random) -> None:
    if not plan.events:
        return
    attacked = "proxylogon" in plan.components and plan.attack_start is not None
    _application(tree, plan, rng, attacked)
    _management(tree, plan, rng, attacked)
    _sysmon(tree, plan, rng, attacked)
    _security(tree, plan, rng, attacked)
    plan.extras["events"] = {"export_dir": EXPORT_DIR, "attacked": attacked}


def _benign_times(plan: AttackPlan, rng: random.Random, n: int) -> list[datetime]:
    span = (plan.end - plan.start).total_seconds()
    return sorted(plan.start + timedelta(seconds=rng.uniform(0, span - 1)) for _ in range(n))


# -- Application: Winlogbeat / ECS -------------------------------------------------------------------


def _ecs(plan: AttackPlan, ts: datetime, rid: int, provider: str, eid: int, level: str, message: str, data: dict[str, Any]) -> str:
    doc = {
        "@timestamp": _utc(ts),
        "event": {"code": str(eid), "provider": provider, "kind": "event", "created": _utc(ts + timedelta(seconds=3))},
        "log": {"level": level},
        "message": message,
        "host": {"name": plan.fqdn},
        "winlog": {
            "channel": "Application",
            "provider_name": provider,
            "event_id": str(eid),
            "record_id": rid,
            "computer_name": plan.fqdn,
            "event_data": data,
        },
    }
    return json.dumps(doc, separators=(",", ":"))


def _application(tree: Tree, plan: AttackPlan, rng: random.Random, attacked: bool) -> None:
    lines: list[tuple[datetime, str, int, str, str, dict[str, Any]]] = []
    for ts in _benign_times(plan, rng, 40):
        lines.append((ts, "MSExchange Front End HTTP Proxy", 1001, "information", "[Oab] Application starting.", {"param1": "Oab"}))
    if attacked:
        m = plan.moments
        ssrf = m.get("proxylogon_ecp", plan.attack_start or plan.start)
        lines.append(
            (
                ssrf + timedelta(seconds=1),
                "MSExchange Control Panel",
                4,
                "error",
                f"Request for URL 'https://{plan.hostname.lower()}:444/ecp/about.aspx?a=]:444/ecp/y.js(https://localhost/ecp/y.js)' failed with the following error: System.Web.HttpException",
                {},
            )
        )
        um = m.get("ssrf_mapi", ssrf) + timedelta(minutes=3)
        lines.append(
            (
                um,
                "MSExchange Unified Messaging",
                1032,
                "error",
                "An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to cast object of type 'System.Object' to type 'Microsoft.Exchange.UM.UMCore.PipelineContext'.",
                {},
            )
        )
    lines.sort(key=lambda x: x[0])
    out = [_ecs(plan, ts, 5000 + i, p, e, lvl, msg, d) for i, (ts, p, e, lvl, msg, d) in enumerate(lines)]
    tree.write_text(f"{EXPORT_DIR}\\application-winlogbeat.ndjson", "\n".join(out) + "\n")


# -- MSExchange Management: flattened JSON lines -------------------------------------------------------


def _management(tree: Tree, plan: AttackPlan, rng: random.Random, attacked: bool) -> None:
    admin = f"{plan.domain}/Users/Administrator"
    rows: list[tuple[datetime, int, list[str]]] = []
    for ts in _benign_times(plan, rng, 6):
        rows.append((ts, 1, ["Get-Mailbox", '-ResultSize "Unlimited"', admin, "Remote-PowerShell-Unknown"]))
    if attacked:
        m = plan.moments
        caller = f"{plan.domain}/Users/{plan.hostname}$"
        script = '<script language="JScript" runat="server"> function Page_Load(){/**/eval(Request["' + (plan.shell_password or "code") + '"],"unsafe");}</script>'
        set_t = m.get("oab_set_externalurl", plan.attack_start or plan.start)
        reset_t = m.get("oab_reset", set_t + timedelta(minutes=9))
        rows.append((set_t, 1, ["Set-OabVirtualDirectory", f'-ExternalUrl "http://ffff/#{script}" -Identity "OAB (Default Web Site)"', caller, "Remote-PowerShell-Unknown"]))
        rows.append((reset_t, 1, ["Remove-OabVirtualDirectory", f'-Force "True" -Identity "{plan.hostname}\\OAB (Default Web Site)"', caller, "Remote-PowerShell-Unknown"]))
        rows.append(
            (
                reset_t + timedelta(seconds=1),
                1,
                ["New-OabVirtualDirectory", f'-WebSiteName "Default Web Site" -Server "{plan.hostname}" -Role "ClientAccess" -InternalUrl "https://{plan.fqdn}/OAB" -Path "{plan.install_path}\\FrontEnd\\HttpProxy\\OAB"', caller, "Remote-PowerShell-Unknown"],
            )
        )
    rows.sort(key=lambda r: r[0])
    out = []
    for i, (ts, eid, (cmdlet, params, caller, client)) in enumerate(rows):
        verb = "suceeded" if eid == 1 else "failed"
        doc = {
            "@timestamp": ts.astimezone(_LOCAL).isoformat(timespec="milliseconds"),
            "EventID": eid,
            "Channel": "MSExchange Management",
            "SourceName": "MSExchange CmdletLogs",
            "Hostname": plan.fqdn,
            "Level": 4 if eid == 1 else 2,
            "RecordNumber": 9000 + i,
            "Message": f"Cmdlet {verb}. Cmdlet {cmdlet}, parameters {params}.",
            "param1": cmdlet,
            "param2": params,
            "param3": caller,
            "param4": "S-1-5-18",
            "param5": "S-1-5-18",
            "param6": client,
            "param7": f"{rng.randint(1000, 9999)} w3wp#MSExchangePowerShellAppPool",
        }
        out.append(json.dumps(doc, separators=(",", ":")))
    tree.write_text(f"{EXPORT_DIR}\\msexchange-management.jsonl", "\n".join(out) + "\n")


# -- Sysmon: flattened JSON lines, local @timestamp + UtcTime ------------------------------------------


def _sysmon_doc(plan: AttackPlan, ts: datetime, rid: int, eid: int, data: dict[str, Any]) -> str:
    doc = {
        "@timestamp": ts.astimezone(_LOCAL).isoformat(timespec="milliseconds"),
        "EventID": eid,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "SourceName": "Microsoft-Windows-Sysmon",
        "Hostname": plan.fqdn,
        "Level": 4,
        "EventRecordID": rid,
        "UtcTime": _sysmon_utc(ts),
        **data,
    }
    return json.dumps(doc, separators=(",", ":"))


def _w3wp_cmdline(plan: AttackPlan, pool: str) -> str:
    return (
        f'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "{pool}" -v "v4.0" -c "{plan.install_path}\\bin\\'
        'GenericAppPoolConfigWithGCServerEnabledFalse.config" -a \\\\.\\pipe\\iisipm -h "C:\\inetpub\\temp\\apppools\\'
        f'{pool}\\{pool}.config" -w "" -m 0'
    )


def _sysmon(tree: Tree, plan: AttackPlan, rng: random.Random, attacked: bool) -> None:
    docs: list[tuple[datetime, int, dict[str, Any]]] = []
    w3wp = "C:\\Windows\\System32\\inetsrv\\w3wp.exe"
    for ts in _benign_times(plan, rng, 20):  # ASP.NET compilation: w3wp -> csc/cvtres (must not alert)
        child = rng.choice(["csc.exe", "cvtres.exe"])
        docs.append(
            (
                ts,
                1,
                {
                    "Image": f"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\{child}",
                    "CommandLine": f"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\{child} /noconfig /fullpaths @\"C:\\Windows\\TEMP\\x.cmdline\"",
                    "ParentImage": w3wp,
                    "ParentCommandLine": _w3wp_cmdline(plan, "MSExchangeOWAAppPool"),
                    "User": "NT AUTHORITY\\SYSTEM",
                },
            )
        )
    if attacked:
        m = plan.moments
        if plan.shell_path:
            docs.append((m["webshell_written"], 11, {"Image": "System", "ProcessId": 4, "TargetFilename": plan.shell_path}))
        use = m.get("webshell_first_use", plan.attack_start or plan.start)
        owa = _w3wp_cmdline(plan, "MSExchangeOWAAppPool")
        docs.append((use, 1, {"Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": 'cmd /c "whoami"', "ParentImage": w3wp, "ParentCommandLine": owa, "User": "NT AUTHORITY\\SYSTEM"}))
        docs.append((use + timedelta(seconds=40), 1, {"Image": "C:\\Windows\\System32\\net.exe", "CommandLine": "net group \"Exchange Organization Administrators\" /domain", "ParentImage": "C:\\Windows\\System32\\cmd.exe", "ParentCommandLine": 'cmd /c "net group"', "User": "NT AUTHORITY\\SYSTEM"}))
        lsass = m.get("lsass_dump", use + timedelta(minutes=7))
        docs.append(
            (
                lsass,
                1,
                {
                    "Image": "C:\\Windows\\System32\\rundll32.exe",
                    "CommandLine": "C:\\Windows\\System32\\rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 612 C:\\windows\\temp\\lsass.dmp full",
                    "ParentImage": "C:\\Windows\\System32\\cmd.exe",
                    "ParentCommandLine": 'cmd /c "rundll32 comsvcs.dll MiniDump"',
                    "User": "NT AUTHORITY\\SYSTEM",
                },
            )
        )
        staged = m.get("archive_staged", lsass + timedelta(minutes=30))
        docs.append(
            (
                staged,
                1,
                {
                    "Image": "C:\\ProgramData\\7z.exe",
                    "CommandLine": "C:\\ProgramData\\7z.exe a -tzip C:\\ProgramData\\pst\\out.zip C:\\windows\\temp\\lsass.dmp -pP@ss",
                    "ParentImage": "C:\\Windows\\System32\\cmd.exe",
                    "ParentCommandLine": "cmd /c 7z",
                    "User": "NT AUTHORITY\\SYSTEM",
                },
            )
        )
    docs.sort(key=lambda d: d[0])
    out = [_sysmon_doc(plan, ts, 700 + i, eid, data) for i, (ts, eid, data) in enumerate(docs)]
    tree.write_text(f"{EXPORT_DIR}\\sysmon.jsonl", "\n".join(out) + "\n")


# -- Security: Get-WinEvent | ConvertTo-Json array, UTF-16 -------------------------------------------------


def _winevent(plan: AttackPlan, ts: datetime, rid: int, eid: int, props: list[Any], message: str) -> dict[str, Any]:
    ms = int(ts.timestamp() * 1000)
    return {
        "Id": eid,
        "Version": 1,
        "Level": 0,
        "RecordId": rid,
        "ProviderName": "Microsoft-Windows-Security-Auditing" if eid != 1102 else "Microsoft-Windows-Eventlog",
        "LogName": "Security",
        "MachineName": plan.fqdn,
        "TimeCreated": f"/Date({ms})/",
        "LevelDisplayName": "Information",
        "Message": message,
        "Properties": [{"Value": p} for p in props],
    }


def _security(tree: Tree, plan: AttackPlan, rng: random.Random, attacked: bool) -> None:
    events: list[tuple[datetime, int, list[Any], str]] = []
    sid = "S-1-5-21-1004336348-1177238915-682003330"
    for ts in _benign_times(plan, rng, 30):
        ip = f"10.0.{rng.randint(0, 9)}.{rng.randint(2, 250)}"
        props = ["S-1-0-0", "-", "-", "0x0", f"{sid}-1105", "svc_backup", plan.netbios_domain, "0x3e7", 3, "NtLmSsp", "NTLM", "WS01", "{00000000-0000-0000-0000-000000000000}", "-", "NTLM V2", 128, "0x0", "-", ip, rng.randint(40000, 60000)]
        events.append((ts, 4624, props, "An account was successfully logged on."))
    if attacked:
        m = plan.moments
        if plan.shell_path:
            rel = plan.shell_path.split(":\\", 1)[-1]
            props = [f"{sid}-1000", f"{plan.hostname}$", plan.netbios_domain, "0x5f3e1", "File", "127.0.0.1", 53127, "\\\\*\\C$", "\\??\\C:\\", rel, "0x2", "%%4417", "-"]
            events.append((m["webshell_written"], 5145, props, "A network share object was checked to see whether client can be granted desired access."))
        if len(plan.attacker_ips) > 1:
            props = ["S-1-0-0", "-", "-", "0x0", f"{sid}-500", "Administrator", plan.netbios_domain, "0x9a1f3", 3, "NtLmSsp", "NTLM", "KALI", "{00000000-0000-0000-0000-000000000000}", "-", "NTLM V2", 128, "0x0", "-", plan.attacker_ips[1], 51234]
            events.append((m.get("webshell_first_use", m["webshell_written"]) + timedelta(minutes=20), 4624, props, "An account was successfully logged on."))
        acct_t = m.get("lsass_dump", plan.attack_start or plan.start) + timedelta(minutes=12)
        events.append((acct_t, 4720, ["support01", plan.netbios_domain, f"{sid}-1337", "S-1-5-18", f"{plan.hostname}$", plan.netbios_domain, "0x3e7", "-", "support01", "%%1793", "-"], "A user account was created."))
        events.append((acct_t + timedelta(seconds=5), 4732, ["-", f"{sid}-1337", "Administrators", "Builtin", "S-1-5-32-544", "S-1-5-18", f"{plan.hostname}$", plan.netbios_domain, "0x3e7", "-"], "A member was added to a security-enabled local group."))
        clear_t = (plan.attack_end or acct_t) + timedelta(minutes=5)
        events.append((clear_t, 1102, ["S-1-5-18", f"{plan.hostname}$", plan.netbios_domain, "0x3e7"], "The audit log was cleared."))
    events.sort(key=lambda e: e[0])
    docs = [_winevent(plan, ts, 40000 + i, eid, props, msg) for i, (ts, eid, props, msg) in enumerate(events)]
    text = json.dumps(docs, indent=2)
    data = codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le")  # as PowerShell 5.1 "> file"
    tree.write_bytes(f"{EXPORT_DIR}\\security-getwinevent.json", data)
