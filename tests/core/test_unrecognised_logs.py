"""A *.log the user pointed at that is no known log is named in "not read"; every other file no stage
read is named too (with why), but unrelated files do not make the verdict inconclusive."""

from __future__ import annotations

import os
from pathlib import Path

from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .builders import core_stages, write


def _skipped(path: Path) -> dict[str, str]:
    result = run_scan(str(path), ScanOptions(jobs=1), stages=core_stages())
    return {Path(s.path).name: s.reason for s in result.coverage.skipped}


def _relevant(path: Path) -> dict[str, bool]:
    result = run_scan(str(path), ScanOptions(jobs=1), stages=core_stages())
    return {Path(s.path).name: s.relevant for s in result.coverage.skipped}


def test_binary_file_named_log_in_a_plain_folder_or_alone_is_named(tmp_path: Path) -> None:
    junk = write(tmp_path / "logs", "HttpProxy_2021030301.LOG", os.urandom(3000).replace(b"#", b"x"))
    write(tmp_path / "logs", "notes.txt", "just notes\n")
    skipped = _skipped(tmp_path / "logs")
    assert "not recognised as an Exchange or IIS log" in skipped["HttpProxy_2021030301.LOG"]
    assert "no reader of this version" in skipped["notes.txt"]  # named, with why
    assert _relevant(tmp_path / "logs")["notes.txt"] is False
    assert "not recognised" in _skipped(junk)["HttpProxy_2021030301.LOG"]


def test_unrelated_windows_logs_on_a_drive_are_not_listed(tmp_path: Path) -> None:
    write(tmp_path, "C/Windows/Logs/CBS/CBS.log", "2021-03-03 10:00:00, Info CBS Starting\n")
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", "#Fields: date time cs-uri-stem\n")
    skipped = _skipped(tmp_path)
    assert "no reader of this version" in skipped["CBS.log"]  # listed, but it is no gap
    assert _relevant(tmp_path)["CBS.log"] is False
