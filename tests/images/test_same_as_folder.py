"""A disk image of a server scans exactly as the same files in a folder: same verdict, findings,
stories, timeline, coverage and hashes, for every image format (raw, split raw, E01, Ex01, VHD,
VHDX, VMDK, QCOW2), read in place (the image is never written, nothing is mounted)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from extriage.evidence.loaders.image import close_images
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .conftest import stomped

#: Parts of a result that say where the evidence was and when the scan ran, not what it found.
WHERE = ("evidence_path", "layout", "started", "finished", "extras", "tool_version")


def comparable(path: Path, shown_root: str, jobs: int = 1) -> dict[str, Any]:
    """The scan result with the evidence's own display prefix replaced by ``<ev>``; what only an
    image can tell (NTFS times, time-stomping) is taken out into ``ntfs``."""
    result = run_scan(str(path), ScanOptions(jobs=jobs))
    ntfs: dict[str, Any] = {}
    for finding in result.findings:
        for ev in finding.evidence:
            if "ntfs_times" in ev.fields:
                ntfs[ev.source.replace(shown_root, "<ev>")] = ev.fields.pop("ntfs_times")
        if "timestomped" in finding.tags:
            finding.tags.remove("timestomped")
            finding.description = finding.description.split(" Its NTFS times were set back")[0]
    result.coverage.warnings = [w for w in result.coverage.warnings if "time-stomping" not in w]
    text = json.dumps(result.to_dict(), sort_keys=True, default=str)
    text = text.replace(json.dumps(shown_root)[1:-1], "<ev>")
    data: dict[str, Any] = json.loads(text)
    for key in WHERE:
        data.pop(key, None)
    data["ntfs"] = ntfs
    # the container files themselves (the image and its segments): their own SHA-256 records
    data["containers"] = {f["path"]: f for f in data["files"] if not f["path"].startswith("<ev>")}
    data["files"] = [f for f in data["files"] if f["path"].startswith("<ev>")]
    return data


@pytest.fixture(scope="module")
def folder_result(server_tree: Path) -> dict[str, Any]:
    return comparable(server_tree, str(server_tree) + "/")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for part in sorted(path.parent.glob(path.stem + ".*")):
        h.update(part.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("fmt", ["raw", "split", "e01", "ex01", "vhd", "vhdx", "vmdk", "qcow2"])
def test_image_scans_as_the_folder(fmt: str, images: dict[str, Path], folder_result: dict[str, Any],
                                   server_tree: Path) -> None:
    if fmt not in images:
        pytest.skip(f"no {fmt} image: its tool is missing (apt-get install qemu-utils ewf-tools)")
    if fmt == "ex01":
        pytest.importorskip("pyewf", reason="Ex01 is read through libewf-python (pip install -e .)")
    image = images[fmt]
    before = _digest(image)
    close_images()
    got = comparable(image, f"{image}!volume/")
    assert got["verdict"] == folder_result["verdict"] == "compromised"
    hashed = {f["path"] for f in got["files"]}
    # the hives in the image feed the build and mitigation stages as the collected files do
    assert {"<ev>Windows/System32/config/SYSTEM", "<ev>Windows/System32/config/SOFTWARE"} <= hashed
    for key in sorted(set(folder_result) - {"ntfs", "containers"}):
        assert got[key] == folder_result[key], f"{fmt}: {key} differs from the folder scan"
    # the image file(s) read are hashed too, each segment whole (the folder scan has no container)
    assert not folder_result["containers"]
    segments = sorted(image.parent.glob(image.stem + ".*")) if fmt in ("split", "ex01") else [image]
    assert got["containers"] == {str(p): {"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                                          "size": p.stat().st_size, "mtime": got["containers"][str(p)]["mtime"]}
                                 for p in segments}
    # beyond the copied files: NTFS times of each suspicious file, and the back-dated one said so
    assert not folder_result["ntfs"] and got["ntfs"]
    assert all(t["standard_information"]["created"] and t["file_name"]["created"] for t in got["ntfs"].values())
    assert {src for src, t in got["ntfs"].items() if t["timestomped"]} == {f"<ev>{stomped(server_tree)}"}
    assert _digest(image) == before  # read-only


def test_image_read_by_worker_processes(images: dict[str, Path], folder_result: dict[str, Any]) -> None:
    """Workers reopen the image from each file's picklable locator (not the parent's handles)."""
    image = images.get("e01") or images["raw"]
    close_images()
    got = comparable(image, f"{image}!volume/", jobs=2)
    assert got["findings"] == folder_result["findings"]
    assert got["files"] == folder_result["files"] and set(got["containers"]) == {str(image)}
    assert got["coverage"] == folder_result["coverage"]


def test_image_inside_an_evidence_folder_is_read(images: dict[str, Path], tmp_path: Path) -> None:
    """An image handed over inside a case folder (with its other segments) is opened too, its
    files located under a drive letter; the segments are not listed as files of their own."""
    case = tmp_path / "case"
    case.mkdir()
    for part in sorted(images["split"].parent.iterdir()):
        os.link(part, case / part.name)
    result = run_scan(str(case))
    assert result.verdict.value == "compromised"
    assert result.exchange_install.startswith("C:\\Program Files\\Microsoft\\Exchange Server")
    assert not [s for s in result.coverage.skipped if s.path.endswith((".002", ".003"))]
    assert any(r.path.startswith(f"{case}/server.001!volume/") for r in result.files)


def _open_files() -> set[str]:
    """What this process has open (Linux: /proc/self/fd), by target."""
    found: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the fd of the listing itself, gone already
            continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc/self/fd (Linux)")
@pytest.mark.parametrize("fmt", ["raw", "split", "e01", "ex01", "vhdx"])
def test_scan_releases_the_image(fmt: str, images: dict[str, Path]) -> None:
    """The pipeline closes the image at the end of the scan: no handle of it (or of a segment) is
    left open and no hashing thread keeps running."""
    if fmt not in images:
        pytest.skip(f"no {fmt} image: its tool is missing (apt-get install qemu-utils ewf-tools)")
    if fmt == "ex01":
        pytest.importorskip("pyewf", reason="Ex01 is read through libewf-python (pip install -e .)")
    import threading

    close_images()
    before = _open_files()
    result = run_scan(str(images[fmt]))
    assert result.verdict.value == "compromised"
    left = {p for p in _open_files() - before if p.startswith(str(images[fmt].parent))}
    assert not left, f"still open after the scan: {sorted(left)}"
    assert not [t for t in threading.enumerate() if t.name == "extriage-container-hash"]
