"""Benign traffic of a small organisation's Exchange server: users, their clients, health probes.

Client strings are the ones real Exchange logs show (Outlook/MAPI, ActiveSync phones, OWA
browsers, Apple Mail over EWS, autodiscover, OAB downloads, RPC over HTTP, remote PowerShell) and
the Managed Availability probes (``HealthMailbox…`` users, ``AMProbe/Local/ClientAccess``,
``MapiHttpClient``, ``Microsoft WinRM Client`` with ``clientApplication=ActiveMonitor``,
``Exchange BackEnd Probes``), after the CC0 samples in
../shared/data/log-samples-cc0/microsoft_exchange.md. Volume ratios follow a typical small org:
Outlook MAPI dominates, then ActiveSync, EWS, OWA, autodiscover.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from extriage.generator.plan import AttackPlan
from extriage.generator.request import Req

FIRST = (
    "anna",
    "bjorn",
    "carla",
    "david",
    "emma",
    "felix",
    "greta",
    "hassan",
    "ines",
    "jonas",
    "karin",
    "liam",
    "maria",
    "nils",
    "olga",
    "peter",
    "quinn",
    "rosa",
    "sven",
    "tanja",
    "ulrich",
    "vera",
    "willem",
    "xenia",
    "yusuf",
    "zoe",
    "marc",
    "julia",
    "tomas",
    "lena",
)
LAST = (
    "berg",
    "meyer",
    "hansen",
    "novak",
    "rossi",
    "dubois",
    "smith",
    "kowalski",
    "jensen",
    "fischer",
    "lind",
    "moreau",
    "schmidt",
    "olsen",
    "weber",
    "costa",
    "brown",
    "keller",
    "wagner",
    "nagy",
)
OUTLOOK_UAS = (
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13127; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5110; Pro)",
    "Microsoft Office/15.0 (Windows NT 6.1; Microsoft Outlook 15.0.5311; Pro)",
)
PHONE_UAS = (
    ("Apple-iPhone12C1/1803.65", "iPhone"),
    ("Apple-iPhone11C8/1802.105", "iPhone"),
    ("Outlook-iOS-Android/1.0", "Outlook"),
    ("Android-SAMSUNG-SM-G973F/101.10", "SAMSUNGSMG973F"),
    ("Android-Mail/2021.01.31.356713456.release", "Android"),
)
BROWSER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.182 Safari/537.36 Edg/88.0.705.81",
)
MAC_MAIL_UA = (
    "Mac OS X/10.15.7 (19H524); ExchangeWebServices/11.0 (3654.80.0.2.1); Mail/13.4 (3608.120.23.2.4)"
)
INTERNET_NOISE_UAS = (
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/62.0.3202.62 Safari/537.36",
    "Expanse indexes the network perimeter of our customers. If you have any questions or concerns, please reach out to: scaninfo@expanseinc.com",
)
OWA_ACTIONS = (
    "GetConversationItems",
    "FindConversation",
    "GetItem",
    "GetOwaUserConfiguration",
    "FindItem",
    "SubscribeToNotification",
    "GetAccessTokenforResource",
    "UpdateUserConfiguration",
    "CreateItem",
    "GetMailTips",
)
EWS_ACTIONS = (
    "GetFolder",
    "SyncFolderItems",
    "FindItem",
    "GetItem",
    "Subscribe",
    "GetStreamingEvents",
    "GetUserAvailability",
)
EAS_CMDS = (
    ("Ping", 40),
    ("Sync", 35),
    ("FolderSync", 8),
    ("Options", 5),
    ("SendMail", 4),
    ("ItemOperations", 4),
    ("Search", 2),
    ("MoveItems", 2),
)


@dataclass(slots=True)
class User:
    sam: str
    smtp: str
    sid: str
    mailbox_guid: str
    desktop_ip: str
    desktop_ua: str
    phone_ip: str
    phone_ua: str
    device_type: str
    device_id: str
    browser_ua: str
    mac: bool


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def make_users(plan: AttackPlan) -> list[User]:
    rng = random.Random(f"{plan.seed}:users")
    n = max(12, min(600, plan.size // (2 * 1024 * 1024)))
    domain_sid = f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**8, 10**9)}"
    users: list[User] = []
    seen: set[str] = set()
    for i in range(n):
        while True:
            f, la = rng.choice(FIRST), rng.choice(LAST)
            sam = f"{f}.{la}" if f"{f}.{la}" not in seen else f"{f}.{la}{rng.randrange(2, 99)}"
            if sam not in seen:
                break
        seen.add(sam)
        ua, dtype = rng.choice(PHONE_UAS)
        users.append(
            User(
                sam=sam,
                smtp=f"{sam}@{plan.mail_domain}",
                sid=f"{domain_sid}-{1104 + i}",
                mailbox_guid=_guid(rng),
                desktop_ip=f"10.20.{rng.randrange(1, 9)}.{rng.randrange(10, 250)}",
                desktop_ua=rng.choice(OUTLOOK_UAS),
                phone_ip=f"{rng.choice((31, 46, 77, 85, 92, 176, 178, 188, 213))}.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}",
                phone_ua=ua,
                device_type=dtype,
                device_id=f"{rng.getrandbits(128):032X}",
                browser_ua=rng.choice(BROWSER_UAS),
                mac=rng.random() < 0.12,
            )
        )
    return users


class Traffic:
    """Makes benign :class:`Req` objects; one instance per worker, randomness from the caller's rng."""

    def __init__(self, plan: AttackPlan, users: list[User]) -> None:
        self.plan = plan
        self.users = users
        self.nb = plan.netbios_domain
        self.dbguid = _guid(random.Random(f"{plan.seed}:db"))
        self.health = [
            f"HealthMailbox{random.Random(f'{plan.seed}:hm{i}').getrandbits(128):032x}" for i in range(3)
        ]
        self.kinds = (
            (self.mapi, 36),
            (self.eas, 20),
            (self.ews, 11),
            (self.owa, 9),
            (self.autodiscover, 8),
            (self.owa_static, 5),
            (self.nspi, 4),
            (self.oab, 2),
            (self.rpc, 2),
            (self.internet_noise, 2),
            (self.ecp_admin, 1),
        )
        self.kind_funcs = [k for k, _ in self.kinds]
        self.kind_weights = [w for _, w in self.kinds]
        self.eas_cmds = [c for c, _ in EAS_CMDS]
        self.eas_weights = [w for _, w in EAS_CMDS]
        self.version = plan.owa_version_folder

    @staticmethod
    def rid(rng: random.Random) -> str:
        h = f"{rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def user_request(self, t: int, rng: random.Random) -> Req:
        return rng.choices(self.kind_funcs, self.kind_weights)[0](t, rng)

    # ---- user traffic ------------------------------------------------------------------------
    def mapi(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        rt = rng.choices(("Execute", "NotificationWait", "Connect", "Disconnect"), (70, 24, 3, 3))[0]
        lat = rng.randrange(300000, 900000) if rt == "NotificationWait" else rng.randrange(5, 120)
        return Req(
            t,
            "Mapi",
            "POST",
            "/mapi/emsmdb/",
            f"mailboxId={u.mailbox_guid}@{self.plan.mail_domain}",
            auth="Negotiate",
            user=f"{self.nb}\\{u.sam}",
            anchor=f"MailboxGuid~{u.mailbox_guid}",
            ua=u.desktop_ua,
            client_ip=u.desktop_ip,
            routing_hint="MailboxGuidWithDomain",
            be_cookie=f"Database~{self.dbguid}~~{_cookie_ts(t)}",
            request_bytes=rng.randrange(200, 4000),
            response_bytes=rng.randrange(300, 60000),
            latency=lat,
            client_request_id=f"R:{self.rid(rng)}:{rng.randrange(1, 400)};RT:{rt};CI:{self.rid(rng)}:1",
            request_id=self.rid(rng),
        )

    def nspi(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        return Req(
            t,
            "Mapi",
            "POST",
            "/mapi/nspi/",
            f"MailboxId={u.mailbox_guid}@{self.plan.mail_domain}",
            auth="Negotiate",
            user=f"{self.nb}\\{u.sam}",
            anchor=f"MailboxGuid~{u.mailbox_guid}",
            ua=u.desktop_ua,
            client_ip=u.desktop_ip,
            routing_hint="MailboxGuidWithDomain",
            request_bytes=rng.randrange(150, 900),
            response_bytes=rng.randrange(200, 9000),
            latency=rng.randrange(3, 40),
            request_id=self.rid(rng),
        )

    def eas(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        cmd = rng.choices(self.eas_cmds, self.eas_weights)[0]
        status = 200 if rng.random() < 0.97 else rng.choice((401, 403, 449, 500))
        lat = rng.randrange(280000, 900000) if cmd == "Ping" else rng.randrange(20, 900)
        method = "OPTIONS" if cmd == "Options" else "POST"
        errors = ""
        if status == 403:
            errors = (
                "WebExceptionStatus=ProtocolError;ResponseStatusCode=403;WebException=System.Net.WebException: "
                "The remote server returned an error: (403) Forbidden.;"
            )
        return Req(
            t,
            "Eas",
            method,
            "/Microsoft-Server-ActiveSync/default.eas",
            f"Cmd={cmd}&User={u.sam}&DeviceId={u.device_id}&DeviceType={u.device_type}",
            auth="Basic",
            user=f"{self.nb}\\{u.sam}",
            anchor=f"Sid~{u.sid}",
            ua=u.phone_ua,
            client_ip=u.phone_ip,
            status=status,
            be_status=status,
            routing_hint="WindowsIdentity-NoDatabase",
            request_bytes=rng.randrange(0, 3000),
            response_bytes=rng.randrange(0, 30000),
            latency=lat,
            generic_errors=errors,
            request_id=self.rid(rng),
        )

    def ews(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        if u.mac:
            ua, ip = MAC_MAIL_UA, u.phone_ip
        else:
            ua, ip = u.desktop_ua, u.desktop_ip
        action = rng.choice(EWS_ACTIONS)
        lat = rng.randrange(60000, 1700000) if action == "GetStreamingEvents" else rng.randrange(8, 400)
        return Req(
            t,
            "Ews",
            "POST",
            "/EWS/Exchange.asmx",
            "",
            auth="NTLM",
            user=f"{self.nb}\\{u.sam}",
            anchor=f"Sid~{u.sid}",
            ua=ua,
            client_ip=ip,
            routing_hint="WindowsIdentity",
            request_bytes=rng.randrange(400, 3000),
            response_bytes=rng.randrange(500, 80000),
            latency=lat,
            protocol_action=action,
            request_id=self.rid(rng),
        )

    def owa(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        r = rng.random()
        ip = u.phone_ip if rng.random() < 0.4 else u.desktop_ip
        if r < 0.05:
            return Req(
                t,
                "Owa",
                "POST",
                "/owa/auth.owa",
                "",
                auth="FBA",
                user="",
                ua=u.browser_ua,
                client_ip=ip,
                status=302,
                be_status=None,
                latency=rng.randrange(20, 200),
                request_id=self.rid(rng),
                fe_user=f"{self.nb}\\{u.sam}",
            )
        action = rng.choice(OWA_ACTIONS)
        return Req(
            t,
            "Owa",
            "POST",
            "/owa/service.svc",
            f"action={action}&app=Mail&n={rng.randrange(1, 400)}",
            auth="Negotiate",
            user=f"{self.nb}\\{u.sam}",
            anchor=f"SMTP:{u.smtp}",
            ua=u.browser_ua,
            client_ip=ip,
            routing_hint="OwaIdentity",
            request_bytes=rng.randrange(200, 4000),
            response_bytes=rng.randrange(500, 90000),
            latency=rng.randrange(15, 600),
            protocol_action=action,
            request_id=self.rid(rng),
            referer=f"https://{self.plan.public_host}/owa/",
        )

    def owa_static(self, t: int, rng: random.Random) -> Req:
        """Static OWA/logon resources: logged by IIS only."""
        u = rng.choice(self.users)
        res = rng.choice(
            (
                f"/owa/auth/{self.version}/themes/resources/favicon.ico",
                f"/owa/auth/{self.version}/themes/resources/logon.css",
                f"/owa/auth/{self.version}/scripts/premium/flogon.js",
                f"/owa/{self.version}/scripts/boot.worldwide.0.mouse.js",
                f"/owa/prem/{self.version}/resources/styles/0/boot.worldwide.mouse.css",
                "/owa/auth/logon.aspx",
            )
        )
        query = "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0" if res.endswith("logon.aspx") else ""
        return Req(
            t,
            "Owa",
            "GET",
            res,
            query,
            ua=u.browser_ua,
            client_ip=u.phone_ip if rng.random() < 0.5 else u.desktop_ip,
            be_status=None,
            in_proxy=False,
            in_be=False,
            latency=rng.randrange(0, 30),
            request_id=self.rid(rng),
            response_bytes=rng.randrange(900, 40000),
        )

    def autodiscover(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        if u.mac and rng.random() < 0.5:
            ua, ip = "AppleExchangeWebServices/818.120.2 accountsd/113", u.phone_ip
        else:
            ua, ip = u.desktop_ua, u.desktop_ip
        status = 200 if rng.random() < 0.93 else 401
        return Req(
            t,
            "Autodiscover",
            "POST",
            "/autodiscover/autodiscover.xml",
            "",
            auth="NTLM" if status == 200 else "",
            user=f"{self.nb}\\{u.sam}" if status == 200 else "",
            anchor=f"Sid~{u.sid}" if status == 200 else "",
            ua=ua,
            client_ip=ip,
            status=status,
            be_status=status if status == 200 else None,
            routing_hint="WindowsIdentity" if status == 200 else "",
            request_bytes=rng.randrange(300, 400),
            response_bytes=rng.randrange(300, 5000),
            latency=rng.randrange(5, 90),
            request_id=self.rid(rng),
        )

    def oab(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        return Req(
            t,
            "Oab",
            "GET",
            f"/OAB/{self.dbguid}/oab.xml",
            "",
            auth="Negotiate",
            user=f"{self.nb}\\{u.sam}",
            anchor=f"Sid~{u.sid}",
            ua=u.desktop_ua.replace("Microsoft Office", "Microsoft Office Outlook"),
            client_ip=u.desktop_ip,
            status=rng.choice((200, 304, 304)),
            routing_hint="WindowsIdentity",
            response_bytes=rng.randrange(0, 2000),
            latency=rng.randrange(3, 50),
            request_id=self.rid(rng),
        )

    def rpc(self, t: int, rng: random.Random) -> Req:
        u = rng.choice(self.users)
        return Req(
            t,
            "RpcHttp",
            rng.choice(("RPC_IN_DATA", "RPC_OUT_DATA")),
            "/rpc/rpcproxy.dll",
            f"{u.mailbox_guid}@{self.plan.mail_domain}:6001",
            auth="NTLM",
            user=f"{self.nb}\\{u.sam}",
            anchor=f"MailboxGuid~{u.mailbox_guid}",
            ua="MSRPC",
            client_ip=u.desktop_ip,
            routing_hint="RpcHttpRoutingHint",
            latency=rng.randrange(1000, 900000),
            request_id=self.rid(rng),
            request_bytes=rng.randrange(100, 1073741824 // 1024),
        )

    def internet_noise(self, t: int, rng: random.Random) -> Req:
        """Background scanning every Internet-facing OWA sees: logon pages, probes for other apps."""
        ip = f"{rng.choice((45, 64, 89, 92, 162, 167, 185, 193, 194, 198))}.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
        ua = rng.choice(INTERNET_NOISE_UAS)
        stem, status, proto = rng.choice(
            (
                ("/owa/", 302, "Owa"),
                ("/owa/auth/logon.aspx", 200, "Owa"),
                ("/", 200, ""),
                ("/remote/login", 404, ""),
                ("/owa/admin.cfg", 302, "Owa"),
                ("/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application", 200, "Ecp"),
                ("/.env", 404, ""),
                ("/wp-login.php", 404, ""),
            )
        )
        proxied = proto == "Ecp"
        return Req(
            t,
            proto or "Owa",
            "GET",
            stem,
            "",
            auth="FBA" if proto else "",
            ua=ua,
            client_ip=ip,
            status=status,
            be_status=status if proxied else None,
            in_proxy=bool(proto),
            in_be=proxied,
            latency=rng.randrange(0, 40),
            anchor="ServerVersion~Version 15.0 (Build 0.0)" if proxied else "",
            routing_hint="EDiscoveryExportTool-ServerVersion" if proxied else "",
            request_id=self.rid(rng),
            sub_status=0 if status != 404 else rng.choice((0, 3)),
            win32_status=2 if status == 404 else 0,
        )

    def ecp_admin(self, t: int, rng: random.Random) -> Req:
        admin = self.users[0]
        page = rng.choice(
            (
                ("/ecp/UsersGroups/Mailboxes.slab", "showhelp=false"),
                (
                    "/ecp/DDI/DDIService.svc/GetList",
                    f"schema=MailboxService&msExchEcpCanary={self.plan.ecp_canary[:40]}",
                ),
                ("/ecp/RulesEditor/InboxRules.svc/GetList", f"msExchEcpCanary={self.plan.ecp_canary[:40]}"),
                ("/ecp/", ""),
            )
        )
        return Req(
            t,
            "Ecp",
            "POST" if "svc" in page[0] else "GET",
            page[0],
            page[1],
            auth="FBA",
            user=f"{self.nb}\\{admin.sam}",
            anchor=f"Sid~{admin.sid}",
            ua=admin.browser_ua,
            client_ip=admin.desktop_ip,
            routing_hint="EcpCafeIdentity",
            latency=rng.randrange(20, 700),
            request_bytes=rng.randrange(0, 2000),
            response_bytes=rng.randrange(900, 40000),
            request_id=self.rid(rng),
        )

    # ---- Managed Availability probes -----------------------------------------------------------
    def probes(self, t: int, rng: random.Random) -> list[Req]:
        """One round of the local health probes (every few minutes on a real server)."""
        hm = rng.choice(self.health)
        user = f"{self.nb}\\{hm}"
        local = rng.choice(("127.0.0.1", "::1"))
        out = [
            Req(
                t,
                "Owa",
                "GET",
                "/owa/",
                "",
                auth="Negotiate",
                user=user,
                anchor=f"SMTP:{hm}@{self.plan.mail_domain}",
                ua="AMProbe/Local/ClientAccess",
                client_ip=local,
                url_host="localhost",
                routing_hint="OwaIdentity",
                latency=rng.randrange(5, 60),
                request_id=self.rid(rng),
            ),
            Req(
                t + 310,
                "Ews",
                "GET",
                "/ews/",
                "",
                auth="Negotiate",
                user=user,
                anchor=f"Sid~{hm}",
                ua="AMProbe/Local/ClientAccess",
                client_ip="127.0.0.1",
                url_host="localhost",
                routing_hint="WindowsIdentity",
                latency=rng.randrange(1, 9),
                request_id=self.rid(rng),
            ),
            Req(
                t + 720,
                "Ecp",
                "GET",
                "/ecp/",
                "",
                auth="Negotiate",
                user=user,
                anchor=f"Sid~{hm}",
                ua="AMProbe/Local/ClientAccess",
                client_ip="127.0.0.1",
                url_host="localhost",
                routing_hint="EcpCafeIdentity",
                latency=rng.randrange(20, 300),
                request_id=self.rid(rng),
            ),
            Req(
                t + 1030,
                "Mapi",
                "POST",
                "/mapi/emsmdb/",
                f"mailboxId={self.dbguid}@{self.plan.mail_domain}",
                auth="Negotiate",
                user=user,
                anchor=f"MailboxGuid~{self.dbguid}",
                ua="MapiHttpClient",
                client_ip=f"fe80::{self.plan.server_ip.split('.')[-1]}:5678:123a:245e%3",
                url_host=self.plan.fqdn,
                routing_hint="MailboxGuidWithDomain",
                latency=rng.randrange(5, 40),
                request_id=self.rid(rng),
            ),
            Req(
                t + 1490,
                "Eas",
                "POST",
                "/Microsoft-Server-ActiveSync/default.eas",
                f"Cmd=FolderSync&User={hm}&DeviceId=EASProbeDeviceId1&DeviceType=EASProbeDeviceType",
                auth="Basic",
                user=user,
                anchor=f"Sid~{hm}",
                ua="MSExchangeHMWorker",
                client_ip="127.0.0.1",
                url_host="localhost",
                routing_hint="WindowsIdentity",
                latency=rng.randrange(20, 200),
                request_id=self.rid(rng),
            ),
            Req(
                t + 1800,
                "Autodiscover",
                "POST",
                "/autodiscover/autodiscover.xml",
                "",
                auth="Negotiate",
                user=user,
                anchor=f"Sid~{hm}",
                ua="AMProbe/Local/ClientAccess",
                client_ip="127.0.0.1",
                url_host="localhost",
                routing_hint="WindowsIdentity",
                latency=rng.randrange(5, 50),
                request_id=self.rid(rng),
            ),
            Req(
                t + 2100,
                "PowerShell",
                "POST",
                "/powershell",
                "clientApplication=ActiveMonitor;PSVersion=5.1.14393.4225",
                auth="Kerberos",
                user=user,
                anchor=f"ServerVersion~Version 15.1 (Build {self.plan.build[2]}.0)",
                ua="Microsoft WinRM Client",
                client_ip=self.plan.server_ip,
                url_host=self.plan.fqdn,
                routing_hint="ExchClientVer-ServerCookie",
                be_cookie=f"Server~{self.plan.fqdn}~{self.plan.be_version_number}~{_cookie_ts(t)}",
                protocol_action="New-PSSession:Receive",
                latency=rng.randrange(5, 40),
                request_id=self.rid(rng),
            ),
            # back-end-only probe straight to port 444
            Req(
                t + 2400,
                "Owa",
                "GET",
                "/owa/exhealth.check",
                "",
                user=self.plan.computer_account,
                ua="Exchange BackEnd Probes",
                client_ip="127.0.0.1",
                in_proxy=False,
                in_fe=False,
                latency=rng.randrange(1, 9),
                request_id=self.rid(rng),
            ),
            Req(
                t + 2700,
                "Ews",
                "GET",
                "/EWS/exhealth.check",
                "",
                user=self.plan.computer_account,
                ua="Exchange BackEnd Probes",
                client_ip="127.0.0.1",
                in_proxy=False,
                in_fe=False,
                latency=rng.randrange(1, 9),
                request_id=self.rid(rng),
            ),
        ]
        return out


def _cookie_ts(t_ms: int) -> str:
    """Routing cookies carry their expiry, ~30 days ahead, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_ms // 1000 + 30 * 86400))
