"""Folders and files that cannot be read are named in "not read" and the scan finishes.

The test suite runs as root, for whom permission bits do not apply, so permission errors are
injected where the evidence code meets the OS (``os.scandir`` and opening a file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.builders import INSTALL, core_stages, hp_header, ssrf, write
from extriage.evidence import source
from extriage.findings import Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan


def test_unlistable_folder_and_unopenable_file_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hp = f"{INSTALL}/Logging/HttpProxy/Ecp"
    good = hp_header("plain") + ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241") + "\n"
    write(tmp_path, f"{hp}/HttpProxy_2021030306-1.LOG", good)
    locked = write(tmp_path, f"{hp}/HttpProxy_2021030307-1.LOG", good)
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", "#Fields: date time\n")
    locked_dir = tmp_path / "C/inetpub/logs/LogFiles/W3SVC1"

    real_scandir = os.scandir

    def scandir(path: Any) -> Iterator[os.DirEntry[str]]:
        if Path(path) == locked_dir:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    real_os_open = os.open

    def path_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(file) == locked:
            raise PermissionError(13, "Permission denied")
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(source.os, "scandir", scandir)
    monkeypatch.setattr(source.os, "open", path_open)  # evidence files are opened there (safe_open)
    result = run_scan(str(tmp_path), ScanOptions(jobs=1), stages=core_stages())
    assert result.verdict == Verdict.COMPROMISED  # the readable file still counts
    reasons = {s.path: s.reason for s in result.coverage.skipped}
    assert "Permission denied" in reasons[str(locked_dir)] and "folder cannot be listed" in reasons[str(locked_dir)]
    assert any(p.endswith("HttpProxy_2021030307-1.LOG") and "Permission denied" in r for p, r in reasons.items())
    assert any("not read completely" in w for w in result.coverage.warnings)
