"""Real disk images built once per test session from a generated Exchange server.

An NTFS volume is made with ``mkntfs`` on a plain file and filled through ``ntfs-3g`` (FUSE, as
root), then converted with ``qemu-img`` (VHDX, VMDK, QCOW2) and ``ewfacquire`` (E01); a split raw
image and a partitioned disk (MBR, several NTFS partitions) are laid out in Python. A missing tool
skips the tests that need it with the Debian package to install (``.ci/run`` installs them all).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from extriage.generator import generate

#: tool -> Debian package holding it
TOOLS = {"mkntfs": "ntfs-3g", "ntfs-3g": "ntfs-3g", "qemu-img": "qemu-utils", "ewfacquire": "ewf-tools"}
MIB = 1024 * 1024
VOLUME_MIB = 48


def need(*tools: str) -> None:
    """Skip unless every tool is installed (and FUSE usable for ntfs-3g), naming what to install."""
    missing = [t for t in tools if shutil.which(t) is None and shutil.which(t, path="/usr/sbin:/sbin") is None]
    if missing:
        pkgs = sorted({TOOLS[t] for t in missing})
        pytest.skip(f"needs {', '.join(missing)}: apt-get install {' '.join(pkgs)} (.ci/run installs them)")
    if "ntfs-3g" in tools and (os.geteuid() != 0 or not os.path.exists("/dev/fuse")):
        pytest.skip("filling an NTFS image needs ntfs-3g through FUSE as root (/dev/fuse); run as root or in .ci/run")


def _tool(name: str) -> str:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)


#: FILETIME of 2019-01-01: the creation time a time-stomped file is given in the images.
STOMPED_CRTIME = 131907744000000000


def make_ntfs(path: Path, size_mib: int, tree: Path | None, label: str = "EXCH",
              stomp: tuple[str, ...] = ()) -> Path:
    """An NTFS volume image at ``path`` holding a copy of ``tree`` (made by mkntfs, filled by ntfs-3g);
    the files at the ``stomp`` paths get a $STANDARD_INFORMATION creation time of 2019 (ntfs-3g's
    ``system.ntfs_crtime``), earlier than their $FILE_NAME creation: time-stomping."""
    with path.open("wb") as fh:
        fh.truncate(size_mib * MIB)
    _run(_tool("mkntfs"), "-F", "-Q", "-q", "-L", label, str(path))
    if tree is not None:
        mnt = path.with_suffix(".mnt")
        mnt.mkdir()
        _run(_tool("ntfs-3g"), "-o", "rw", str(path), str(mnt))
        try:
            _run("cp", "-a", f"{tree}/.", str(mnt))
        finally:
            _run("umount", str(mnt))
            mnt.rmdir()
    for rel in stomp:
        stomp_created(path, rel, STOMPED_CRTIME)
    return path


def stomp_created(volume: Path, rel: str, filetime: int) -> None:
    """Set the $STANDARD_INFORMATION creation time of the file at ``rel`` in an NTFS volume image, as
    time-stomping tools do, leaving its $FILE_NAME times (ntfs-3g would set both). The volume is
    fresh from mkntfs: its $MFT is contiguous from the cluster its boot sector names."""
    from extriage.evidence.loaders.image import close_images
    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source

    (ref,) = [f.ref for f in build_inventory(open_source(volume), lambda p, w: None).files if f.ref.member == rel]
    close_images()
    data = bytearray(volume.read_bytes())
    cluster = struct.unpack_from("<H", data, 11)[0] * data[13]
    start = struct.unpack_from("<Q", data, 0x30)[0] * cluster + ref.index * 1024
    assert data[start : start + 4] == b"FILE"
    attr = struct.unpack_from("<H", data, start + 20)[0]
    while struct.unpack_from("<I", data, start + attr)[0] != 0x10:  # $STANDARD_INFORMATION
        attr += struct.unpack_from("<I", data, start + attr + 4)[0]
    value = start + attr + struct.unpack_from("<H", data, start + attr + 20)[0]
    struct.pack_into("<Q", data, value, filetime)
    volume.write_bytes(bytes(data))


def mbr_disk(path: Path, volumes: list[tuple[int, bytes | Path]]) -> Path:
    """A raw disk with an MBR and one primary partition per ``(type, content)``, each 1 MiB aligned."""
    entries = b""
    offset = MIB
    layout: list[tuple[int, bytes | Path]] = []
    for ptype, content in volumes:
        size = content.stat().st_size if isinstance(content, Path) else len(content)
        size = -(-size // MIB) * MIB
        entries += struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff", offset // 512, size // 512)
        layout.append((offset, content))
        offset += size
    mbr = bytes(446) + entries.ljust(64, b"\x00") + b"\x55\xaa"
    with path.open("wb") as out:
        out.write(mbr)
        out.truncate(offset)
        for at, content in layout:
            out.seek(at)
            if isinstance(content, Path):
                with content.open("rb") as src:
                    shutil.copyfileobj(src, out, 4 * MIB)
            else:
                out.write(content)
    return path


@pytest.fixture(scope="session")
def server_tree(tmp_path_factory: pytest.TempPathFactory, test_data: Path) -> Path:
    """A generated compromised Exchange 2016 server as a drive root, with real CC0 event logs."""
    root = tmp_path_factory.mktemp("tree") / "C"
    generate(root, scenario="proxylogon", seed=11, size="1MB", days=3, layout="drive")
    logs = root / "Windows" / "System32" / "winevt" / "Logs"
    logs.mkdir(parents=True, exist_ok=True)
    for evtx in sorted((test_data / "evtx-samples-cc0").glob("*.evtx")):
        shutil.copy2(evtx, logs / evtx.name)
    # the registry hives the build and mitigation stages read (synthetic ones of the tests beside)
    tests = Path(__file__).resolve().parent.parent
    config = root / "Windows" / "System32" / "config"
    config.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tests / "mitigation" / "data" / "SYSTEM_mitigated", config / "SYSTEM")
    shutil.copy2(tests / "patch" / "fixtures" / "SOFTWARE-cu19-kb5000871", config / "SOFTWARE")
    return root


@pytest.fixture(scope="session")
def ntfs_volume(server_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    need("mkntfs", "ntfs-3g")
    return make_ntfs(tmp_path_factory.mktemp("img") / "server.raw", VOLUME_MIB, server_tree, stomp=(stomped(server_tree),))


def stomped(tree: Path) -> str:
    """The web shell the image builder back-dates: the first page in aspnet_client."""
    page = sorted((tree / "inetpub" / "wwwroot" / "aspnet_client").rglob("*.aspx"))[0]
    return page.relative_to(tree).as_posix()


@pytest.fixture(scope="session")
def images(ntfs_volume: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same volume in every format the scan reads (those whose tool is missing are left out)."""
    out = tmp_path_factory.mktemp("formats")
    made: dict[str, Path] = {"raw": ntfs_volume}
    split = out / "split"
    split.mkdir()
    with ntfs_volume.open("rb") as src:
        n = 1
        while chunk := src.read(20 * MIB):
            (split / f"server.{n:03d}").write_bytes(chunk)
            n += 1
    made["split"] = split / "server.001"
    if shutil.which("qemu-img"):
        for fmt, suffix in (("vhdx", "vhdx"), ("vmdk", "vmdk"), ("qcow2", "qcow2"), ("vpc", "vhd")):
            dest = out / f"server.{suffix}"
            _run("qemu-img", "convert", "-f", "raw", "-O", fmt, str(ntfs_volume), str(dest))
            made[suffix] = dest
    if shutil.which("ewfacquire"):
        target = out / "server"
        _run("ewfacquire", "-u", "-q", "-t", str(target), "-f", "encase6", "-c", "deflate:fast", "-S", "0",
             "-C", "case", "-D", "exch01", "-E", "1", "-e", "examiner", "-N", "test", str(ntfs_volume))
        made["e01"] = out / "server.E01"
    return made
