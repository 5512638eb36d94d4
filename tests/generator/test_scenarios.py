"""Each scenario holds exactly what it should: the full ProxyLogon chain, attempts only, scanner noise
only, or nothing at all — all consistent with the one AttackPlan."""

from __future__ import annotations

import csv
import re

from extriage.generator import GeneratedServer
from extriage.generator.httpproxy import FIELD_NAMES

from .conftest import read_all

ANCHOR = FIELD_NAMES.index("AnchorMailbox")
COOKIE = FIELD_NAMES.index("BackEndCookie")
STATUS = FIELD_NAMES.index("HttpStatus")
IP = FIELD_NAMES.index("ClientIpAddress")


def _proxy_rows(g: GeneratedServer) -> list[list[str]]:
    text = read_all(g, "HttpProxy_*.LOG")
    lines = [x for x in text.splitlines() if x and not x.startswith("#") and not x.startswith("DateTime,")]
    return list(csv.reader(lines))


def _ssrf(rows: list[list[str]]) -> list[list[str]]:
    return [
        r
        for r in rows
        if r[ANCHOR].lower().startswith("serverinfo~") or r[COOKIE].lower().startswith("server~a]")
    ]


def test_clean_has_no_attack_traces(servers: dict[str, GeneratedServer]) -> None:
    g = servers["clean"]
    assert _ssrf(_proxy_rows(g)) == []
    everything = read_all(g, "*.LOG") + read_all(g, "*.log")
    for needle in (
        "ServerInfo~",
        "proxyLogon.ecp",
        "ResetOABVirtualDirectory",
        "<script",
        "aspnet_client/",
        "@test.com",
    ):
        assert needle not in everything, needle
    assert not g.plan.shells and not g.plan.moments
    oab = read_all(g, "OABGenerator*.LOG")
    paths = re.findall(r"Download failed and temporary file '([^']+)'", oab)
    assert paths and all("\\ClientAccess\\OAB\\" in p for p in paths)


def test_proxylogon_chain_in_order(servers: dict[str, GeneratedServer]) -> None:
    g = servers["proxylogon"]
    plan = g.plan
    ip = plan.attacker_ips[0]
    chain = [r for r in _ssrf(_proxy_rows(g)) if r[IP] == ip]
    chain.sort(key=lambda r: r[0])
    targets = [r[ANCHOR].split(":444", 1)[1] for r in chain]
    assert targets[0] == "/autodiscover/autodiscover.xml?#"
    assert targets[1] == "/mapi/emsmdb/?#"
    assert targets[2] == "/ecp/proxyLogon.ecp?#" and chain[2][STATUS] == "241"
    assert any("GetObject?schema=OABVirtualDirectory" in t for t in targets)
    assert any("SetObject?schema=OABVirtualDirectory" in t for t in targets)
    assert targets[-1].endswith("&schema=ResetOABVirtualDirectory#") and chain[-1][STATUS] == "200"
    assert all(r[ANCHOR].startswith(f"ServerInfo~a]@{plan.fqdn}:444/") for r in chain)
    assert all(
        r[0].startswith(f"{plan.attack_start:%Y-%m-%dT%H}") or r[0] > f"{plan.attack_start:%Y-%m-%d}"
        for r in chain
    )
    assert any(r[COOKIE].startswith("Server~a]@") for r in chain)  # the BackEndCookie variant too
    assert {r[FIELD_NAMES.index("Protocol")] for r in chain} == {"Ecp"}
    assert all(r[FIELD_NAMES.index("AuthenticatedUser")] == "" for r in chain)
    # ECP Server log: the payload in ExternalUrl, cmdlet serialisation
    ecp = read_all(g, "ECPServer*.LOG")
    assert (
        f'S:CMD=Set-OabVirtualDirectory.ExternalUrl=\'\'http://f/<script language=""JScript"" runat=""server"">function Page_Load(){{eval(Request[""{plan.shell_password}""]'
        in ecp
    )
    assert "Remove-OABVirtualDirectory" in ecp and "New-OABVirtualDirectory" in ecp
    # OABGenerator: the written shell outside ClientAccess\OAB
    oab = read_all(g, "OABGenerator*.LOG")
    assert f"Download failed and temporary file '{plan.shells[1].path}' needs to be removed" in oab
    # IIS: the back end saw the SSRF as the computer account; the shells used from the second IP
    be = read_all(g, "W3SVC2/u_ex*.log")
    assert re.search(
        r"POST /ecp/DDI/DDIService\.svc/SetObject \S*schema=ResetOABVirtualDirectory\S* 444 CORP\\EXCH01\$ ",
        be,
    )
    fe = read_all(g, "W3SVC1/u_ex*.log")
    for shell in plan.shells:
        # owa\auth pages pass the Exchange module (cafeReqId quirk); aspnet_client does not
        query = r"&CorrelationID=<empty>;&cafeReqId=[0-9a-f-]+;&encoding=;" if "/owa/" in shell.url else "-"
        assert re.search(
            rf"POST {re.escape(shell.url)} {query} 443 - {re.escape(plan.attacker_ips[1])} ", fe
        ), shell.url
    assert "antSword/v2.1" in fe
    assert re.search(rf"POST /ecp/[a-z]\.js \S+ 443 - {re.escape(ip)} ", fe)
    # facts handed to other planters
    assert (
        plan.moments["webshell_written"] > plan.moments["proxylogon_ecp"] > plan.moments["ssrf_autodiscover"]
    )
    assert plan.shell_path == plan.shells[0].path and plan.shell_url == plan.shells[0].url


def test_attempts_only_autodiscover(servers: dict[str, GeneratedServer]) -> None:
    g = servers["attempts"]
    rows = _ssrf(_proxy_rows(g))
    assert len({r[IP] for r in rows}) == len(g.plan.attempt_ips) >= 3
    for r in rows:
        target = (r[ANCHOR] or r[COOKIE]).split(":444", 1)[1]
        assert target.startswith("/autodiscover/autodiscover.xml"), target
    assert any(r[ANCHOR] == "" and r[COOKIE].startswith("Server~") for r in rows)  # BackEndCookie variant
    assert any(r[STATUS] in {"400", "401", "404", "500"} for r in rows)
    everything = read_all(g, "*.LOG") + read_all(g, "*.log")
    for needle in ("proxyLogon.ecp", "ResetOABVirtualDirectory", "<script", "aspnet_client/"):
        assert needle not in everything
    for ip in g.plan.attacker_ips:
        assert ip not in everything


def test_scanner_only_localhost_probes(servers: dict[str, GeneratedServer]) -> None:
    g = servers["scanner"]
    rows = _ssrf(_proxy_rows(g))
    assert rows
    assert all(r[ANCHOR].lower().startswith("serverinfo~localhost") for r in rows)
    nmap = [r for r in rows if r[ANCHOR] == "ServerInfo~localhost/ecp/default.flt?"]
    assert nmap and all(
        r[STATUS] == "500" and r[FIELD_NAMES.index("UrlStem")] == "/owa/auth/x.js" for r in nmap
    )
    assert all(r[FIELD_NAMES.index("RoutingHint")] == "X-AnonResource-Backend-Cookie" for r in nmap)
    fe = read_all(g, "W3SVC1/u_ex*.log")
    assert "@test.com" in fe
    everything = read_all(g, "*.LOG") + fe
    for needle in ("proxyLogon.ecp", "ResetOABVirtualDirectory", "<script", "a]@"):
        assert needle not in everything


def test_full_has_everything(servers: dict[str, GeneratedServer]) -> None:
    g = servers["full"]
    rows = _ssrf(_proxy_rows(g))
    ips = {r[IP] for r in rows}
    assert g.plan.attacker_ips[0] in ips
    assert set(g.plan.attempt_ips) <= ips and set(g.plan.scanner_ips) <= ips
    assert g.plan.waves == {"proxylogon", "proxyshell", "proxynotshell", "proxytoken"}


def test_plan_times_inside_the_logs(servers: dict[str, GeneratedServer]) -> None:
    plan = servers["proxylogon"].plan
    for name, when in plan.moments.items():
        assert plan.start <= when < plan.end, name
