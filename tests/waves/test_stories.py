"""A client address that only used a web shell is told once, in the wave whose attack it belongs to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from extriage.findings import AttackStory, Confidence, Finding, Outcome, Severity, StoryStep
from extriage.scan.stages.waves import dedupe_borrowed

T0 = datetime(2021, 8, 7, 9, tzinfo=UTC)


def _finding(fid: str, wave: str) -> Finding:
    f = Finding(rule_id=fid, title=fid, severity=Severity.HIGH, confidence=Confidence.HIGH, outcome=Outcome.SUCCESS, wave=wave)
    f.id = fid
    return f


def _story(wave: str, ip: str, ids: list[str], t: datetime) -> AttackStory:
    return AttackStory(wave=wave, title=f"{wave} from {ip}", client_ips=[ip], first_seen=t, last_seen=t,
                       steps=[StoryStep(t, "step", "", ids)])


def test_borrowed_story_kept_in_the_nearest_wave_only() -> None:
    findings = [_finding("PS", "proxyshell"), _finding("PL", "proxylogon"), _finding("WS", "post-exploitation")]
    ps_attack = _story("proxyshell", "1.1.1.1", ["PS"], T0)
    pl_attack = _story("proxylogon", "3.3.3.3", ["PL"], T0 - timedelta(days=150))
    shell_ps = _story("proxyshell", "2.2.2.2", ["WS"], T0 + timedelta(hours=1))
    shell_pl = _story("proxylogon", "2.2.2.2", ["WS"], T0 + timedelta(hours=1))
    kept = dedupe_borrowed([ps_attack, pl_attack, shell_ps, shell_pl], findings)
    assert [s.wave for s in kept if "2.2.2.2" in s.client_ips] == ["proxyshell"]
    assert ps_attack in kept and pl_attack in kept


def test_borrowed_story_contained_in_an_owned_story_is_dropped() -> None:
    findings = [_finding("PL", "proxylogon"), _finding("WS", "post-exploitation")]
    owned = _story("proxylogon", "2.2.2.2", ["PL", "WS"], T0)
    borrowed = _story("proxyshell", "2.2.2.2", ["WS"], T0)
    assert dedupe_borrowed([owned, borrowed], findings) == [owned]


def test_without_any_own_attack_proxylogon_keeps_it() -> None:
    findings = [_finding("WS", "post-exploitation")]
    a = _story("proxyshell", "2.2.2.2", ["WS"], T0)
    b = _story("proxylogon", "2.2.2.2", ["WS"], T0)
    assert [s.wave for s in dedupe_borrowed([a, b], findings)] == ["proxylogon"]
