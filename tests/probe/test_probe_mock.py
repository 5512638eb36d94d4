"""End to end against the mock Exchange farm on 127.0.0.1, decided by the real build knowledge
(``extriage.detections.builds``, remote-probe.md §5)."""

from __future__ import annotations

import asyncio
from typing import Any

from extriage.probe import USER_AGENT
from extriage.probe.client import ClientOptions
from extriage.probe.engine import ProbeOptions, probe_all
from extriage.probe.result import TargetResult
from extriage.probe.states import AssessFn, load_assess
from extriage.probe.targets import parse_targets

from .conftest import Farm

ASSESS = load_assess()


def run(targets: list[str], assess: AssessFn | None = ASSESS, **kw: Any) -> dict[str, TargetResult]:
    copts = {"connect_timeout": 2.0, "read_timeout": 2.0, "rate_per_host": 0.0}
    copts.update({k: v for k, v in kw.items() if k in ClientOptions.__dataclass_fields__})
    popts = {k: v for k, v in kw.items() if k in ProbeOptions.__dataclass_fields__}
    res = asyncio.run(
        probe_all(parse_targets(targets), ProbeOptions(ClientOptions(**copts), **popts), assess)
    )
    return {r.target: r for r in res}


def states(r: TargetResult) -> dict[str, str]:
    return r.to_dict()["state"]


def test_every_build_variant(farm: Farm) -> None:
    names = [
        "ex2013-cu23",
        "ex2016-cu19-cuonly",
        "ex2016-cu23-patched",
        "ex2019-cu11",
        "ex2019-cu12-cuonly",
        "ex2010",
        "ex2010-noheader",
        "ex2019-federated",
        "slow",
    ]
    res = run([farm[n] for n in names])
    r = {n: res[farm[n]] for n in names}
    # 2013 CU23 RTM: no header, the manifest gives the exact build.
    assert (r["ex2013-cu23"].build, r["ex2013-cu23"].confidence) == ("15.0.1497.2", "exact")
    assert r["ex2013-cu23"].source is not None and r["ex2013-cu23"].source.source == "exporttool-manifest"
    assert set(states(r["ex2013-cu23"]).values()) == {"vulnerable"}
    # CU only: vulnerable unless the SU (named) is installed; CU19 has no ProxyNotShell SU at all.
    cu = r["ex2016-cu19-cuonly"]
    assert (cu.build, cu.confidence) == ("15.1.2176", "cu-only")
    assert states(cu)["proxylogon"] == "vulnerable-unless-su"
    assert "KB5000871 (15.1.2176.9)" in (cu.waves["proxylogon"].fixed_by or "")
    assert "KB5000871" in cu.to_dict()["waves"]["proxylogon"]["reason"]
    assert states(cu)["proxyshell"] == "vulnerable-unless-su" and "15.1.2176.14" in (
        cu.waves["proxyshell"].fixed_by or ""
    )
    assert states(cu)["proxynotshell"] == "vulnerable"
    assert cu.source is not None and cu.source.source == "owa-path"
    p = r["ex2016-cu23-patched"]
    assert (p.build, p.confidence) == ("15.1.2507.35", "exact")
    assert {states(p)[w] for w in ("proxylogon", "proxyshell", "proxynotshell")} == {"patched"}
    # CVE-2024-21410 is closed by Extended Protection, which a build cannot show: never "patched".
    assert states(p)["other"] == "unknown" and "Extended Protection" in p.waves["other"].reason
    c11 = states(r["ex2019-cu11"])
    assert (c11["proxylogon"], c11["proxyshell"], c11["proxynotshell"]) == (
        "patched",
        "patched",
        "vulnerable",
    )
    c12 = r["ex2019-cu12-cuonly"]
    assert states(c12)["proxynotshell"] == "vulnerable-unless-su" and "15.2.1118.20" in (
        c12.waves["proxynotshell"].fixed_by or ""
    )
    assert states(c12)["proxylogon"] == "patched"  # CU12 shipped after the fix
    e10 = r["ex2010"]
    assert (e10.build, e10.confidence) == ("14.3.513.0", "exact")
    # RU32 carries the CVE-2021-26857 fix; ProxyShell/ProxyNotShell do not apply to Exchange 2010.
    assert (states(e10)["proxylogon"], states(e10)["proxyshell"], states(e10)["proxynotshell"]) == ("patched", "not-affected", "not-affected")
    assert "not affected" in e10.waves["proxyshell"].reason
    e10n = r["ex2010-noheader"]
    assert (e10n.build, e10n.confidence) == ("14.3.496.0", "exact") and e10n.source is not None
    assert e10n.source.source == "owa-path" and e10n.source.raw.startswith("/owa/14.3.496.0/themes/")
    assert states(e10n)["proxylogon"] == "vulnerable" and "14.3.513.0" in (
        e10n.waves["proxylogon"].fixed_by or ""
    )
    fed = r["ex2019-federated"]
    assert (fed.build, fed.confidence, states(fed)["proxylogon"]) == ("15.2.792.3", "exact", "vulnerable")
    logon = fed.to_dict()["evidence"][0]
    assert (
        logon["status"] == 302
        and "Exchange marker: redirect to OWA/ECP (federated sign-in)" in logon["facts"]
    )
    assert any(f.startswith("Location: https://adfs.example.test/adfs/ls/") for f in logon["facts"])
    assert r["slow"].build == "15.2.1118.40" and r["slow"].error is None
    for x in r.values():
        assert x.requests <= 4, (x.target, x.requests)  # default mode budget
        assert all(o.method == "GET" for o in x.observations)
        assert all("Cookie" not in o.sent_headers for o in x.observations)


def test_load_balanced_pair_lists_both_nodes(farm: Farm) -> None:
    r = run([farm["lb-pair"]])[farm["lb-pair"]]
    nodes = {n.name: n.build for n in r.nodes}
    assert nodes == {"EXLB01": "15.1.2507.35", "EXLB02": "15.1.2176.2"}
    # Host verdict = worst node; its build is the host build.
    assert states(r)["proxylogon"] == "vulnerable" and r.build == "15.1.2176.2"
    assert r.nodes[0].name == "EXLB02"
    by = {n.name: n for n in r.nodes}
    assert by["EXLB01"].waves["proxylogon"].state.value == "patched"
    assert by["EXLB02"].waves["proxylogon"].state.value == "vulnerable"
    assert any(n.startswith("load balancer:") for n in r.notes)


def test_errors_are_errors(farm: Farm) -> None:
    names = ["garbage", "hang", "refused"]
    res = run([farm[n] for n in names] + ["bad host!"], connect_timeout=1.0, read_timeout=0.5)
    for n in names:
        r = res[farm[n]]
        assert r.error, n
        assert set(states(r).values()) == {"error"}, n
    garbage = res[farm["garbage"]].error or ""
    assert garbage.startswith("not a valid HTTP response (") and "'SSH-2.0-OpenSSH_9.6'" in garbage
    assert "bytearray" not in garbage
    assert "read timeout" in (res[farm["hang"]].error or "")
    assert res[farm["refused"]].error == "connection refused"
    assert "not a valid host" in (res["bad host!"].error or "")


def test_not_exchange_and_huge_response(farm: Farm) -> None:
    res = run([farm["not-exchange"], farm["huge"]], max_body=64 * 1024)
    ne = res[farm["not-exchange"]]
    assert set(states(ne).values()) == {"not-exchange"} and ne.error is None
    huge = res[farm["huge"]]
    assert huge.observations[0].status == 200 and huge.observations[0].truncated
    assert any("truncated" in f for e in huge.to_dict()["evidence"] for f in e["facts"])
    assert "not-exchange" in states(huge).values()


def test_confirm_mitigated_and_vulnerable(farm: Farm) -> None:
    res = run([farm["mitigated"], farm["ex2016-cu19-cuonly"], farm["ex2019-cu12-cuonly"]], confirm=True)
    m = res[farm["mitigated"]]
    assert states(m)["proxylogon"] == "mitigated"
    assert states(m)["proxynotshell"] == "mitigated"
    assert m.confirmations["proxylogon"] == "mitigated" and "aborted" in m.waves["proxylogon"].reason
    # ProxyShell has no rewrite rule: the path confusion reaches the MAPI page and gives the exact build.
    assert states(m)["proxyshell"] == "vulnerable" and (m.build, m.confidence) == ("15.1.2176.2", "exact")
    v = res[farm["ex2016-cu19-cuonly"]]
    assert states(v)["proxylogon"] == "vulnerable" and v.confirmations["proxylogon"] == "vulnerable"
    assert (
        v.build == "15.1.2176.2"
        and v.confidence == "exact"
        and v.source is not None
        and v.source.source == "mapi-nspi"
    )
    x = next(o for o in v.observations if o.label == "confirm-proxylogon")
    assert x.url.endswith("/owa/auth/x.js") and "X-AnonResource-Backend=localhost" in x.sent_headers["Cookie"]
    # Patched behaviour: ProxyNotShell URL reaches Exchange (no mitigation) -> the build still decides.
    p = res[farm["ex2019-cu12-cuonly"]]
    assert states(p)["proxynotshell"] == "vulnerable-unless-su"
    assert p.confirmations["proxynotshell"].startswith("not mitigated")
    assert "confirm-proxylogon" not in {o.label for o in p.observations}  # patched waves get no extra traffic


def test_without_knowledge_nothing_is_called_safe(farm: Farm) -> None:
    r = run([farm["ex2016-cu23-patched"]], assess=None)[farm["ex2016-cu23-patched"]]
    assert r.build == "15.1.2507.35" and set(states(r).values()) == {"unknown"}


def test_user_agent_is_identifiable() -> None:
    assert USER_AGENT.startswith("extriage-probe/") and " " not in USER_AGENT


def test_http_proxy_is_used(farm: Farm) -> None:
    before = len(farm.proxy_seen)
    r = run([farm["ex2019-cu11"]], proxy=farm["proxy"])[farm["ex2019-cu11"]]
    assert r.build == "15.2.986.14" and r.error is None
    relayed = farm.proxy_seen[before:]
    assert f"GET {farm['ex2019-cu11']}/owa/auth/logon.aspx" in relayed and len(relayed) == r.requests


def test_host_gate_limits_concurrency_and_rate() -> None:
    from extriage.probe.client import _HostGate

    async def main() -> tuple[int, float]:
        gate = _HostGate(per_host=2, rate=20.0)
        active = peak = 0

        async def one() -> None:
            nonlocal active, peak
            async with gate.sem:
                await gate.pace()
                active += 1
                peak = max(peak, active)
                await asyncio.sleep(0.01)
                active -= 1

        t = asyncio.get_running_loop().time()
        await asyncio.gather(*(one() for _ in range(6)))
        return peak, asyncio.get_running_loop().time() - t

    peak, took = asyncio.run(main())
    assert peak <= 2
    assert took >= 5 / 20.0 - 0.01  # 6 starts at 20/s need >= 0.25 s


def test_socks_proxy_is_used(farm: Farm) -> None:
    before = len(farm.socks_seen)
    r = run([farm["tls-selfsigned"]], proxy=farm["socks"])[farm["tls-selfsigned"]]
    assert r.build == "15.2.1118.40" and r.error is None and r.tls.get("subject") == "CN=mail.example.test"
    port = farm["tls-selfsigned"].rsplit(":", 1)[1]
    assert f"127.0.0.1:{port}" in farm.socks_seen[before:]


def test_dripping_server_hits_the_overall_deadline(farm: Farm) -> None:
    r = run([farm["drip"]], read_timeout=0.5, deadline=1.0, retries=0)[farm["drip"]]
    assert r.error and "longer than 1s" in r.error and set(states(r).values()) == {"error"}


def test_dns_and_tls_errors_are_named() -> None:
    import socket
    import ssl

    import httpx

    from extriage.probe.client import ClientOptions, describe_error

    def chained(outer: Exception, inner: BaseException) -> Exception:
        outer.__cause__ = inner
        return outer

    opts = ClientOptions()
    dns = chained(
        httpx.ConnectError("[Errno -2] Name or service not known"),
        socket.gaierror(-2, "Name or service not known"),
    )
    assert describe_error(dns, opts)[0].startswith("DNS lookup failed")
    refused = chained(
        httpx.ConnectError("All connection attempts failed"),
        ConnectionRefusedError(111, "Connect call failed"),
    )
    assert describe_error(refused, opts) == ("connection refused", False)
    tls = chained(
        httpx.ConnectError("x"),
        ssl.SSLError(1, "[SSL: UNSAFE_LEGACY_RENEGOTIATION_DISABLED] unsafe legacy renegotiation disabled"),
    )
    assert describe_error(tls, opts)[0].startswith("TLS handshake failed")
    assert (
        describe_error(httpx.RemoteProtocolError("Server disconnected without sending a response."), opts)[1]
        is True
    )


def test_enumerate_turns_cu_only_into_inferred(farm: Farm) -> None:
    res = run([farm["ex2016-cu19-cuonly"], farm["ecp-wildcard"]], enumerate=True)
    r = res[farm["ex2016-cu19-cuonly"]]
    assert (r.build, r.confidence) == ("15.1.2176.2", "inferred")
    assert r.source is not None and r.source.source == "ecp-folder"
    assert states(r)["proxylogon"] == "vulnerable"  # no longer "unless SU": the SU is known to be missing
    labels = [o.label for o in r.observations]
    assert labels.count("enumerate-control") == 1 and 1 <= labels.count("enumerate") <= 24
    hits = [o for o in r.observations if o.label == "enumerate" and o.status == 200]
    assert len(hits) == 1 and "/ecp/15.1.2176.2/exporttool/" in hits[0].url
    w = res[farm["ecp-wildcard"]]
    assert w.confidence == "cu-only" and any("answers 200" in n for n in w.notes)
    assert "enumerate" not in [o.label for o in w.observations]


def test_confirm_skips_the_ssrf_check_on_exchange_2010(farm: Farm) -> None:
    """2010 has no CAFE front end: CVE-2021-26855 does not apply, so the x.js request would prove nothing."""
    r = run([farm["ex2010-noheader"]], confirm=True)[farm["ex2010-noheader"]]
    assert states(r)["proxylogon"] == "vulnerable"  # CVE-2021-26857 (UM), from the build
    assert r.waves["proxylogon"].cves == ["CVE-2021-26857"]
    assert r.confirmations["proxylogon"].startswith("not tested")
    assert "confirm-proxylogon" not in {o.label for o in r.observations}
