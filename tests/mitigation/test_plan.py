"""The plan for a build (from the real build knowledge) and the rendered XML / PowerShell as text.

PowerShell cannot run here: these tests check the rendered script's text — every rule, every
service and app pool, all three modes, dry-run, logging, idempotence guards and rollback."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from extriage.detections.mitigations.catalog import load_catalog
from extriage.detections.mitigations.plan import PlanError, make_plan, ps_quote, render
from extriage.detections.mitigations.sources import MemorySource
from extriage.detections.mitigations.verify import verify

from .conftest import ROOT_WEB, server_files
from .xml_apply import apply_rules

E16_CU18 = "15.1.2106.2"  # Exchange 2016 CU18 without the March 2021 SU: every wave open
E19_CU12 = "15.2.1118.7"  # Exchange 2019 CU12: ProxyLogon/ProxyShell fixed, ProxyNotShell open
E19_PATCHED = "15.2.1118.20"  # Exchange 2019 CU12 Nov22SU


def test_plan_for_unpatched_2016_needs_everything() -> None:
    plan = make_plan(E16_CU18)
    ids = [m.id for m in plan.mitigations]
    assert set(ids) == {m for m in load_catalog().ids()}
    assert plan.services == ["MSExchangeUM", "MSExchangeUMCR"]
    assert set(plan.app_pools) == {"MSExchangeECPAppPool", "MSExchangeOABAppPool"}
    assert plan.managed_availability == ["MSExchangeHM", "MSExchangeHMRecovery"]
    assert "KB5019758" in plan.fix_hint
    assert any("CVE-2021-34473" in n and "only installing the update" in n for n in plan.notes)


def test_plan_for_2019_cu12_is_proxynotshell_only() -> None:
    plan = make_plan(E19_CU12)
    assert [m.id for m in plan.mitigations] == ["rewrite-module", "proxynotshell-rewrite"]
    assert plan.services == [] and plan.app_pools == [] and plan.managed_availability == []
    files = render(plan)
    script = files["Invoke-ExtriageMitigation.ps1"]
    assert "$HealthServices = @()" in script  # Managed Availability untouched for a rule-only plan
    assert "X-BEResource" not in files["rewrite-rules.xml"]


def test_plan_for_patched_build_has_nothing_to_do() -> None:
    plan = make_plan(E19_PATCHED)
    assert plan.mitigations == []
    assert "rewrite-rules.xml" not in render(plan)


def test_bad_build_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="not an Exchange build"):
        make_plan("banana")


def test_rendered_script_has_every_rule_service_and_mode() -> None:
    plan = make_plan(E16_CU18)
    script = render(plan)["Invoke-ExtriageMitigation.ps1"]
    for rule in plan.rules:
        assert f"Name = {ps_quote(rule.name)}" in script
        assert f"Pattern = {ps_quote(rule.pattern)}" in script
        assert f"Input = {ps_quote(rule.input)}" in script
    assert "StopProcessing = $true" in script and "StopProcessing = $false" in script
    for name in ("MSExchangeUM", "MSExchangeUMCR", "MSExchangeHM", "MSExchangeHMRecovery"):
        assert f"'{name}'" in script
    for pool in ("MSExchangeECPAppPool", "MSExchangeOABAppPool"):
        assert f"'{pool}'" in script
    assert "[ValidateSet('Apply', 'Verify', 'Rollback')]" in script
    for mode in ("'Verify' {", "'Apply' {", "'Rollback' {"):
        assert mode in script
    # dry-run and -WhatIf both go through one guarded change function; everything is logged
    assert "[switch]$DryRun" in script and "SupportsShouldProcess" in script
    assert "would $What" in script and "Add-Content -Path $LogPath" in script
    # idempotent: each change is preceded by a state test
    assert "already in force: unchanged" in script and "already stopped and disabled: unchanged" in script
    # rollback removes our rules by name only, restores services and pools, re-enables MA last
    rollback = script.split("'Rollback' {", 1)[1]
    assert "Remove-Rule" in rollback and "Start-AppPoolNow" in rollback and "Enable-ServiceNow" in rollback
    assert rollback.index("$Services") < rollback.index("$HealthServices")
    assert "rule[@name='$($Rule.Name)']" in script
    assert "Clear-WebConfiguration -PSPath $SitePath -Filter $RulesFilter\n" not in script  # never the whole section
    # apply disables Managed Availability before stopping anything
    apply = script.split("'Apply' {", 1)[1].split("'Rollback' {", 1)[0]
    assert apply.index("$HealthServices") < apply.index("foreach ($name in $Services)")
    assert "not a substitute for patching" in script.replace("NOT", "not")
    # every breaking note is in the help text
    for m in plan.mitigations:
        assert m.breaks.split(".")[0] in script


def _ps_structure(script: str) -> tuple[list[str], str]:
    """A tiny PowerShell lexer: brackets outside comments and single-quoted literals, and the final
    lexer state (anything but "code" means an unterminated string or comment)."""
    stack: list[str] = []
    problems: list[str] = []
    state = "code"
    i = 0
    pairs = {")": "(", "}": "{", "]": "["}
    while i < len(script):
        c = script[i]
        nxt = script[i + 1] if i + 1 < len(script) else ""
        if state == "code":
            if c == "<" and nxt == "#":
                state, i = "block", i + 2
                continue
            if c == "#":
                state = "line"
            elif c == "'":
                state = "single"
            elif c == '"':
                state = "double"
            elif c in "({[":
                stack.append(c)
            elif c in ")}]":
                if not stack or stack.pop() != pairs[c]:
                    problems.append(f"unbalanced {c} at {i}")
        elif state == "line" and c == "\n":
            state = "code"
        elif state == "block" and c == "#" and nxt == ">":
            state, i = "code", i + 2
            continue
        elif state == "single" and c == "'":
            if nxt == "'":
                i += 2
                continue
            state = "code"
        elif state == "double":
            if c == "`":
                i += 2
                continue
            if c == '"':
                state = "code"
            elif c in "({[":
                stack.append(c)
            elif c in ")}]":
                if not stack or stack.pop() != pairs[c]:
                    problems.append(f"unbalanced {c} in string at {i}")
        i += 1
    problems.extend(f"unclosed {b}" for b in stack)
    return problems, state


@pytest.mark.parametrize("build", [E16_CU18, E19_CU12])
def test_powershell_brackets_and_strings_balance(build: str) -> None:
    script = render(make_plan(build))["Invoke-ExtriageMitigation.ps1"]
    problems, state = _ps_structure(script)
    assert problems == [] and state == "code"
    # the lexer itself notices a broken script
    assert _ps_structure(script.replace("exit 0", "exit (0"))[0]


def test_ps_quote_escapes_quotes() -> None:
    assert ps_quote("it's") == "'it''s'"
    assert ps_quote("a\u2019b") == "'a\u2019\u2019b'"


def test_generated_xml_is_well_formed_and_exact() -> None:
    xml = render(make_plan(E16_CU18))["rewrite-rules.xml"]
    root = ET.fromstring(xml.encode())
    rules = {r.get("name"): r for r in root.iter("rule")}
    assert set(rules) == {"X-AnonResource-Backend Abort - inbound", "X-BEResource Abort - inbound", "PowerShell - inbound"}
    xbe = rules["X-BEResource Abort - inbound"]
    assert xbe.get("stopProcessing") == "true"
    cond = xbe.find("conditions/add")
    assert cond is not None and cond.get("pattern") == "(.*)X-BEResource=(.+)/(.+)~(.+)" and cond.get("input") == "{HTTP_COOKIE}"
    assert rules["X-AnonResource-Backend Abort - inbound"].get("stopProcessing") == "false"
    ps = rules["PowerShell - inbound"].find("conditions/add")
    assert ps is not None and ps.get("input") == "{UrlDecode:{REQUEST_URI}}"
    assert ps.get("pattern") == "(?=.*autodiscover)(?=.*powershell)"
    assert all(r.find("action").get("type") == "AbortRequest" for r in rules.values())  # type: ignore[union-attr]
    assert "not a substitute" in xml


def test_plan_with_evidence_skips_rules_in_force(shared_data: Path) -> None:
    files = server_files(shared_data, "E19")
    full = render(make_plan(E16_CU18))["rewrite-rules.xml"].encode()
    files[ROOT_WEB] = apply_rules(files[ROOT_WEB], full)
    report = verify(MemorySource(files))
    plan = make_plan(E16_CU18, report)
    assert {"proxylogon-rewrite", "proxynotshell-rewrite", "rewrite-module"} <= set(plan.already_in_force)
    rendered = render(plan)
    assert "rewrite-rules.xml" not in rendered
    assert "(found in the evidence: in-force)" in rendered["NOTES.md"]
    # the script still verifies them (and re-applying is a no-op)
    assert "X-BEResource Abort - inbound" in rendered["Invoke-ExtriageMitigation.ps1"]


def test_notes_say_what_breaks_and_not_a_substitute() -> None:
    notes = render(make_plan(E16_CU18))["NOTES.md"]
    assert "not a substitute for patching" in notes
    for word in ("Exchange Admin Center", "Offline Address Book", "Voicemail", "Managed Availability"):
        assert word in notes
    assert "CVE-2021-34473" in notes and "no interim mitigation exists" in notes
