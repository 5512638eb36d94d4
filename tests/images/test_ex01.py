"""EnCase 7 Ex01 (EWF version 2) images, read through libewf (``pyewf``).

No tool here writes an Ex01: Debian's ewfacquire (libewf 20140813) turns ``-f encase7-v2`` into
EnCase 6 (E01) with "Unsupported EWF format defaulting to: encase6", and the libewf-python wheel
cannot write ("compiled without zlib"). So the libewf-backed disk of the Ex01 loader is proven end
to end on a real EWF image libewf reads (the E01 ewfacquire writes, routed through the Ex01 path),
and an Ex01 that cannot be read — corrupt, or libewf missing — is named in one sentence."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from extriage.evidence.loaders import ewf2, image
from extriage.evidence.loaders.image import close_images
from extriage.scan.pipeline import run_scan

from .test_same_as_folder import comparable


def test_ex01_disk_scans_as_the_folder(images: dict[str, Path], server_tree: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyewf", reason="needs libewf-python (pip install -e .)")
    if "e01" not in images:
        pytest.skip("needs ewfacquire: apt-get install ewf-tools")
    e01 = images["e01"]
    with e01.open("rb") as fh:
        signature = fh.read(8)
    monkeypatch.setitem(image.DISK_FORMATS, signature, "extriage.evidence.loaders.ewf2")
    opened: list[ewf2.Ex01Disk] = []
    real_open = ewf2.open_disk

    def tracked(path: str) -> ewf2.Ex01Disk:
        opened.append(real_open(path))
        return opened[-1]

    monkeypatch.setattr(ewf2, "open_disk", tracked)
    folder_result = comparable(server_tree, f"{server_tree}/")
    close_images()
    got = comparable(e01, f"{e01}!volume/")
    assert opened, "the image was not read through libewf"
    for key in sorted(set(folder_result) - {"ntfs", "containers"}):
        assert got[key] == folder_result[key], f"{key} differs from the folder scan"
    assert all(fh.closed for disk in opened for fh in disk.files)  # released at the end of the scan


def _ex01(path: Path, body: bytes) -> Path:
    """A file that starts as an Ex01 segment does (EWF2 file header: signature, version 2.1)."""
    path.write_bytes(b"EVF2\r\n\x81\x00" + b"\x02\x01" + body)
    return path


def test_corrupt_ex01_is_named(tmp_path: Path) -> None:
    pytest.importorskip("pyewf", reason="needs libewf-python (pip install -e .)")
    bad = _ex01(tmp_path / "server.Ex01", os.urandom(2 * 1024 * 1024))
    close_images()
    result = run_scan(str(bad))
    assert result.verdict.value == "inconclusive"
    (reason,) = [s.reason for s in result.coverage.skipped if s.path == str(bad)]
    assert reason.startswith("disk image cannot be read, it is truncated or corrupt") or \
        reason.startswith("disk image cannot be opened, it is truncated or corrupt"), reason


def test_ex01_without_libewf_says_what_it_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyewf", None)  # import pyewf fails as when it is not installed
    ex01 = _ex01(tmp_path / "server.Ex01", bytes(1024 * 1024))
    close_images()
    result = run_scan(str(ex01))
    assert result.verdict.value == "inconclusive"
    (reason,) = [s.reason for s in result.coverage.skipped if s.path == str(ex01)]
    assert reason == ewf2.NEEDS and "pip install libewf-python" in reason
