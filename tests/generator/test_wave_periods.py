"""``wave_days``: each later wave sits in its own exploitation window with logs around it (issue 13:
the demo planted ProxyNotShell (2022) and ProxyToken in March 2021 logs)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from extriage.detections.verdict import load_waves
from extriage.generator import GeneratorError, generate
from extriage.generator.plan import WAVE_PERIODS, make_plan
from extriage.scan.pipeline import run_scan

LATER = ("proxyshell", "proxytoken", "proxynotshell")


def test_wave_periods_lie_in_the_detection_windows() -> None:
    waves = load_waves()
    for wave, (first, window_end) in WAVE_PERIODS.items():
        window = waves[wave].window
        assert window is not None
        assert window[0] <= first.date() and (first.date() < window_end.date())
        assert window_end.date().toordinal() == window[1].toordinal() + 1  # the window's end, exclusive


def test_plan_periods_only_for_waves_the_main_period_misses() -> None:
    plan = make_plan("full", wave_days=7)
    assert set(plan.wave_periods) == set(LATER)
    assert plan.periods()[0] == (plan.start, plan.end)
    summer = make_plan("full", wave_days=7, end=datetime(2021, 8, 20, tzinfo=UTC), days=30)
    assert "proxyshell" not in summer.wave_periods  # its logs already reach into ProxyShell's window
    assert set(summer.wave_periods) == {"proxytoken", "proxynotshell"}
    assert make_plan("full").wave_periods == {}  # default: every wave in the main period
    with pytest.raises(ValueError, match="wave days"):
        make_plan("full", wave_days=2)
    with pytest.raises(GeneratorError, match="wave days"):
        generate(Path("/nonexistent-never-written"), scenario="full", wave_days=3)


def test_each_wave_found_in_its_own_period(tmp_path: Path) -> None:
    g = generate(tmp_path / "s", scenario="full", seed=3, size="900KB", days=6, wave_days=5, planter_modules=[
        "extriage.generator.waves"])
    facts = g.plan.extras["waves"]
    iis_days = sorted(p.name for p in g.dest.rglob("u_ex*.log") if "W3SVC1" in str(p))
    for wave in LATER:
        first, last = g.plan.wave_periods[wave]
        start = datetime.fromisoformat(facts[wave]["start"].replace("Z", "+00:00"))
        assert first <= start < last
        assert f"u_ex{first:%y%m%d}.log" in iis_days  # everyday traffic logged around the attack
    result = run_scan(str(g.dest))
    for story in result.stories:
        wave = next((w for w in LATER if story.title.lower().replace(" ", "").startswith(w)), None)
        if wave is None or story.first_seen is None:
            continue
        first, last = g.plan.wave_periods[wave]
        assert first <= story.first_seen < last, (story.title, story.first_seen)
    assert {result.waves[w].value for w in LATER} == {"compromised"}
    # the main (ProxyLogon) period holds no later-wave line
    main_days = {f"u_ex{d:%y%m%d}.log" for d in (g.plan.start,)}
    text = "".join(p.read_text("utf-8", "replace") for p in g.dest.rglob("u_ex*.log") if p.name in main_days)
    assert "autodiscover.json" not in text.lower() and "InboxRules.svc" not in text
