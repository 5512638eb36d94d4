"""A few junk bytes under a log's name (a `.log.gz` that is no gzip, a truncated copy) are named as
not read and keep the verdict from being a green `no_evidence`, even beside a clean log."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.findings import Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

W3SVC1 = "C/inetpub/logs/LogFiles/W3SVC1"
CLEAN = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
    "2021-03-03 10:00:00 10.0.0.5 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 15\n"
)
JUNK = bytes([0x48, 0xE6, 0x59, 0xA9, 0x13, 0xDF, 0xF1, 0x80, 0x38, 0xDA, 0xC7, 0xF2, 0xD2, 0x2A, 0x3A, 0x98])


@pytest.mark.parametrize("name", ["u_ex210304.log.gz", "u_ex210304.log"])
def test_junk_bytes_named_like_a_log_are_not_read(tmp_path: Path, name: str) -> None:
    folder = tmp_path / W3SVC1
    folder.mkdir(parents=True)
    (folder / "u_ex210303.log").write_text(CLEAN, encoding="ascii")
    (folder / name).write_bytes(JUNK)
    result = run_scan(tmp_path, ScanOptions())
    unread = [s for s in result.coverage.skipped if s.path.endswith(name)]
    assert unread and "no log line could be read" in unread[0].reason
    assert result.verdict == Verdict.INCONCLUSIVE


def test_header_only_log_is_an_empty_log_not_damage(tmp_path: Path) -> None:
    folder = tmp_path / W3SVC1
    folder.mkdir(parents=True)
    (folder / "u_ex210303.log").write_text(CLEAN, encoding="ascii")
    (folder / "u_ex210304.log").write_text(CLEAN.rsplit("2021-03-03 10:00", 1)[0], encoding="ascii")
    result = run_scan(tmp_path, ScanOptions())
    assert not [s for s in result.coverage.skipped if s.path.endswith("u_ex210304.log")]
