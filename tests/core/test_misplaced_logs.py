"""A log in another family's folder is read as the family its own header names (e.g. an HttpProxy
log copied into a W3SVC folder by a collection script), and the report says so."""

from __future__ import annotations

from pathlib import Path

from extriage.findings import Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .builders import core_stages, hp_header, ssrf, write


def test_httpproxy_log_in_an_iis_folder_is_read_as_httpproxy(tmp_path: Path) -> None:
    misplaced = write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
                      hp_header("plain") + ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241") + "\n")
    result = run_scan(str(tmp_path), ScanOptions(jobs=1), stages=core_stages())
    assert result.verdict == Verdict.COMPROMISED
    ssrf_findings = [f for f in result.findings if f.rule_id.startswith("PL-26855")]
    assert ssrf_findings and ssrf_findings[0].evidence[0].source == str(misplaced)
    assert "httpproxy" in result.coverage.families and result.coverage.families["httpproxy"].files == 1
    assert "iis" not in result.coverage.families or result.coverage.families["iis"].files == 0
    assert any("read as the family its own header names" in w and "u_ex210303.log (httpproxy)" in w
               for w in result.coverage.warnings)


def test_oabgenerator_words_do_not_turn_an_iis_log_into_something_else(tmp_path: Path) -> None:
    text = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
            "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
            "2021-03-03 06:00:00 10.0.0.1 GET /oab/OABGenerator/x.lzx - 443 - 10.0.0.5 UA - 200 0 0 5\n")
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", text)
    result = run_scan(str(tmp_path), ScanOptions(jobs=1), stages=core_stages())
    assert result.coverage.families["iis"].files == 1
    assert not any("own header" in w for w in result.coverage.warnings)
