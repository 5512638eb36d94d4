"""The issue's "done when" against the mock, decided by the patch engineer's real build knowledge
(``extriage.detections.builds``)."""

from __future__ import annotations

import pytest

from extriage.probe.states import load_assess

from .conftest import Farm
from .test_probe_mock import run, states

pytest.importorskip("extriage.detections.builds", reason="patch area's build knowledge not installed")


def test_real_knowledge_states(farm: Farm) -> None:
    assess = load_assess()
    assert assess is not None
    names = [
        "ex2013-cu23",
        "ex2016-cu19-cuonly",
        "ex2016-cu23-patched",
        "ex2019-cu11",
        "ex2019-cu12-cuonly",
        "ex2010",
        "ex2019-federated",
        "lb-pair",
        "not-exchange",
        "refused",
    ]
    res = run([farm[n] for n in names], assess=assess)
    r = {n: res[farm[n]] for n in names}
    assert set(states(r["ex2013-cu23"]).values()) == {"vulnerable"}
    cu = r["ex2016-cu19-cuonly"]
    assert states(cu)["proxylogon"] == "vulnerable-unless-su"
    assert (
        cu.waves["proxylogon"].fixed_by
        and "KB5000871" in cu.waves["proxylogon"].fixed_by
        and "15.1.2176.9" in cu.waves["proxylogon"].fixed_by
    )
    assert states(cu)["proxyshell"] == "vulnerable-unless-su" and "15.1.2176.14" in (
        cu.waves["proxyshell"].fixed_by or ""
    )
    assert states(cu)["proxynotshell"] == "vulnerable"  # CU19 never got the Nov22SU
    p = states(r["ex2016-cu23-patched"])
    assert (p["proxylogon"], p["proxyshell"], p["proxynotshell"]) == ("patched", "patched", "patched")
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
    e10 = states(r["ex2010"])
    assert (
        e10["proxylogon"] == "patched" and e10["proxyshell"] == "patched"
    )  # RU32; 2010 not affected by 26855
    assert states(r["ex2019-federated"])["proxylogon"] == "vulnerable"
    lb = r["lb-pair"]
    assert {n.name for n in lb.nodes} == {"EXLB01", "EXLB02"}
    by = {n.name: n for n in lb.nodes}
    assert by["EXLB01"].waves["proxylogon"].state.value == "patched"
    assert by["EXLB02"].waves["proxylogon"].state.value == "vulnerable"
    assert states(lb)["proxylogon"] == "vulnerable"
    assert set(states(r["not-exchange"]).values()) == {"not-exchange"}
    assert set(states(r["refused"]).values()) == {"error"}


def test_real_knowledge_mitigated(farm: Farm) -> None:
    m = run([farm["mitigated"]], assess=load_assess(), confirm=True)[farm["mitigated"]]
    assert states(m)["proxylogon"] == "mitigated" and states(m)["proxynotshell"] == "mitigated"
    assert "aborted" in m.waves["proxylogon"].reason
