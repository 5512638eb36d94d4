"""Collections written by Fox-IT's ``acquire`` (its default tar, the same tar gzip-compressed, and its
zip output) scan as the same files in a folder: same verdict, findings, stories, timeline and
coverage. The collections are real: ``acquire`` (a dev dependency) is run on an NTFS image built
by the test, collecting every top folder of the generated server (``fs/C:/…`` inside)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from extriage.evidence.loaders.image import close_images
from extriage.scan.pipeline import run_scan

from .conftest import VOLUME_MIB, make_ntfs, need
from .test_same_as_folder import _open_files, comparable


@pytest.fixture(scope="module")
def acquire_tree(server_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated server without its one folder pair that differs only by case (``frontend`` and
    ``FrontEnd``: two folders on the NTFS volume, one folder in acquire's case-insensitive view)."""
    root = tmp_path_factory.mktemp("acq") / "C"
    shutil.copytree(server_tree, root, symlinks=True)
    v15 = root / "Program Files" / "Microsoft" / "Exchange Server" / "V15"
    if (v15 / "frontend").is_dir() and (v15 / "FrontEnd").is_dir():
        for child in (v15 / "frontend").iterdir():
            shutil.move(str(child), str(v15 / "FrontEnd" / child.name))
        (v15 / "frontend").rmdir()
    return root


def _acquire(image: Path, out: Path, output_type: str, tree: Path) -> Path:
    """Run acquire on the image, collecting every top folder (and file) of ``tree``."""
    out.mkdir()
    paths = [arg for top in sorted(p.name for p in tree.iterdir()) for arg in ("--path", f"C:/{top}")]
    proc = subprocess.run([sys.executable, "-c", "import sys; from acquire.acquire import main; sys.exit(main())",
                           "-p", "none", *paths, "--disable-report", "-o", str(out), "-ot", output_type, str(image)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (made,) = out.glob(f"*.{output_type}")
    return made


@pytest.fixture(scope="module")
def collections(acquire_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    need("mkntfs", "ntfs-3g")
    if importlib.util.find_spec("acquire") is None:
        pytest.skip("needs Fox-IT's acquire: pip install -e '.[dev]'")
    work = tmp_path_factory.mktemp("acquired")
    image = make_ntfs(work / "server.raw", VOLUME_MIB, acquire_tree)
    made = {"tar": _acquire(image, work / "tar", "tar", acquire_tree),
            "zip": _acquire(image, work / "zip", "zip", acquire_tree)}
    # acquire --compress writes the same tar through gzip (tarfile "w:gz"): made here from the tar
    tgz = work / "tgz" / (made["tar"].name + ".gz")
    tgz.parent.mkdir()
    with made["tar"].open("rb") as src, gzip.open(tgz, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst)
    made["tar.gz"] = tgz
    close_images()
    return made


def _same(result: dict[str, Any], folder: dict[str, Any], zipped: bool) -> None:
    for data in (result, folder):  # an archive lists its members in its own order, not a folder walk's
        data["files"] = sorted(data["files"], key=lambda f: f["path"])
        data["coverage"]["skipped"] = sorted(data["coverage"]["skipped"], key=lambda s: (s["path"], s["reason"]))
        for f in data["files"]:  # acquire writes a tar's times from a float of seconds: the last µs may round
            f["mtime"] = f["mtime"][:19]
    if not zipped:
        for key in sorted(set(folder) - {"ntfs", "containers"}):
            assert result[key] == folder[key], f"{key} differs from the folder scan"
        return
    # a zip keeps DOS times (2 s steps, no zone), and a web file's finding is dated by its mtime: the
    # same findings, files, hashes and coverage counts, compared without the files' own times
    def what(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "findings": sorted((f["rule_id"], f["title"], f["severity"], f["outcome"], f["wave"], len(f["evidence"]))
                               for f in data["findings"]),
            "files": [(f["path"], f["sha256"], f["size"]) for f in data["files"]],
            "skipped": data["coverage"]["skipped"],
            "families": {k: (v["files"], v["lines"], v["bytes"]) for k, v in data["coverage"]["families"].items()},
            "verdict": (data["verdict"], data["waves"], len(data["stories"])),
        }

    assert what(result) == what(folder)


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "zip"])
def test_acquire_collection_scans_as_the_folder(kind: str, collections: dict[str, Path], acquire_tree: Path) -> None:
    path = collections[kind]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = comparable(acquire_tree, f"{acquire_tree}/")
    got = comparable(path, f"{path}!fs/C:/")
    assert got["verdict"] == folder["verdict"] == "compromised"
    assert got["exchange_install"] == "C:\\Program Files\\Microsoft\\Exchange Server\\V15"
    _same(got, folder, zipped=kind == "zip")
    if kind != "zip":  # the archive read through a loader is hashed itself
        assert got["containers"] == {str(path): {"path": str(path), "sha256": before, "size": path.stat().st_size,
                                                 "mtime": got["containers"][str(path)]["mtime"]}}
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # read-only
    if os.path.isdir("/proc/self/fd") and kind != "zip":  # released at the end of the scan
        assert str(path) not in _open_files()


def test_truncated_acquire_tar_is_named(collections: dict[str, Path], tmp_path: Path) -> None:
    """Cut inside a member, and cut at a member boundary (no end-of-archive blocks): never an
    all-clear, the cut said in one sentence."""
    data = collections["tar"].read_bytes()
    with tarfile.open(collections["tar"]) as tf:
        members = [m for m in tf.getmembers() if m.isreg()]
    middle = members[len(members) // 2]
    for name, size in (("inside.tar", middle.offset_data + middle.size // 2),
                       ("boundary.tar", middle.offset_data + -(-middle.size // 512) * 512)):
        cut = tmp_path / name
        cut.write_bytes(data[:size])
        result = run_scan(str(cut))
        assert result.verdict.value != "no_evidence"
        said = {s.path: s.reason for s in result.coverage.skipped}
        assert any("tar archive is truncated" in r for r in said.values()), said
    half = tmp_path / "half.tar.gz"
    half.write_bytes(collections["tar.gz"].read_bytes()[: collections["tar.gz"].stat().st_size // 2])
    result = run_scan(str(half))
    assert result.verdict.value != "no_evidence"
    assert any("truncated" in s.reason for s in result.coverage.skipped if s.path == str(half))


def test_xz_tar_and_traversal_names_are_named(tmp_path: Path) -> None:
    """An xz- or bzip2-compressed tar is named (decompress it first); a member climbing out of the
    archive is named and not read, the others are."""
    src = tmp_path / "x.txt"
    src.write_text("hello\n")
    xz = tmp_path / "collection.tar.xz"
    with tarfile.open(xz, "w:xz") as tf:
        tf.add(src, "fs/C:/Users/x.txt")
    (reason,) = [s.reason for s in run_scan(str(xz)).coverage.skipped]
    assert reason.startswith("xz-compressed tar archive: not read in place") and "xz -dk" in reason
    bz2 = tmp_path / "collection.tar.bz2"
    with tarfile.open(bz2, "w:bz2") as tf:
        tf.add(src, "fs/C:/Users/x.txt")
    result = run_scan(str(bz2))
    (reason,) = [s.reason for s in result.coverage.skipped]
    assert reason.startswith("bzip2-compressed tar archive: not read in place") and result.verdict.value != "no_evidence"
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tf:
        tf.add(src, "../../etc/evil.txt")
        tf.add(src, "fs/C:/Users/ok.txt")
    result = run_scan(str(bad))
    assert result.layout == "tar:kape"  # fs/C:/ is a drive folder, as KAPE's C/ is
    said = {s.path: s.reason for s in result.coverage.skipped}
    assert said[f"{bad}!../../etc/evil.txt"] == "tar entry with a path-traversal name; not read"
    assert f"{bad}!fs/C:/Users/ok.txt" in said or any(r.path == f"{bad}!fs/C:/Users/ok.txt" for r in result.files)
