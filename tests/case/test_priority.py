"""The ED 21-02 priority table: every rule is reachable, the most urgent case wins, wording is sourced."""

from __future__ import annotations

import pytest

from extriage.case.priority import RESPONSE_STATES, ServerState, _table, decide, priorities


def state(verdict: str = "no_evidence", response: str = "open", cves: tuple[str, ...] = (), exposure: str = "",
          build: bool = True) -> ServerState:
    return ServerState(verdict, response, cves, exposure, build)


@pytest.mark.parametrize(("s", "priority", "rule"), [
    (state("compromised", cves=("CVE-2021-26855",)), "disconnect now", "compromised-connected"),
    (state("compromised", "disconnected"), "rebuild", "compromised-disconnected"),
    (state("compromised", "patched"), "rebuild", "compromised-disconnected"),
    (state("compromised", "rebuilt"), "monitor", "compromised-rebuilt"),
    (state("attempted", cves=("CVE-2021-34473",)), "patch now", "exposed-open-cves"),
    (state("no_evidence", exposure="vulnerable"), "patch now", "probe-vulnerable"),
    (state("error", build=False), "patch now", "not-scanned"),
    (state("no_evidence", build=False), "patch now", "build-unknown"),
    (state("inconclusive"), "monitor", "could-not-decide"),
    (state("attempted", "patched", cves=("CVE-2021-34473",)), "monitor", "patched-clean"),
    (state("no_evidence"), "monitor", "patched-clean"),
])
def test_rules(s: ServerState, priority: str, rule: str) -> None:
    p = decide(s)
    assert (p.priority, p.rule) == (priority, rule)
    assert p.rank == priorities().index(priority)
    assert p.reason and "ED 21-02" in p.source


def test_every_rule_is_reachable_and_names_known_values() -> None:
    order, rules = _table()
    assert order == ("disconnect now", "rebuild", "patch now", "monitor")
    reached = set()
    for verdict in ("compromised", "attempted", "no_evidence", "inconclusive", "error"):
        for response in RESPONSE_STATES:
            for cves in ((), ("CVE-2021-26855",)):
                for exposure in ("", "vulnerable", "patched"):
                    for build in (True, False):
                        reached.add(decide(state(verdict, response, cves, exposure, build)).rule)
    assert reached == {r.id for r in rules}
    for r in rules:
        assert set(r.when.get("response_state", [])) <= set(RESPONSE_STATES)
