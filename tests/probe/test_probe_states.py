"""Mapping the build knowledge's per-CVE statuses onto the probe's per-wave states."""

from __future__ import annotations

from extriage.probe.states import State, load_assess, verdict_for_build

assess = load_assess()


def test_cu_only_names_the_su() -> None:
    v = verdict_for_build("15.1.2176", assess)
    assert v.waves["proxylogon"].state is State.VULNERABLE_UNLESS_SU
    assert "15.1.2176.9" in (v.waves["proxylogon"].fixed_by or "")
    assert "KB5000871" in v.waves["proxylogon"].reason
    # CU19 never got the Nov22SU: vulnerable from the CU alone.
    assert v.waves["proxynotshell"].state is State.VULNERABLE
    assert v.product == "Exchange 2016 CU19"


def test_exact_builds() -> None:
    v = verdict_for_build("15.1.2176.9", assess)
    assert v.waves["proxylogon"].state is State.PATCHED
    assert v.waves["proxyshell"].state is State.VULNERABLE
    assert "15.1.2176.14" in (v.waves["proxyshell"].fixed_by or "")
    # What the build cannot show (Extended Protection for CVE-2024-21410) is never "patched".
    assert verdict_for_build("15.1.2507.35", assess).waves["other"].state is State.UNKNOWN


def test_no_knowledge_or_bad_build_is_unknown() -> None:
    assert {w.state for w in verdict_for_build("15.1.2176.9", None).waves.values()} == {State.UNKNOWN}
    assert {w.state for w in verdict_for_build("99.9.9.9", assess).waves.values()} == {State.UNKNOWN}
    assert {w.state for w in verdict_for_build("15.x", assess).waves.values()} == {State.UNKNOWN}
