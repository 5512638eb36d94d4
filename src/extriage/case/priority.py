"""A server's fleet priority (disconnect now / rebuild / patch now / monitor) and its reason, from
the rule table ``priority.yml`` (CISA ED 21-02's logic, as data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

#: Response states a responder can set, in the order of a server's response.
RESPONSE_STATES: tuple[str, ...] = ("open", "disconnected", "rebuilt", "patched", "cleared")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    priority: str
    when: dict[str, Any]
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class Priority:
    priority: str
    rank: int  # 0 = most urgent
    reason: str
    source: str
    rule: str


@dataclass(frozen=True, slots=True)
class ServerState:
    """What the priority rules look at."""

    verdict: str
    response_state: str
    open_cves: tuple[str, ...]
    exposure: str  # the probe's worst state, "" without a probe
    build_known: bool


@cache
def _table() -> tuple[tuple[str, ...], tuple[Rule, ...]]:
    text = resources.files("extriage.case").joinpath("priority.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    order = tuple(str(p) for p in data["priorities"])
    rules = tuple(
        Rule(str(r["id"]), str(r["priority"]), dict(r.get("when") or {}), " ".join(str(r["reason"]).split()),
             " ".join(str(r["source"]).split()))
        for r in data["rules"]
    )
    for r in rules:
        if r.priority not in order:
            raise ValueError(f"priority.yml: rule {r.id} names an unknown priority {r.priority!r}")
    return order, rules


def priorities() -> tuple[str, ...]:
    """The priorities, most urgent first."""
    return _table()[0]


def _matches(when: dict[str, Any], s: ServerState) -> bool:
    for key, want in when.items():
        if key == "verdict" and s.verdict not in want:
            return False
        if key == "response_state" and s.response_state not in want:
            return False
        if key == "open_cves" and bool(s.open_cves) is not bool(want):
            return False
        if key == "exposure" and s.exposure not in want:
            return False
        if key == "build_known" and s.build_known is not bool(want):
            return False
    return True


def decide(state: ServerState) -> Priority:
    """The first rule of the table that matches ``state`` (the last rule matches everything)."""
    order, rules = _table()
    for rule in rules:
        if _matches(rule.when, state):
            reason = rule.reason.format(open_cves=", ".join(state.open_cves) or "no CVE", exposure=state.exposure or "unknown")
            return Priority(rule.priority, order.index(rule.priority), reason, rule.source, rule.id)
    return Priority(order[-1], len(order) - 1, "", "", "")
