"""Planter: the later waves — ProxyShell, ProxyNotShell/OWASSRF and ProxyToken — in generated servers.

For each wave in ``plan.waves`` (besides ProxyLogon, which the core planter writes) it plants, from
the plan's components:

* the attack (scenario ``proxyshell``/``proxynotshell``/``proxytoken``, or ``proxylogon``/``full`` with
  the wave requested): ProxyShell's autodiscover path confusion → ``/mapi/nspi`` → EWS → ``/powershell``
  (front end and back end W3SVC2 as the computer account), the MSExchange Management events of
  ``New-ManagementRoleAssignment`` and ``New-MailboxExportRequest`` writing an ``.aspx``, the
  PST-encoded shell file (``!BDN``) and days of requests to it; ProxyNotShell's authenticated
  autodiscover SSRF and OWASSRF's ``/owa/<mailbox>/powershell`` with the matching Rps_Http rows
  (unexpected ClientInfo, proxy chain); ProxyToken's ``InboxRules.svc/NewObject`` with an empty
  ``SecurityToken`` (HTTP 500);
* ``attempts``: the same requests refused (401/400/403) from the plan's attempt addresses;
* ``scanner``: Nessus-style ``@test.com`` checks and ``extriage probe --confirm`` requests.

Rps_Http logs (``Logging\\CmdletInfra\\Powershell-Proxy\\Http``) with Exchange's own clients are
written for the whole log period whenever a later wave is requested. Facts used: logs-and-detections.md
§1b/§1e/§3 (hamad-she ProxyShell line, Sigma, signature-base, CrowdStrike Rps_Http columns),
remote-probe.md and :mod:`extriage.probe.confirm` for the probe's requests.

What was planted is in ``plan.extras["waves"]`` (per wave: attacker IPs, times, shell path and URL).
Everything is harmless text; the PST shell is the web files planter's synthetic one.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from extriage import __version__
from extriage.generator.append import append_requests, ms
from extriage.generator.plan import AttackPlan
from extriage.generator.request import Req
from extriage.generator.tree import Tree

LATER_WAVES = ("proxyshell", "proxynotshell", "proxytoken")
#: When each wave was exploited (detections/waves/later_waves.yml): attacks are placed inside the
#: window when the generated logs overlap it, else at a fixed share of the log period.
WINDOWS = {
    "proxyshell": (datetime.fromisoformat("2021-08-01T00:00:00+00:00"), 0.55),
    "proxynotshell": (datetime.fromisoformat("2022-09-01T00:00:00+00:00"), 0.65),
    "proxytoken": (datetime.fromisoformat("2021-08-30T00:00:00+00:00"), 0.45),
}
EXPLOIT_UA = "python-requests/2.26.0"
OWASSRF_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/105.0.5195.54 Safari/537.36"
NESSUS_UA = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)"
PROBE_UA = f"extriage-probe/{__version__}"
PROBE_DOMAIN = "extriage-probe.invalid"
EXPORT_DIR = "C:\\Triage\\EventExports"
RPS_DIR = "Logging\\CmdletInfra\\Powershell-Proxy\\Http"
#: Column order of Rps_Http logs (CrowdStrike Rps_Http-IOC.ps1, MIT; formats/rps_http.py).
RPS_FIELDS = (
    "DateTime,StartTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,UrlHost,"
    "UrlStem,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,ManagedOrganization,ClientIpAddress,"
    "ServerHostName,FrontEndServer,HttpStatus,SubStatus,ErrorCode,Action,CommandId,CommandName,SessionId,ShellId,"
    "FailFast,ContributeToFailFast,RequestBytes,ClientInfo,CPU,Memory,ActivityContextLifeTime,TotalTime,UrlQuery,"
    "GenericLatency,GenericInfo,GenericErrors"
)


def plant(tree: Tree, plan: AttackPlan, rng: random.Random) -> None:
    waves = [w for w in LATER_WAVES if w in plan.waves]
    if not waves:
        return
    facts: dict[str, Any] = {}
    requests: list[Req] = []
    rps_rows: list[tuple[datetime, list[str]]] = []
    events: list[tuple[datetime, str, str]] = []
    for wave in waves:
        attack = wave in plan.components or "proxylogon" in plan.components
        t0 = _moment(plan, wave)
        wf: dict[str, Any] = {"attack": attack, "attempts": "attempts" in plan.components,
                              "scanner": "scanner" in plan.components}
        if attack:
            wf["attacker_ips"] = [_public_ip(rng), _public_ip(rng)]
            wf["start"] = t0.isoformat().replace("+00:00", "Z")
        if wave == "proxyshell":
            _proxyshell(tree, plan, rng, t0, wf, requests, events)
        elif wave == "proxynotshell":
            _proxynotshell(plan, rng, t0, wf, requests, rps_rows)
        else:
            _proxytoken(tree, plan, rng, t0, wf, requests)
        facts[wave] = wf
    append_requests(tree, plan, [r for r in requests if plan.logged_ms(r.t)])
    _write_rps(tree, plan, rng, rps_rows)
    if events and plan.events:
        _write_events(tree, plan, rng, events)
    plan.extras["waves"] = facts


# -- time and addresses --------------------------------------------------------------------------


def _moment(plan: AttackPlan, wave: str) -> datetime:
    hour = {"proxyshell": 9, "proxynotshell": 13, "proxytoken": 17}[wave]
    own = plan.wave_periods.get(wave)
    if own is not None:  # its own period of logs: the attack on its fourth day, scans and attempts before
        return (own[0] + timedelta(days=3)).replace(hour=hour, minute=12, second=7, microsecond=0)
    start, share = WINDOWS[wave]
    last = plan.end - timedelta(days=1)
    if plan.start <= start <= last:
        day = start + timedelta(days=min(2, max(0, (last - start).days)))
    elif start < plan.start:
        day = plan.start + (plan.end - plan.start) * share
    else:  # logs end before the wave began: plant it anyway (tests of the coverage warning)
        day = plan.start + (plan.end - plan.start) * share
    t = day.replace(hour=hour, minute=12, second=7, microsecond=0)
    return min(max(t, plan.start + timedelta(minutes=5)), plan.end - timedelta(hours=8))


def _public_ip(rng: random.Random) -> str:
    first = rng.choice((5, 23, 45, 64, 103, 104, 138, 141, 159, 167, 185, 194, 198, 209))
    return f"{first}.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def _rid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _req(rng: random.Random, t: datetime, protocol: str, method: str, stem: str, query: str, ip: str, ua: str,
         status: int, **kw: Any) -> Req:
    return Req(ms(t), protocol, method, stem, query, ua=ua, client_ip=ip, status=status,
               request_id=_rid(rng), client_request_id=_rid(rng), **kw)


# -- ProxyShell ----------------------------------------------------------------------------------


def _ps_url(domain: str, target: str) -> str:
    """The path-confusion query: ``@<domain>/<target>…&Email=autodiscover/autodiscover.json%3F@<domain>``."""
    sep = "&" if "?" in target else "?&"
    return f"@{domain}/{target}{sep}Email=autodiscover/autodiscover.json%3F@{domain}"


def _proxyshell(tree: Tree, plan: AttackPlan, rng: random.Random, t0: datetime, wf: dict[str, Any],
                requests: list[Req], events: list[tuple[datetime, str, str]]) -> None:
    stem = "/autodiscover/autodiscover.json"
    computer = plan.computer_account
    domain = rng.choice(("evil.corp", "fucky0u.edu", "ab.com"))
    if wf["attack"]:
        ip, operator = wf["attacker_ips"]
        cat = "VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9zTBhhZG1pbmlzdHJhdG9yQGNvbnRvc28uY29tVSxTLTEtNS0yMS0"
        steps = [
            (0, "POST", "autodiscover/autodiscover.xml", "/autodiscover/autodiscover.xml", 200),
            (2, "POST", "mapi/nspi/", "/mapi/nspi/", 200),
            (5, "POST", "EWS/exchange.asmx", "/EWS/exchange.asmx", 200),
        ]
        for i in range(6):
            steps.append((40 + 3 * i, "POST", f"powershell/?X-Rps-CAT={cat}{i}", "/powershell/", 200))
        for sec, method, target, be_stem, status in steps:
            query = _ps_url(domain, target)
            requests.append(_req(rng, t0 + timedelta(seconds=sec), "Autodiscover", method, stem, query, ip,
                                 EXPLOIT_UA, status, be_stem=be_stem, be_query=query.split("?", 1)[-1],
                                 be_user=computer))
        # the web shell the mailbox export writes, its events and its use
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
        path = f"C:\\inetpub\\wwwroot\\aspnet_client\\{name}.aspx"
        url = f"/aspnet_client/{name}.aspx"
        unc = f"\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\{name}.aspx"
        t_role = t0 + timedelta(seconds=46)
        t_export = t0 + timedelta(seconds=52)
        victim = f"administrator@{plan.mail_domain}"
        events.append((t_role, "New-ManagementRoleAssignment",
                       f'-Role "Mailbox Import Export" -User "{victim}"'))
        events.append((t_export, "New-MailboxExportRequest",
                       f'-Mailbox "{victim}" -IncludeFolders "#Drafts#" -ContentFilter "(Subject -eq \'{name}\')" '
                       f'-ExchangeLocator "" -FilePath "{unc}"'))
        events.append((t0 + timedelta(seconds=58), "Remove-MailboxExportRequest",
                       f'-Identity "{victim}\\MailboxExport" -Confirm "False"'))
        if plan.webshell_files:
            from extriage.generator.webfiles import pst_shell  # the web files planter's synthetic PST shell

            tree.write_bytes(path, pst_shell(plan.shell_password or "x", rng), mtime=t_export + timedelta(seconds=30))
        for k in range(8):
            t = t0 + timedelta(minutes=20 + 37 * k, seconds=rng.randrange(60))
            requests.append(_req(rng, t, "Owa", "POST", url, "", operator, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                                 200, be_status=None, in_proxy=False))
        wf.update(shell_path=path, shell_url=url, export_file_path=unc, domain=domain,
                  export_time=t_export.isoformat().replace("+00:00", "Z"))
    if wf["attempts"]:
        for j, ip in enumerate(plan.attempt_ips[:2]):
            t = t0 - timedelta(days=1, hours=j * 3)
            for sec, target, status in ((0, "mapi/nspi/", 400), (3, "powershell/?X-Rps-CAT=AAAA", 401)):
                q = _ps_url("foo.com", target)
                requests.append(_req(rng, t + timedelta(seconds=sec), "Autodiscover", "GET", stem, q, ip, EXPLOIT_UA,
                                     status, be_status=None))
    if wf["scanner"]:
        t = t0 - timedelta(days=2, hours=5)
        requests.append(_req(rng, t, "Autodiscover", "GET", stem, _ps_url("test.com", "owa/"), plan.scanner_ips[0],
                             NESSUS_UA, 302, be_status=None))
        q = f"@{PROBE_DOMAIN}/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@{PROBE_DOMAIN}"
        requests.append(_req(rng, t + timedelta(hours=2), "Autodiscover", "GET", stem, q, plan.scanner_ips[-1],
                             PROBE_UA, 200, be_stem="/mapi/nspi/", be_query=q.split("?", 1)[-1], be_user=computer))


# -- ProxyNotShell / OWASSRF -----------------------------------------------------------------------


def _proxynotshell(plan: AttackPlan, rng: random.Random, t0: datetime, wf: dict[str, Any],
                   requests: list[Req], rps_rows: list[tuple[datetime, list[str]]]) -> None:
    stem = "/autodiscover/autodiscover.json"
    victim = f"{plan.netbios_domain}\\helpdesk"
    if wf["attack"]:
        ip, ip2 = wf["attacker_ips"]
        ps_q = ("@evil.com/Powershell?serializationLevel=Full;ExchClientVer=15.1.2375.7;clientApplication=ManagementShell;"
                "TargetServer=;PSVersion=5.1.17763.592&Email=autodiscover/autodiscover.json%3F@evil.com")
        for k in range(5):
            t = t0 + timedelta(seconds=4 * k)
            requests.append(_req(rng, t, "Autodiscover", "POST", stem, ps_q, ip, EXPLOIT_UA, 200, auth="Basic",
                                 user=victim, be_stem="/Powershell", be_query=ps_q.split("?", 1)[-1]))
            rps_rows.append((t, _rps_row(plan, rng, t, victim, f"{ip} {plan.server_ip}", EXPLOIT_UA, 200,
                                         ("Get-Mailbox", "New-MailboxExportRequest", "Get-Mailbox",
                                          "Get-ExchangeServer", "Get-Mailbox")[k])))
        t_ow = t0 + timedelta(hours=26)
        for k in range(4):
            t = t_ow + timedelta(seconds=6 * k)
            requests.append(_req(rng, t, "Owa", "POST", "/owa/mastermailbox%40outlook.com/powershell", "", ip2,
                                 OWASSRF_UA, 200, auth="Basic", user=victim))
            rps_rows.append((t, _rps_row(plan, rng, t, victim, f"{ip2} {plan.server_ip}", OWASSRF_UA, 200,
                                         ("Get-Mailbox", "Get-Recipient", "New-ManagementRoleAssignment",
                                          "Get-Mailbox")[k])))
        wf.update(owassrf_start=t_ow.isoformat().replace("+00:00", "Z"), victim=victim)
    if wf["attempts"]:
        q = ("@evil.com/owa/&Email=autodiscover/autodiscover.json%3f@evil.com&Protocol=XYZ&FooProtocol=Powershell")
        for j, ip in enumerate(plan.attempt_ips[1:3]):
            t = t0 - timedelta(days=1, hours=2 + j)
            requests.append(_req(rng, t, "Autodiscover", "POST", stem, q, ip, EXPLOIT_UA, 401, be_status=None))
    if wf["scanner"]:
        t = t0 - timedelta(days=2, hours=1)
        q = "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com&Protocol=XYZ&FooProtocol=Powershell"
        requests.append(_req(rng, t, "Autodiscover", "GET", stem, q, plan.scanner_ips[0], NESSUS_UA, 401,
                             be_status=None))
        q2 = (f"@{PROBE_DOMAIN}/owa/?&Email=autodiscover/autodiscover.json%3F@{PROBE_DOMAIN}"
              "&Protocol=XYZ&FooProtocol=Powershell")
        requests.append(_req(rng, t + timedelta(hours=1), "Autodiscover", "GET", stem, q2, plan.scanner_ips[-1],
                             PROBE_UA, 400, be_status=None))


def _rps_row(plan: AttackPlan, rng: random.Random, t: datetime, user: str, chain: str, client_info: str,
             status: int, command: str) -> list[str]:
    a, b, c, d = plan.build
    ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    start = (t - timedelta(milliseconds=rng.randrange(20, 900)))
    sts = start.strftime("%Y-%m-%dT%H:%M:%S.") + f"{start.microsecond // 1000:03d}Z"
    return [ts, sts, _rid(rng), str(a), str(b), str(c), str(d), "", plan.public_host, "/powershell",
            "Kerberos" if "WinRM" in client_info or "Probes" in client_info else "Basic", "True", user, "", "", chain,
            plan.hostname, plan.fqdn, str(status), "0", "", "POST", _rid(rng), command, _rid(rng), _rid(rng), "False",
            "False", str(rng.randrange(800, 9000)), client_info, str(rng.randrange(0, 60)), "0", "0",
            str(rng.randrange(30, 900)), "", "", "", ""]


def _write_rps(tree: Tree, plan: AttackPlan, rng: random.Random, attack_rows: list[tuple[datetime, list[str]]]) -> None:
    """Daily Rps_Http logs: Exchange's own clients every few hours, plus the attack rows of their day."""
    rows = list(attack_rows)
    admin = f"{plan.netbios_domain}\\administrator"
    for first, last in plan.periods():
        day = first
        while day < last:
            for hour in range(0, 24, 4):
                t = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
                user = f"{plan.netbios_domain}\\HealthMailbox{rng.randrange(10**6, 10**7)}"
                rows.append((t, _rps_row(plan, rng, t, user, plan.server_ip, "Exchange BackEnd Probes", 200,
                                         "Test-ServiceHealth")))
            if rng.random() < 0.5:
                t = day + timedelta(hours=10, minutes=rng.randrange(60))
                rows.append((t, _rps_row(plan, rng, t, admin, "10.20.0.5", "Microsoft WinRM Client", 200,
                                         "Get-Mailbox")))
            day += timedelta(days=1)
    by_day: dict[str, list[tuple[datetime, list[str]]]] = {}
    for t, row in rows:
        if plan.logged(t):
            by_day.setdefault(t.strftime("%Y%m%d"), []).append((t, row))
    for key, day_rows in sorted(by_day.items()):
        day_rows.sort(key=lambda r: r[0])
        first = day_rows[0][0]
        head = (
            f"#Software: Microsoft Exchange Server\r\n#Version: {plan.version_header}\r\n#Log-type: Rps Http Logs\r\n"
            f"#Date: {first.strftime('%Y-%m-%dT%H:%M:%S.000Z')}\r\n#Fields: {RPS_FIELDS}\r\n"
        )
        body = "".join(",".join(_csv(v) for v in row) + "\r\n" for _, row in day_rows)
        tree.write_text(f"{plan.install_path}\\{RPS_DIR}\\Rps_Http_{key}00-1.LOG", head + body,
                        mtime=day_rows[-1][0])


def _csv(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if ("," in value or '"' in value) else value


# -- ProxyToken ----------------------------------------------------------------------------------


def _append_ecp(tree: Tree, plan: AttackPlan, rng: random.Random, t: datetime, victim: str, forward: str, url: str) -> None:
    """The inbox rule ProxyToken creates, as the ECP server log records it (logs-and-detections.md §1c)."""
    if not plan.logged(t):
        return
    path = f"{plan.install_path}\\Logging\\ECP\\Server\\ECPServer{t:%Y%m%d}-1.LOG"
    iso = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    head = "" if tree.exists(path) else (
        f"#Software: Microsoft Exchange Server\r\n#Version: {plan.version_header}\r\n#Log-type: ECP Server Log\r\n"
        f"#Date: {iso}\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
    )
    sid = f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-1104"
    bag = (f"S:TIME={rng.randrange(20, 400)};S:SID={sid};S:CMD=New-InboxRule.Mailbox=''{victim}''.Name=''sync''"
           f".ForwardTo=''{forward}''.StopProcessingRules=True;S:REQID=;S:URL={url};S:REFERRER=;S:EX=;"
           f"S:ACTID={_rid(rng)};S:RS=0;S:BLD={plan.build_text}")
    line = f'{iso},{plan.hostname},ECP.Request,"{bag}"\r\n'
    with tree.open_append(path) as fh:
        fh.write((head + line).encode("utf-8"))


def _proxytoken(tree: Tree, plan: AttackPlan, rng: random.Random, t0: datetime, wf: dict[str, Any],
                requests: list[Req]) -> None:
    victim = f"ceo@{plan.mail_domain}"
    stem = f"/ecp/{victim}/RulesEditor/InboxRules.svc/NewObject"
    if wf["attack"]:
        ip = wf["attacker_ips"][0]
        for k in range(2):
            requests.append(_req(rng, t0 + timedelta(seconds=5 * k), "Ecp", "POST", stem, "SecurityToken=", ip,
                                 EXPLOIT_UA, 500, be_status=500))
        forward = f"{rng.choice(('mailsync', 'archive', 'backup'))}@{rng.choice(('protonmail.com', 'yandex.com'))}"
        _append_ecp(tree, plan, rng, t0 + timedelta(seconds=1), victim, forward, stem)
        wf.update(victim=victim, forward_to=forward)
    if wf["attempts"]:
        ip = plan.attempt_ips[-1]
        requests.append(_req(rng, t0 - timedelta(days=1, hours=4), "Ecp", "POST", stem, "SecurityToken=", ip,
                             EXPLOIT_UA, 403, be_status=None))


# -- events --------------------------------------------------------------------------------------


def _write_events(tree: Tree, plan: AttackPlan, rng: random.Random, events: list[tuple[datetime, str, str]]) -> None:
    """MSExchange Management events in the events planter's export format (appended to its file)."""
    from extriage.generator.events import _LOCAL  # the export's local offset, shared with the events planter

    caller = f"{plan.domain}/Users/administrator"
    lines = []
    for i, (ts, cmdlet, params) in enumerate(sorted(events)):
        doc = {
            "@timestamp": ts.astimezone(_LOCAL).isoformat(timespec="milliseconds"),
            "EventID": 1,
            "Channel": "MSExchange Management",
            "SourceName": "MSExchange CmdletLogs",
            "Hostname": plan.fqdn,
            "Level": 4,
            "RecordNumber": 9500 + i,
            "Message": f"Cmdlet suceeded. Cmdlet {cmdlet}, parameters {params}.",
            "param1": cmdlet,
            "param2": params,
            "param3": caller,
            "param4": "S-1-5-18",
            "param5": "S-1-5-18",
            "param6": "Remote-PowerShell-Unknown",
            "param7": f"{rng.randint(1000, 9999)} w3wp#MSExchangePowerShellAppPool",
        }
        lines.append(json.dumps(doc, separators=(",", ":")) + "\n")
    with tree.open_append(f"{EXPORT_DIR}\\msexchange-management.jsonl") as fh:
        fh.write("".join(lines).encode("utf-8"))
