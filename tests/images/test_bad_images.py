"""Images that cannot be read, or only partly: each is named in one sentence, the scan finishes and
the verdict is never a green ``no_evidence``. A disk of several partitions is read whole and the
coverage says which volume held Exchange."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extriage.evidence.loaders.image import close_images
from extriage.scan.pipeline import run_scan

from .conftest import MIB, make_ntfs, mbr_disk, need


def _reasons(path: Path) -> tuple[str, dict[str, str]]:
    close_images()
    result = run_scan(str(path))
    return result.verdict.value, {s.path: s.reason for s in result.coverage.skipped}


def _bitlocker_volume(size: int = 2 * MIB) -> bytes:
    """The first sectors of a BitLocker volume: its ``-FVE-FS-`` boot sector, the rest encrypted."""
    data = bytearray(os.urandom(size))
    data[0:11] = b"\xeb\x58\x90-FVE-FS-"
    data[510:512] = b"\x55\xaa"
    return bytes(data)


def test_truncated_e01_is_named_not_read(images: dict[str, Path], tmp_path: Path) -> None:
    if "e01" not in images:
        pytest.skip("needs ewfacquire: apt-get install ewf-tools")
    cut = tmp_path / "cut.E01"
    cut.write_bytes(images["e01"].read_bytes()[: images["e01"].stat().st_size // 3])
    verdict, reasons = _reasons(cut)
    assert verdict == "inconclusive"
    assert "truncated or corrupt" in reasons[str(cut)]


@pytest.mark.parametrize("fmt", ["raw", "vhdx"])
def test_truncated_image_is_never_an_all_clear(fmt: str, images: dict[str, Path], tmp_path: Path) -> None:
    if fmt not in images:
        pytest.skip("needs qemu-img: apt-get install qemu-utils")
    cut = tmp_path / f"cut.{fmt}"
    with images[fmt].open("rb") as src:
        cut.write_bytes(src.read(8 * MIB))
    verdict, reasons = _reasons(cut)
    assert verdict != "no_evidence"  # what was read may still show the attack: then it says so
    said = " ".join(reasons.values())
    assert "truncated" in said or "ends early" in said


def test_unknown_container_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "server.vhdx"
    junk.write_bytes(os.urandom(2 * MIB))
    verdict, reasons = _reasons(junk)
    assert verdict == "inconclusive"
    assert reasons[str(junk)].startswith("named like a disk image but its content is no image format")


def test_corrupt_vmdk_header_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "server.vmdk"
    bad.write_bytes(b"KDMV" + os.urandom(2 * MIB))
    verdict, reasons = _reasons(bad)
    assert verdict == "inconclusive"
    assert "disk image cannot be opened, it is truncated or corrupt" in reasons[str(bad)]


def test_bitlocker_volume_is_named(tmp_path: Path) -> None:
    vol = tmp_path / "c.raw"
    vol.write_bytes(_bitlocker_volume())
    verdict, reasons = _reasons(vol)
    assert verdict == "inconclusive"
    (reason,) = reasons.values()
    assert reason.startswith("BitLocker-encrypted volume") and "recovery key" in reason


def test_disk_without_windows_volume_is_named(tmp_path: Path) -> None:
    disk = mbr_disk(tmp_path / "disk.raw", [(0x83, os.urandom(2 * MIB))])  # a Linux partition of noise
    verdict, reasons = _reasons(disk)
    assert verdict == "inconclusive"
    assert reasons[str(disk)] == "disk image holds no Windows (NTFS) volume; nothing in it was read"


def test_image_without_exchange_is_not_no_evidence(tmp_path: Path) -> None:
    need("mkntfs", "ntfs-3g")
    tree = tmp_path / "tree"
    (tree / "Users" / "admin").mkdir(parents=True)
    (tree / "Users" / "admin" / "notes.txt").write_text("nothing to see\n")
    (tree / "Windows").mkdir()
    vol = make_ntfs(tmp_path / "plain.raw", 8, tree)
    folder = run_scan(str(tree))
    close_images()
    image = run_scan(str(vol))
    assert image.verdict == folder.verdict
    assert image.verdict.value != "no_evidence"
    assert image.exchange_install == "" and image.verdict_reason == folder.verdict_reason


def test_multi_partition_disk_reads_every_ntfs_volume(server_tree: Path, ntfs_volume: Path, tmp_path: Path) -> None:
    """MBR: a data volume (D:), the system volume with Exchange (C:), a BitLocker volume."""
    data_tree = tmp_path / "data"
    (data_tree / "Backups").mkdir(parents=True)
    (data_tree / "Backups" / "readme.txt").write_text("weekly backups\n")
    data = make_ntfs(tmp_path / "data.raw", 8, data_tree, label="DATA")
    disk = mbr_disk(tmp_path / "disk.raw", [(0x07, data), (0x07, ntfs_volume), (0x07, _bitlocker_volume())])
    close_images()
    result = run_scan(str(disk))
    assert result.verdict.value == "compromised"
    assert result.exchange_install.startswith("C:\\Program Files\\Microsoft\\Exchange Server")
    paths = {r.path for r in result.files}
    listed = {s.path for s in result.coverage.skipped}
    assert f"{disk}!partition 1/Backups/readme.txt" in paths | listed  # the data volume was read too
    assert any(p.startswith(f"{disk}!partition 2/Program Files/") for p in paths)
    assert f"{disk}!partition 3" in listed  # the BitLocker volume, named
    assert any(w.startswith("2 NTFS volumes were read") and f"{disk}!partition 2 (read as C:)" in w
               for w in result.coverage.warnings)
    notes = result.extras["containers"]
    assert any("partition 1 (NTFS, 8 MiB) read as D:" in n for n in notes)
