"""Exit codes of scan, patch-status and mitigation verify are documented and distinct across commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.cli import mitigation_cmd, patch_cmd, probe_cmd
from extriage.findings import EXIT_CODES, EXIT_INCOMPLETE, EXIT_USAGE, ScanResult, Verdict, exit_code

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_outcome_codes_are_distinct_across_commands_and_never_1() -> None:
    scan = {EXIT_CODES[Verdict.ATTEMPTED], EXIT_CODES[Verdict.COMPROMISED]}
    patch = {patch_cmd.EXIT_OPEN, patch_cmd.EXIT_NOT_ASSESSED}
    mitigation = {mitigation_cmd.EXIT_NOT_IN_FORCE, mitigation_cmd.EXIT_UNKNOWN}
    probe = {probe_cmd.EXIT_VULNERABLE, probe_cmd.EXIT_INCOMPLETE}
    assert len(scan) == len(patch) == len(mitigation) == len(probe) == 2
    groups = [scan | {EXIT_CODES[Verdict.ERROR]}, patch, mitigation, probe]
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            assert not (a & b), (a, b)
    common = {0, EXIT_USAGE}
    assert not (common & (scan | patch | mitigation))
    assert 1 not in scan | patch | mitigation  # 1 is what a crashed Python process returns
    assert EXIT_CODES[Verdict.NO_EVIDENCE] == patch_cmd.EXIT_OK == mitigation_cmd.EXIT_ALL_IN_FORCE == 0
    assert patch_cmd.EXIT_USAGE == EXIT_USAGE
    # a scan that could not read anything, or whose silence is incomplete, is neither clean nor a usage error
    assert EXIT_CODES[Verdict.ERROR] == EXIT_INCOMPLETE not in {0, EXIT_USAGE}


def test_no_evidence_with_a_failed_stage_is_incomplete_not_clean() -> None:
    result = ScanResult(evidence_path="x", verdict=Verdict.NO_EVIDENCE)
    assert exit_code(result) == 0
    result.extras["stage_errors"] = {"webfiles": "RuntimeError: boom"}
    assert exit_code(result) == EXIT_INCOMPLETE
    result.verdict = Verdict.COMPROMISED
    assert exit_code(result) == EXIT_CODES[Verdict.COMPROMISED]


def test_every_code_is_documented() -> None:
    scan_doc = (DOCS / "scan.md").read_text(encoding="utf-8")
    patch_doc = (DOCS / "patch-status.md").read_text(encoding="utf-8")
    mitigation_doc = (DOCS / "mitigation.md").read_text(encoding="utf-8")
    for code in EXIT_CODES.values():
        assert f"| {code} |" in scan_doc
    for code in (patch_cmd.EXIT_OK, patch_cmd.EXIT_OPEN, patch_cmd.EXIT_NOT_ASSESSED, patch_cmd.EXIT_USAGE):
        assert f"| {code} |" in patch_doc
    for code in (mitigation_cmd.EXIT_NOT_IN_FORCE, mitigation_cmd.EXIT_UNKNOWN):
        assert f"{code} = " in mitigation_doc


def test_scan_output_into_a_missing_folder_fails_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from extriage.cli import scan_cmd
    from extriage.cli.main import _register, app

    _register()
    calls: list[str] = []
    monkeypatch.setattr(scan_cmd, "run_scan", lambda *a, **k: calls.append("scan"))
    for option in ("--json", "--timeline"):
        (tmp_path / "ev").mkdir(exist_ok=True)
        res = CliRunner().invoke(app, ["scan", str(tmp_path / "ev"), option, str(tmp_path / "nope" / "out")])
        assert res.exit_code == EXIT_USAGE and "does not exist" in res.output and "Traceback" not in res.output
    assert calls == []
