"""Does one URL Rewrite ``<rule>`` do what the mitigation needs? HealthChecker's criteria, named.

Why: a rule that exists is not a rule that works. HealthChecker (CSS-Exchange,
Invoke-AnalyzerSecurityCve-2022-41040) counts a rule only with the expected pattern and input,
AbortRequest or CustomResponse, a regular-expression pattern syntax, ``match url=".*"``,
``stopProcessing`` where needed, and not disabled. Each failed criterion is reported by a stable
code so tests and users can tell *which* way the mitigation is broken.
"""

from __future__ import annotations

from dataclasses import dataclass

from extriage.detections.mitigations.catalog import ExpectedRule
from extriage.detections.mitigations.hierarchy import Entry
from extriage.formats.iis_config import XNode


@dataclass(slots=True)
class Defect:
    code: str  # "disabled", "wrong-pattern", "weak-pattern", "wrong-input", "wildcard-syntax", ...
    message: str
    node: XNode  # the element at fault


def _false(value: str | None) -> bool:
    return value is not None and value.strip().lower() in {"false", "0"}


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in {"true", "1"}


def find_condition(rule: XNode, expected: ExpectedRule) -> XNode | None:
    conds = rule.find("conditions")
    if conds is None:
        return None
    adds = conds.findall("add")
    for add in adds:
        if (add.get("input") or "").strip().lower() == expected.input.lower():
            return add
    return adds[0] if adds else None


def check_rule(entry: Entry, expected: ExpectedRule, only_rule: bool = False) -> list[Defect]:
    """Every way ``entry`` falls short of ``expected`` (empty list: the rule does its job)."""
    rule = entry.node
    defects: list[Defect] = []
    name = rule.get("name") or ""
    if _false(rule.get("enabled")):
        defects.append(Defect("disabled", f'rule "{name}" is disabled (enabled="false")', rule))
    syntax = (rule.get("patternSyntax") or "ECMAScript").strip().lower()
    if syntax not in {"ecmascript", "regular expressions", "regularexpressions"}:
        defects.append(
            Defect(
                "wildcard-syntax" if syntax == "wildcard" else "wrong-syntax",
                f'rule "{name}" uses patternSyntax="{rule.get("patternSyntax")}"; the pattern is not read as a regular expression',
                rule,
            )
        )
    if expected.stop_processing and not _true(rule.get("stopProcessing")) and not only_rule:
        defects.append(
            Defect("no-stop-processing", f'rule "{name}" lacks stopProcessing="true"', rule)
        )
    match = rule.find("match")
    if match is None:
        defects.append(Defect("no-match", f'rule "{name}" has no <match url=".*"/>', rule))
    else:
        if (match.get("url") or "") != ".*":
            defects.append(
                Defect("wrong-match-url", f'rule "{name}" matches url="{match.get("url")}" instead of ".*"', match)
            )
        if _true(match.get("negate")):
            defects.append(Defect("negated-match", f'rule "{name}" negates its <match>', match))
    cond = find_condition(rule, expected)
    if cond is None:
        defects.append(Defect("no-condition", f'rule "{name}" has no {expected.input} condition', rule))
    else:
        cond_input = cond.get("input") or ""
        if cond_input.strip().lower() != expected.input.lower():
            defects.append(
                Defect("wrong-input", f'rule "{name}" tests input "{cond_input}" instead of "{expected.input}"', cond)
            )
        pattern = cond.get("pattern") or ""
        if pattern != expected.pattern:
            if pattern in expected.weak_patterns:
                defects.append(
                    Defect(
                        "weak-pattern",
                        f'rule "{name}" uses the early pattern "{pattern}", known to be bypassable; expected "{expected.pattern}"',
                        cond,
                    )
                )
            else:
                defects.append(
                    Defect("wrong-pattern", f'rule "{name}" pattern is "{pattern}", expected "{expected.pattern}"', cond)
                )
        if _true(cond.get("negate")):
            defects.append(Defect("negated-condition", f'rule "{name}" negates its condition', cond))
        match_type = (cond.get("matchType") or "Pattern").strip().lower()
        if match_type not in {"pattern", "0"}:
            defects.append(
                Defect("wrong-match-type", f'rule "{name}" condition has matchType="{cond.get("matchType")}"', cond)
            )
        if _false(cond.get("ignoreCase")):
            defects.append(
                Defect("case-sensitive", f'rule "{name}" condition has ignoreCase="false"; other casings pass', cond)
            )
        conds = rule.find("conditions")
        others = [a for a in (conds.findall("add") if conds is not None else []) if a is not cond]
        grouping = (conds.get("logicalGrouping") if conds is not None else None) or "MatchAll"
        if others and grouping.strip().lower() != "matchany":
            defects.append(
                Defect(
                    "extra-conditions",
                    f'rule "{name}" has {len(others)} extra condition(s) that must also match (MatchAll), narrowing it',
                    others[0],
                )
            )
    action = rule.find("action")
    action_type = (action.get("type") if action is not None else None) or "None"
    if action_type not in expected.actions:
        defects.append(
            Defect(
                "wrong-action",
                f'rule "{name}" action is "{action_type}", expected {" or ".join(expected.actions)}',
                action if action is not None else rule,
            )
        )
    return defects


def looks_like(entry: Entry, expected: ExpectedRule, known_names: tuple[str, ...]) -> bool:
    """For criteria-matched mitigations: is this rule an attempt at it (by name or by condition)?"""
    name = entry.name.lower()
    if name in {n.lower() for n in known_names} or name == expected.name.lower():
        return True
    conds = entry.node.find("conditions")
    if conds is None:
        return False
    for add in conds.findall("add"):
        pattern = (add.get("pattern") or "").lower()
        if "autodiscover" in pattern and "powershell" in pattern:
            return True
    return False


def shadowing_rule(entries: list[Entry], target: Entry) -> Entry | None:
    """An earlier enabled rule that ends processing for every URL before ``target`` runs, if any."""
    for e in entries:
        if e is target:
            return None
        node = e.node
        if _false(node.get("enabled")) or not _true(node.get("stopProcessing")):
            continue
        match = node.find("match")
        conds = node.find("conditions")
        action = node.find("action")
        action_type = (action.get("type") if action is not None else None) or "None"
        if (
            match is not None
            and match.get("url") in {".*", "*", "^.*$"}
            and not _true(match.get("negate"))
            and (conds is None or not conds.findall("add"))
            and action_type in {"Rewrite", "Redirect", "None"}
        ):
            return e
    return None
