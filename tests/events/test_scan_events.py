"""End to end: a generated server with planted event exports, scanned by the events stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.generator.api import generate
from extriage.scan.context import ScanContext

from .helpers import rule_ids, scan


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    dest = tmp_path_factory.mktemp("gen") / "srv"
    g = generate(dest, scenario="proxylogon", size="300KB", days=3, jobs=1, planter_modules=["extriage.generator.events"])
    plan = g.plan.to_dict()
    return dest, plan


def test_attack_traces_become_findings_in_one_timeline(server: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    dest, plan = server
    result = scan(dest, attacker_ips=set(plan["attacker_ips"]))
    ids = rule_ids(result)
    for rule in (
        "EVT-UM-26857-INVALIDCAST",
        "EVT-MGMT-OAB-SCRIPT",
        "EVT-MGMT-OAB-WEBSHELL-WRITE",
        "EVT-PROC-EXCH-W3WP-SHELL",
        "EVT-FILE-WEBSHELL-SYSTEM",
        "EVT-SHARE-WEBSHELL-WRITE",
        "EVT-PROC-LSASS-DUMP",
        "EVT-PROC-ARCHIVE-STAGING",
        "EVT-ECP-SSRF-ERROR",
        "EVT-LOG-CLEARED",
        "EVT-CORR-ATTACKER-IP",
    ):
        assert rule in ids, rule
    # benign w3wp -> csc/cvtres compilation never alerts
    assert "EVT-PROC-W3WP-SHELL" not in ids
    # account creation near the compromise counts; it is not downgraded to "info"
    acct = next(f for f in result.findings if f.rule_id == "EVT-ACCT-CREATED")
    assert acct.outcome.value == "success"
    # the timeline rows carry the ids of their findings
    rows = [e for e in result.timeline if e.kind == "event"]
    assert rows and all(e.finding_ids for e in rows)
    # the Security log clearing is a coverage warning
    assert any("cleared" in w for w in result.coverage.warnings)
    # timestamps are UTC and ordered
    assert result.timeline == sorted(result.timeline, key=lambda e: (e.timestamp, e.source, e.line or 0))
    ip = next(f for f in result.findings if f.rule_id == "EVT-CORR-ATTACKER-IP")
    assert ip.indicators.client_ips[0] in plan["attacker_ips"] and ip.evidence[0].raw


def test_webshell_path_is_shared_for_correlation(server: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    dest, plan = server
    seen: dict[str, set[str]] = {}

    from extriage.scan.facts import EventPivots

    class Spy:
        name = "spy"
        requires = (EventPivots,)
        provides = ()

        def run(self, ctx: ScanContext) -> None:
            seen["paths"] = set(ctx.facts.get(EventPivots).webshell_paths)

    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages import events as stage

    run_scan(str(dest), ScanOptions(jobs=1), stages=[*stage.STAGES, Spy()])
    assert plan["shell_path"].lower() in seen["paths"]


def test_no_event_logs_is_said(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here\n")
    result = scan(tmp_path)
    assert any("No Windows event logs" in w for w in result.coverage.warnings)
    assert not [f for f in result.findings if "events" in f.tags]


def test_event_findings_join_the_attack_story(server: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    from datetime import datetime, timedelta

    from extriage.findings import AttackStory, Outcome
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages import events as stage

    dest, plan = server
    start = datetime.fromisoformat(plan["attack_start"].replace("Z", "+00:00"))

    from extriage.scan.facts import WaveStories

    class FakeCorrelate:  # stands in for the core correlate stage's story of the web log findings
        name = "fake-correlate"
        requires = ()
        provides = (WaveStories,)

        def run(self, ctx: ScanContext) -> None:
            ctx.result.stories.append(
                AttackStory(wave="proxylogon", title="ProxyLogon attack chain from x", client_ips=["x"],
                            first_seen=start, last_seen=start + timedelta(minutes=30), outcome=Outcome.SUCCESS)
            )

    result = run_scan(str(dest), ScanOptions(jobs=1), stages=[*stage.STAGES, FakeCorrelate()])
    story = next(s for s in result.stories if s.title.endswith("from x"))
    in_story = {fid for step in story.steps for fid in step.finding_ids}
    by_rule = {f.rule_id: f.id for f in result.findings}
    assert by_rule["EVT-MGMT-OAB-WEBSHELL-WRITE"] in in_story
    assert by_rule["EVT-UM-26857-INVALIDCAST"] in in_story
    assert by_rule["EVT-PROC-LSASS-DUMP"] in in_story  # post-exploitation joins the closest story
    assert story.steps == sorted(story.steps, key=lambda s: (s.timestamp, s.title))


def test_clean_server_events_raise_nothing(tmp_path: Path) -> None:
    g = generate(tmp_path / "clean", scenario="clean", size="200KB", days=2, jobs=1, planter_modules=["extriage.generator.events"])
    result = scan(g.dest)
    assert [f.rule_id for f in result.findings if "events" in f.tags] == []
    fams = {k for k in result.coverage.families if k.startswith("events-export:")}
    assert {"events-export:Application", "events-export:Security", "events-export:MSExchange Management"} <= fams
    assert not any("cleared" in w for w in result.coverage.warnings)
