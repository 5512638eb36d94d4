"""A server page whose web shell checks did not all run (over the content cap, a time limit, a failed
analysis) leaves the verdict open: ``no_evidence`` is a claim that what could hold a web shell was
checked, and a shell padded past the cap would otherwise pass as clean."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from core.builders import build_server, write
from evidence.test_inconclusive import validate
from extriage.cli.main import _register, app
from extriage.evidence import source
from extriage.findings import ScanResult, Verdict
from extriage.report.load import loads_result
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

_register()
runner = CliRunner()

MB = 1024 * 1024
WEB = "C/inetpub/wwwroot/reports"
#: A harmless page bigger than the 1 MB cap the tests scan with: markup only, nothing dangerous in it.
BIG_PAGE = ('<%@ Page Language="C#" %>\n<html><body>\n' + "<p>report row</p>\n" * 90_000 + "</body></html>\n")


def scan(path: Path) -> ScanResult:
    source.close_archives()
    return run_scan(str(path), ScanOptions(jobs=1, max_file_size=1 * MB))


def test_a_page_over_the_content_cap_makes_a_clean_server_inconclusive(tmp_path: Path) -> None:
    server = build_server(tmp_path / "server", "clean")
    write(server, f"{WEB}/report.aspx", BIG_PAGE)
    assert len(BIG_PAGE) > MB
    result = scan(server)
    page = [s for s in result.coverage.skipped if s.path.endswith("report.aspx")]
    assert len(page) == 1 and page[0].partial and page[0].unchecked, page
    assert "content rules not run" in page[0].reason
    assert result.verdict == Verdict.INCONCLUSIVE, result.verdict_reason
    reason = result.verdict_reason
    assert "could not be fully checked for web shells" in reason and "report.aspx" in reason
    assert "--max-file-size" in reason
    # every wave the logs covered is open too: the page could hold what any of them left
    assert result.waves["proxylogon"] == Verdict.INCONCLUSIVE
    validate(result)
    again = loads_result(json.dumps(result.to_dict(), default=str))
    assert [s.unchecked for s in again.coverage.skipped if s.path.endswith("report.aspx")] == [True]


def test_the_same_server_without_the_big_page_is_no_evidence(tmp_path: Path) -> None:
    """The control: the clean server alone, and with a big file that no server runs, stays a claim."""
    server = build_server(tmp_path / "server", "clean")
    assert scan(server).verdict == Verdict.NO_EVIDENCE
    write(server, f"{WEB}/report.txt", BIG_PAGE)
    result = scan(server)
    assert not any(s.unchecked for s in result.coverage.skipped), result.coverage.skipped
    assert result.verdict == Verdict.NO_EVIDENCE, result.verdict_reason


def test_a_page_within_the_cap_is_checked_and_clean(tmp_path: Path) -> None:
    server = build_server(tmp_path / "server", "clean")
    write(server, f"{WEB}/report.aspx", BIG_PAGE)
    source.close_archives()
    result = run_scan(str(server), ScanOptions(jobs=1))  # the default 64 MB cap
    assert not any(s.path.endswith("report.aspx") for s in result.coverage.skipped)
    assert result.verdict == Verdict.NO_EVIDENCE, result.verdict_reason


def test_a_page_whose_code_was_only_partly_analysed_leaves_the_verdict_open(tmp_path: Path) -> None:
    """The behaviour analysis's own limit (past 1 MB of server code it reads the first MB and the last
    256 KB), not the content cap: the page is read and YARA-scanned whole, still a shell in its middle
    could be missed."""
    server = build_server(tmp_path / "server", "clean")
    code = "<% int total = 0;\n" + "total = total + 1;\n" * 80_000 + "%>\n"
    assert len(code) > 1.2 * MB
    write(server, f"{WEB}/totals.aspx", '<%@ Page Language="C#" %>\n' + code)
    source.close_archives()
    result = run_scan(str(server), ScanOptions(jobs=1))  # the default 64 MB cap: read in full
    page = [s for s in result.coverage.skipped if s.path.endswith("totals.aspx")]
    assert len(page) == 1 and page[0].unchecked, page
    assert "behaviour" in page[0].reason, page[0].reason
    assert result.verdict == Verdict.INCONCLUSIVE, result.verdict_reason
    assert "totals.aspx" in result.verdict_reason


def test_cli_names_the_page_and_exits_inconclusive(tmp_path: Path) -> None:
    server = build_server(tmp_path / "server", "clean")
    write(server, f"{WEB}/report.aspx", BIG_PAGE)
    res = runner.invoke(app, ["scan", str(server), "-j", "1", "--max-file-size", "1"])
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output
    out = " ".join(res.output.split())  # Rich wraps at its own width
    assert "could not be fully checked for web shells" in out and "not fully checked for web shells)" in out
    assert "report.aspx" in out


def test_a_larger_file_timeout_gives_the_behaviour_analysis_more_time() -> None:
    """The inconclusive reason tells the user to scan again with a larger ``--file-timeout``: that must
    reach the behaviour analysis, whose own budget is 5 s at the default 30 s."""
    from extriage.detections.webfiles.behaviour import BUDGET, for_timeout

    assert for_timeout(30.0) == BUDGET == 5.0
    assert for_timeout(2.0) == 2.0
    assert for_timeout(120.0) == 20.0
    assert for_timeout(600.0) > for_timeout(120.0)
