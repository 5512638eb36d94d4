"""Evidence that is one file no stage reads as evidence says so, instead of "1 file of webfiles" alone."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

TESTS = Path(__file__).resolve().parents[1]
LONE = "The evidence is one file of a kind extriage does not read as evidence"


def _warned(path: Path) -> list[str]:
    result = run_scan(str(path), ScanOptions(jobs=1))
    return [w for w in result.coverage.warnings if w.startswith(LONE)]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("blob.bin", random.Random(7).randbytes(5000)),
        ("notes.txt", b"hello\nworld\n"),
        ("dump", b"\x00\x01\x02" * 100),
    ],
)
def test_a_lone_file_of_no_known_kind_is_named_as_only_checked_as_a_file(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    warned = _warned(path)
    assert len(warned) == 1 and warned[0].endswith(str(path))


def test_a_lone_file_read_by_a_stage_is_not_named(tmp_path: Path) -> None:
    hive = tmp_path / "SOFTWARE"  # read by the patch stage for the build
    shutil.copyfile(TESTS / "patch" / "fixtures" / "SOFTWARE-cu19-kb5000871", hive)
    evtx = tmp_path / "a.evtx"
    shutil.copyfile(TESTS / "data" / "evtx-samples-cc0" / "ID1-WMIexec process execution.evtx", evtx)
    page = tmp_path / "x.aspx"  # a page is what the web file stage reads
    page.write_text('<%@ Page Language="C#" %><html><body>hello</body></html>', encoding="utf-8")
    for path in (hive, evtx, page):
        assert _warned(path) == [], path


def test_a_folder_holding_one_unknown_file_is_not_a_lone_file(tmp_path: Path) -> None:
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "blob.bin").write_bytes(b"\x00\x01" * 50)
    assert _warned(tmp_path / "ev") == []
