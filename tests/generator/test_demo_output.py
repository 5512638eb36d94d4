"""``extriage demo``'s terminal: short, the verdict whole at 80 columns, a recap at the end, details in
the HTML report (issue 13: ~1,470 lines, the verdict scrolled away and its headline was cut)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from extriage.cli import generate_cmd
from extriage.findings import Outcome, ScanResult, Verdict
from extriage.report.brief import render_brief


def _console(width: int = 80) -> Console:
    return Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False, color_system=None)


def _text(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def _words(text: str) -> list[str]:
    return re.sub(r"[─\s]+", " ", text).split()


def test_demo_output_is_short_readable_at_80_columns_and_ends_with_a_recap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = _console(80)
    monkeypatch.setattr(generate_cmd, "out", console)
    monkeypatch.setattr(generate_cmd, "DEMO_SIZE", "700KB")
    generate_cmd.demo_cmd(dest=str(tmp_path / "demo"), seed=1, html=True)
    text = _text(console)
    lines = text.splitlines()
    assert len(lines) < 80, text
    assert max(len(line) for line in lines) <= 80
    verdict_at = next(i for i, line in enumerate(lines) if "VERDICT: COMPROMISED" in line)
    assert verdict_at < 10  # on the first screen
    recap_at = next(i for i, line in enumerate(lines) if "Recap" in line)
    assert "COMPROMISED" in "\n".join(lines[recap_at:])
    assert "ProxyLogon compromised" in " ".join(lines[recap_at:])
    report = tmp_path / "demo-report.html"
    assert report.is_file() and str(report) in "".join(lines[recap_at:]).replace("\n", "")
    # the later waves sit in their own periods, and the demo says which
    assert "2022-09" in text and "(ProxyNotShell)" in text


def _result(reason: str) -> ScanResult:
    result = ScanResult(evidence_path="/e", verdict=Verdict.COMPROMISED, verdict_reason=reason)
    result.waves = {"proxynotshell": Verdict.NO_EVIDENCE, "proxylogon": Verdict.COMPROMISED}
    return result


def test_verdict_reason_is_never_cut_at_80_columns() -> None:
    reason = (
        "Successful exploitation or web shell use found from 198.51.100.7 and 4 more: Request to a page under "
        "aspnet_client (web shell) at 2021-03-02T09:32:40Z (55 findings show success). Check the coverage "
        "before relying on a clean wave: the IIS logs end 2021-03-11."
    )
    console = _console(80)
    render_brief(_result(reason), console)
    text = _text(console)
    assert " ".join(_words(reason)) in " ".join(_words(text))  # every word, in order, none cut
    assert "relyin " not in text and "…" not in text
    flat = " ".join(_words(text))  # wave titles come from the wave registry, in the order of their periods
    assert flat.index("ProxyLogon compromised") < flat.index("ProxyNotShell / OWASSRF no_evidence")


def test_catch_all_wave_is_named_by_its_registry_title() -> None:
    result = _result("Found.")
    result.waves["other"] = Verdict.ATTEMPTED
    console = _console(80)
    render_brief(result, console)
    assert "Other known-exploited CVEs attempted" in " ".join(_words(_text(console)))


def test_attacker_text_in_brief_is_escaped() -> None:
    result = _result("Web shell [red]x[/red] \x1b[31m at \u202e.aspx")
    from extriage.findings import AttackStory

    result.stories = [AttackStory("proxylogon", "chain from \x1b]0;pwn\x07 [bold]", outcome=Outcome.SUCCESS)]
    console = _console(120)
    render_brief(result, console, details="report \x1b[2J.html")
    text = _text(console)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "[red]x[/red]" in text and "[bold]" in text and "\\x1b" in text and "\\u202e" in text


def test_scan_terminal_prints_the_whole_verdict_reason_at_80_columns() -> None:
    """``extriage scan``'s own terminal cut the reason mid-word at 400 characters ("…before relyin …")."""
    from extriage.report.terminal import render_scan

    reason = "No evidence of exploitation in " + ", ".join(f"family{i} 2021-03-0{i % 9 + 1}" for i in range(30))
    reason += "; read the coverage warnings before relying on this."
    assert len(reason) > 400
    result = _result(reason)
    result.verdict = Verdict.NO_EVIDENCE
    console = _console(80)
    render_scan(result, console)
    text = _text(console)
    assert " ".join(_words(reason)) in " ".join(_words(text))
    assert all(len(line) <= 80 for line in text.splitlines())
