"""Generated servers carrying each later wave: the right wave, chain and verdict; attempts and
scanner noise told apart from success; the ProxyShell shell joined across events, files and IIS."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from extriage.findings import Outcome, ScanResult, Verdict
from extriage.generator import generate
from extriage.scan.pipeline import run_scan

LATER = {"proxyshell", "proxynotshell", "proxytoken"}
SMALL = {"size": "400KB", "days": 5, "layout": "kape", "seed": 5}
ENDS = {"proxyshell": datetime(2021, 8, 12, tzinfo=UTC), "proxynotshell": datetime(2022, 10, 6, tzinfo=UTC),
        "proxytoken": datetime(2021, 9, 4, tzinfo=UTC)}


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ScanResult, dict[str, object]]]:
    root: Path = tmp_path_factory.mktemp("waves")
    out: dict[str, tuple[ScanResult, dict[str, object]]] = {}
    for wave, end in ENDS.items():
        g = generate(root / wave, scenario=wave, end=end, **SMALL)  # type: ignore[arg-type]
        out[wave] = (run_scan(str(g.dest)), g.plan.extras["waves"])
    for scenario in ("attempts", "scanner"):
        g = generate(root / scenario, scenario=scenario, waves=LATER, end=ENDS["proxynotshell"], **SMALL)  # type: ignore[arg-type]
        out[scenario] = (run_scan(str(g.dest)), g.plan.extras["waves"])
    return out


@pytest.mark.parametrize("wave", sorted(LATER))
def test_each_wave_compromised_with_its_own_story(scans: dict[str, tuple[ScanResult, dict[str, object]]], wave: str) -> None:
    result, facts = scans[wave]
    assert result.verdict == Verdict.COMPROMISED, result.verdict_reason
    assert result.waves[wave] == Verdict.COMPROMISED
    for other in LATER - {wave}:
        # not attacked: clean, or not checkable where the logs do not reach that wave's period
        assert result.waves[other] in (Verdict.NO_EVIDENCE, Verdict.INCONCLUSIVE), other
    attacker = facts[wave]["attacker_ips"][0]  # type: ignore[index]
    story = next(s for s in result.stories if s.wave == wave and attacker in s.client_ips)
    assert story.outcome == Outcome.SUCCESS
    assert [s.timestamp for s in story.steps] == sorted(s.timestamp for s in story.steps)  # type: ignore[type-var]
    summary = result.extras["waves"][wave]
    assert summary["verdict"] == "compromised" and summary["exploitation_window"]["start"].startswith("202")
    assert any(attacker in s for s in summary["stories"])


def test_proxyshell_chain_joins_events_file_and_shell_requests(scans: dict[str, tuple[ScanResult, dict[str, object]]]) -> None:
    result, facts = scans["proxyshell"]
    ps: dict[str, str] = facts["proxyshell"]  # type: ignore[assignment]
    attacker, operator = ps["attacker_ips"]  # type: ignore[misc]
    story = next(s for s in result.stories if s.wave == "proxyshell" and attacker in s.client_ips)
    titles = " | ".join(s.title for s in story.steps)
    for step in ("/mapi (emsmdb/nspi)", "EWS", "remote PowerShell", "Mailbox Import Export", "PST-encoded web shell written"):
        assert step in titles, titles
    # the back-end view (computer account, no client address) joined the attacker's story
    by_id = {f.id: f for f in result.findings}
    ids = {i for s in story.steps for i in s.finding_ids}
    assert any(by_id[i].rule_id == "PS-34473-BACKEND" for i in ids)
    # the shell named by New-MailboxExportRequest is requested in IIS by the operator: one story, ProxyShell only
    shell_url = ps["shell_url"].lower()
    shell_story = [s for s in result.stories if operator in s.client_ips]
    assert [s.wave for s in shell_story] == ["proxyshell"]
    used = [f for f in result.findings if f.outcome == Outcome.WEBSHELL and shell_url in [u.lower() for u in f.indicators.urls]]
    assert used and operator in used[0].indicators.client_ips
    assert shell_url in {u.lower() for u in result.extras["logs"]["pivots"]["webshell_urls"]}
    export = next(f for f in result.findings if f.rule_id == "EVT-MGMT-EXPORT-WEBSHELL")
    assert export.wave == "proxyshell" and any(ps["shell_path"].split("\\")[-1] in p for p in export.indicators.paths)


def test_proxynotshell_rps_http_rows(scans: dict[str, tuple[ScanResult, dict[str, object]]]) -> None:
    result, facts = scans["proxynotshell"]
    ips = facts["proxynotshell"]["attacker_ips"]  # type: ignore[index]
    rps = [f for f in result.findings if f.rule_id == "PNS-RPS-CLIENTINFO"]
    assert {ip for f in rps for ip in f.indicators.client_ips} == set(ips)
    assert all(f.outcome == Outcome.SUCCESS for f in rps)
    owassrf = next(s for s in result.stories if ips[1] in s.client_ips)
    assert owassrf.wave == "proxynotshell" and any("OWASSRF" in s.title for s in owassrf.steps)
    expected = [f for f in result.findings if f.rule_id == "PNS-RPS-EXPECTED"]
    assert expected and all(f.outcome == Outcome.INFO for f in expected)
    assert result.coverage.families["rps_http"].files >= 5


def test_attempts_are_not_success(scans: dict[str, tuple[ScanResult, dict[str, object]]]) -> None:
    result, _ = scans["attempts"]
    assert result.verdict == Verdict.ATTEMPTED, result.verdict_reason
    for wave in LATER:
        assert result.waves[wave] == Verdict.ATTEMPTED, wave
    assert not [f for f in result.findings if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL)]


def test_scanner_noise_never_counts(scans: dict[str, tuple[ScanResult, dict[str, object]]]) -> None:
    result, _ = scans["scanner"]
    assert result.verdict in (Verdict.NO_EVIDENCE, Verdict.ATTEMPTED), result.verdict_reason
    assert {result.waves["proxyshell"], result.waves["proxynotshell"]} <= {Verdict.NO_EVIDENCE, Verdict.INCONCLUSIVE}
    scanner_rules = {f.rule_id for f in result.findings if f.outcome == Outcome.SCANNER}
    assert {"PS-34473-AUTODISCOVER", "PNS-41040-AUTODISCOVER"} <= scanner_rules
    probe_lines = [e.raw for f in result.findings if f.outcome == Outcome.SCANNER for e in f.evidence if "extriage-probe" in e.raw]
    assert probe_lines  # our own probe --confirm requests are recognised
    assert not [s for s in result.stories if s.wave in LATER]


def test_missing_rps_http_logs_are_a_coverage_warning(tmp_path: Path) -> None:
    g = generate(tmp_path / "pl", scenario="proxylogon", size="300KB", days=3, seed=2, planter_modules=[])
    result = run_scan(str(g.dest))
    assert any("no Rps_Http logs were" in w and "CVE-2022-41082" in w for w in result.coverage.warnings)


def test_proxytoken_forwarding_rule_in_ecp_log(scans: dict[str, tuple[ScanResult, dict[str, object]]]) -> None:
    result, facts = scans["proxytoken"]
    forward = facts["proxytoken"]["forward_to"]  # type: ignore[index]
    rule = next(f for f in result.findings if f.rule_id == "MAIL-FWD-ECP")
    # the victim's mailbox names the organisation's domain; the recipient's is another one
    assert rule.outcome == Outcome.ATTEMPT and rule.evidence[0].fields["Recipient"] == forward
    assert "to an outside address" in rule.title and "forwarding:outside" in rule.tags
    assert forward in rule.evidence[0].raw


def test_no_evidence_only_for_waves_whose_sources_were_assessed(
        scans: dict[str, tuple[ScanResult, dict[str, object]]]) -> None:
    """The catch-all wave has no window nor sources: info or scanner findings in it must not turn into a
    "no_evidence" claim; only what was found there (attempted / compromised) is reported for it."""
    saw_unassessed_finding = False
    for result, _ in scans.values():
        assessed = set(result.coverage.waves)
        saw_unassessed_finding |= any(f.wave is None or f.wave not in assessed for f in result.findings)
        for wave, verdict in result.waves.items():
            assert wave in assessed or verdict in (Verdict.ATTEMPTED, Verdict.COMPROMISED), (wave, verdict)
    assert saw_unassessed_finding  # the scans do hold findings outside every assessed wave
