"""A zip of a collection gives the same scan as the collection itself, read in place with one open
archive per process (the central directory is parsed once, not once per member)."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest

from extriage.evidence import source
from extriage.generator import generate
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan


def _summary(path: Path, jobs: int) -> tuple[str, list[tuple[str, str, int]], list[str]]:
    r = run_scan(str(path), ScanOptions(jobs=jobs))
    findings = sorted((f.rule_id, f.outcome.value, f.count) for f in r.findings)
    return r.verdict.value, findings, sorted(f.sha256 for f in r.files)


@pytest.mark.parametrize("jobs", [1, 2])
def test_zip_and_folder_scan_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    generate(tmp_path / "kape", scenario="proxylogon", seed=5, size="1MB", days=3, layout="kape")
    generate(tmp_path / "ev.zip", scenario="proxylogon", seed=5, size="1MB", days=3, layout="zip")
    opened: list[str] = []
    real = zipfile.ZipFile

    def counting(*args: object, **kwargs: object) -> zipfile.ZipFile:
        if not isinstance(args[0], tempfile.SpooledTemporaryFile):  # not the nested staging archive
            opened.append(str(args[0]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(source.zipfile, "ZipFile", counting)
    source.close_archives()
    folder = _summary(tmp_path / "kape", jobs)
    zipped = _summary(tmp_path / "ev.zip", jobs)
    assert zipped[0] == folder[0] == "compromised"
    assert zipped[1] == folder[1]
    assert zipped[2] == folder[2]  # same bytes read and hashed
    if jobs == 1:  # one process: the archive is opened for the check, the listing and once for reading
        assert len(opened) <= 3, opened
