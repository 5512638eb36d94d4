"""Choose the response steps (data in ``steps.yaml``) that a scan result calls for.

Every chosen step carries the reason it fired: the findings that matched its condition, or the verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml
from extriage.findings import Finding, ScanResult, Verdict
from extriage.response.facts import Facts, derive_facts

_TEXT_FIELDS = ("rule_id", "title", "description")


@dataclass(slots=True)
class Trigger:
    """Why a step is in the plan: a finding (id + title) or a whole-result fact."""

    reason: str
    finding_id: str = ""


@dataclass(slots=True)
class PlanStep:
    id: str
    title: str
    why: str
    actions: list[str]
    triggers: list[Trigger] = field(default_factory=list)
    show: list[str] = field(default_factory=list)  # fact sections to print with the step


@dataclass(slots=True)
class ResponsePlan:
    server: str
    verdict: Verdict
    steps: list[PlanStep]
    facts: Facts


@lru_cache(maxsize=1)
def step_definitions() -> list[dict[str, Any]]:
    text = resources.files("extriage.response").joinpath("steps.yaml").read_text(encoding="utf-8")
    data = load_yaml(text)
    if not isinstance(data, list):
        raise ValueError("extriage/response/steps.yaml must be a list of steps")
    return data


def build_plan(result: ScanResult, facts: Facts | None = None) -> ResponsePlan:
    facts = facts or derive_facts(result)
    steps: list[PlanStep] = []
    for spec in step_definitions():
        triggers: list[Trigger] = []
        for cond in spec.get("when") or []:
            triggers.extend(_match(cond, result, facts))
        if not triggers:
            continue
        words = _wording(spec, facts)
        steps.append(
            PlanStep(
                id=str(spec["id"]),
                title=str(words["title"]),
                why=str(words.get("why", "")).strip(),
                actions=[str(a) for a in words.get("actions") or []],
                triggers=_dedupe(triggers),
                show=[str(s) for s in spec.get("show") or []],
            )
        )
    return ResponsePlan(server=facts.server, verdict=result.verdict, steps=steps, facts=facts)


def _wording(spec: dict[str, Any], facts: Facts) -> dict[str, Any]:
    """The step's text: its ``other_server`` block (title/why/actions) on a server whose evidence shows no
    Exchange, so a SharePoint or other IIS server is not told to warn users that mail is down or that
    Exchange's pools run as SYSTEM (X37, session 16); the step's own text otherwise."""
    other = spec.get("other_server")
    if facts.exchange_absent and isinstance(other, dict):
        return {**spec, **other}
    return spec


def _dedupe(triggers: list[Trigger], limit: int = 25) -> list[Trigger]:
    seen: set[tuple[str, str]] = set()
    out: list[Trigger] = []
    extra = 0
    for t in triggers:
        key = (t.reason, t.finding_id)
        if key in seen:
            continue
        seen.add(key)
        if len(out) < limit:
            out.append(t)
        else:
            extra += 1
    if extra:
        out.append(Trigger(f"… and {extra} more findings"))
    return out


def _match(cond: dict[str, Any], result: ScanResult, facts: Facts) -> list[Trigger]:
    """All keys of ``cond`` must hold. Finding-level keys must hold for the same finding."""
    whole: list[Trigger] = []
    if "verdict" in cond:
        if result.verdict.value not in cond["verdict"]:
            return []
        whole.append(Trigger(f"verdict: {result.verdict.value} — {result.verdict_reason}".rstrip(" —")))
    if "has" in cond:
        for what in cond["has"]:
            known: dict[str, list[Any]] = {"attacker_ips": facts.attacker_ips, "webshells": facts.webshells, "accounts": facts.accounts}
            values = known.get(what)
            if not values:
                return []
            whole.append(Trigger(f"{what.replace('_', ' ')}: {len(values)} found"))
    if "patch_status" in cond:
        wanted = set(cond["patch_status"])
        hits = [c for c in (facts.patch.cves if facts.patch else []) if c.status in wanted]
        if not hits:
            return []
        whole.append(Trigger("patch status: " + ", ".join(f"{c.id} {c.status}" for c in hits[:8])))
    finding_keys = {"outcome", "attack_prefix", "text"} & cond.keys()
    if not finding_keys:
        return whole
    matched = [f for f in result.findings if _finding_matches(f, cond)]
    if not matched:
        return []
    # The findings are the more useful reason; the verdict line only repeats the summary.
    return [Trigger(f"{f.title}", f.id) for f in matched] + [t for t in whole if not t.reason.startswith("verdict")]


def _finding_matches(f: Finding, cond: dict[str, Any]) -> bool:
    if "outcome" in cond and f.outcome.value not in cond["outcome"]:
        return False
    if "attack_prefix" in cond and not any(t.upper().startswith(tuple(cond["attack_prefix"])) for t in f.attack):
        return False
    if "text" in cond:
        pattern = _regex(str(cond["text"]))
        hay = " ".join([*(str(getattr(f, n)) for n in _TEXT_FIELDS), *f.tags])
        if not pattern.search(hay):
            return False
    return True


@lru_cache(maxsize=64)
def _regex(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)
