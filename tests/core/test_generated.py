"""Done-when checks on servers made by ``extriage.generator`` (all three HttpProxy header layouts,
weeks of benign traffic): compromised / clean / attempts / scanner noise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extriage.findings import Outcome, ScanResult, Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .builders import core_stages

generator = pytest.importorskip("extriage.generator.api")


def _make(tmp: Path, scenario: str) -> tuple[Any, ScanResult]:
    gen = generator.generate(tmp / scenario, scenario=scenario, seed=7, size="2MB", days=5, jobs=1)
    return gen, run_scan(str(gen.dest), ScanOptions(jobs=2), stages=core_stages())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, ScanResult]]:
    tmp = tmp_path_factory.mktemp("gen")
    return {s: _make(tmp, s) for s in ("proxylogon", "clean", "attempts", "scanner")}


def test_generated_compromised_server(runs: dict[str, tuple[Any, ScanResult]]) -> None:
    gen, result = runs["proxylogon"]
    plan = gen.plan
    assert result.verdict == Verdict.COMPROMISED
    attacker = plan.attacker_ips[0]
    assert attacker in result.verdict_reason
    story = next(s for s in result.stories if attacker in s.client_ips)
    titles = " | ".join(s.title for s in story.steps)
    for needle in ("autodiscover", "mapi", "proxyLogon.ecp", "DDIService", "ResetOAB"):
        assert needle in titles, titles
    assert story.outcome == Outcome.SUCCESS
    ts = [e.timestamp for e in result.timeline]
    assert ts == sorted(ts)
    # the planted web shell URLs were seen being used, and OAB's written path was reported
    urls = {u.lower() for f in result.findings if f.outcome == Outcome.WEBSHELL for u in f.indicators.urls}
    assert plan.shell_url.lower() in urls or any(sh.url.lower() in urls for sh in plan.shells)
    oab = [f for f in result.findings if f.rule_id == "PL-26858-OAB-WRITE"]
    written = " ".join(oab[0].indicators.paths).lower() if oab else ""
    assert any(sh.path.lower().rsplit("\\", 1)[-1] in written for sh in plan.shells), written


def test_generated_clean_server(runs: dict[str, tuple[Any, ScanResult]]) -> None:
    _, result = runs["clean"]
    assert result.verdict == Verdict.NO_EVIDENCE, result.verdict_reason
    assert not [f for f in result.findings if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL, Outcome.ATTEMPT)
                and f.rule_id.startswith(("PL-", "WS-", "XS-"))]
    fams = result.coverage.families
    assert fams["httpproxy"].lines > 1000 and fams["iis"].files >= 5
    assert fams["httpproxy"].first is not None and fams["httpproxy"].last is not None
    assert result.activity["requests_per_hour"]["iis"]


def test_generated_attempts_only(runs: dict[str, tuple[Any, ScanResult]]) -> None:
    _gen, result = runs["attempts"]
    log_outcomes = {f.outcome for f in result.findings if f.rule_id.startswith(("PL-", "WS-", "XS-"))}
    assert Outcome.ATTEMPT in log_outcomes
    assert not log_outcomes & {Outcome.SUCCESS, Outcome.WEBSHELL}, [
        (f.rule_id, f.title) for f in result.findings if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL)]
    assert result.waves["proxylogon"] == Verdict.ATTEMPTED


def test_generated_scanner_noise_is_not_compromised(runs: dict[str, tuple[Any, ScanResult]]) -> None:
    _, result = runs["scanner"]
    assert result.verdict != Verdict.COMPROMISED, result.verdict_reason
    assert any(f.outcome == Outcome.SCANNER for f in result.findings)
