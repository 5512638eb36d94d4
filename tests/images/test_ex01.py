"""EnCase 7 Ex01 images (EWF version 2), read through libewf (``pyewf``).

No tool here writes an Ex01 (Debian's ewfacquire of libewf 20140813 turns ``-f encase7-v2`` into an
E01; the libewf-python wheel cannot write), so :func:`conftest.make_ex01` writes one by the format's
documentation; libewf reads it back byte-identical to the raw volume (below), and the Ex01 of the
generated server scans as the folder does (``test_same_as_folder``). What cannot be read — a cut
or corrupt Ex01, or libewf missing — is named in one sentence, never ``no_evidence``."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from extriage.evidence.loaders import ewf2
from extriage.evidence.loaders.image import close_images
from extriage.scan.pipeline import run_scan


def test_libewf_reads_the_written_ex01_as_the_raw_volume(images: dict[str, Path]) -> None:
    pyewf = pytest.importorskip("pyewf", reason="needs libewf-python (pip install -e .)")
    raw = images["raw"].read_bytes()
    segments = pyewf.glob(str(images["ex01"]))  # libewf's own segment naming
    assert [Path(p).name for p in segments] == ["server.Ex01", "server.Ex02"] == \
        [Path(p).name for p in ewf2.segments(str(images["ex01"]))]
    handle = pyewf.handle()
    handle.open(segments)
    try:
        assert images["ex01"].read_bytes()[:8] == b"EVF2\r\n\x81\x00" and handle.get_media_size() == len(raw)
        assert hashlib.sha256(handle.read(len(raw))).hexdigest() == hashlib.sha256(raw).hexdigest()
    finally:
        handle.close()
    disk = ewf2.open_disk(str(images["ex01"]))  # the loader's own stream over it
    try:
        disk.seek(3)
        assert disk.read(8) == b"NTFS    " and disk.size == len(raw)
    finally:
        disk.close()
    assert all(fh.closed for fh in disk.files)


def _reason(path: Path) -> tuple[str, str]:
    close_images()
    result = run_scan(str(path))
    (reason,) = [s.reason for s in result.coverage.skipped if s.path == str(path)]
    return result.verdict.value, reason


def test_cut_ex01_is_named(images: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("pyewf", reason="needs libewf-python (pip install -e .)")
    data = images["ex01"].read_bytes()
    for name, part in (("head.Ex01", data[: len(data) // 3]), ("noise.Ex01", data[:10] + os.urandom(2 * 1024 * 1024))):
        bad = tmp_path / name
        bad.write_bytes(part)
        verdict, reason = _reason(bad)
        assert verdict == "inconclusive"
        assert reason.startswith(("disk image cannot be read, it is truncated or corrupt",
                                  "disk image cannot be opened, it is truncated or corrupt")), reason


def test_ex01_without_libewf_says_what_it_needs(images: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyewf", None)  # import pyewf fails as when it is not installed
    verdict, reason = _reason(images["ex01"])
    assert verdict == "inconclusive"
    assert reason == ewf2.NEEDS and "pip install libewf-python" in reason
