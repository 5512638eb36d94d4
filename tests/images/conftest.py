"""Real disk images built once per test session from a generated Exchange server.

An NTFS volume is made with ``mkntfs`` on a plain file and filled through ``ntfs-3g`` (FUSE, as
root), then converted with ``qemu-img`` (VHDX, VMDK, QCOW2) and ``ewfacquire`` (E01); a split raw
image, a partitioned disk (MBR, several NTFS partitions) and an EnCase 7 Ex01 are laid out in
Python (no tool here writes Ex01: see :func:`make_ex01`). A missing tool skips the tests that need
it with the Debian package to install (``.ci/run`` installs them all).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import time
import zlib
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


def _ex01_objects(tags: list[str], values: list[str]) -> bytes:
    """An EWF2 serialized object string (one "main" object): UTF-16 LE with its byte-order mark,
    zlib-compressed (the file header's compression method)."""
    text = "1\nmain\n" + "\t".join(tags) + "\n" + "\t".join(values) + "\n\n"
    return zlib.compress(b"\xff\xfe" + text.encode("utf-16-le"))


def make_ex01(raw: Path, dest: Path, segments: int = 1, chunk_sectors: int = 64) -> Path:
    """An EnCase 7 Ex01 (EWF version 2) of the raw image ``raw`` in ``segments`` segment files
    (``dest`` = ``x.Ex01``, then ``x.Ex02``…), written by the format as libyal documents it ("Expert
    Witness Compression Format 2"; keramics' ewf2.md): each segment a 32-byte file header (segment
    number, set identifier), then sections each followed by its 64-byte descriptor (type, flags, the
    previous descriptor's offset, data size, padding, Adler-32): device information, case data, its
    share of the zlib-compressed 32 KiB chunks (16-byte aligned) and their sector table, then
    ``next`` — or, in the last segment, the MD5 hash and ``done``.

    Debian's ewfacquire (libewf 20140813) turns ``-f encase7-v2`` into an E01 and the libewf-python
    wheel cannot write, so this is how a real Ex01 is made here; libewf (pyewf) reads it back
    byte-identical to the raw image (checked in the tests)."""
    data = raw.read_bytes()
    chunk = chunk_sectors * 512
    chunks = -(-len(data) // chunk)
    per_segment = -(-chunks // segments)
    set_id = os.urandom(16)
    now = str(int(time.time()))
    device = _ex01_objects(["sn", "md", "lb", "ts", "hs", "dc", "dt", "pid", "rs", "ls", "bp", "ph"],
                           ["", "", "", str(len(data) // 512), "", "", "f", "", "", "", "512", "1"])
    case = _ex01_objects(["nm", "cn", "en", "ex", "nt", "av", "os", "tt", "at", "tb", "cp", "sb", "gr", "wb"],
                         ["exch01", "case", "1", "examiner", "test", "extriage tests", "Linux", now, now, str(chunks),
                          "1", str(chunk_sectors), "1", ""])
    for number in range(1, segments + 1):
        out = bytearray(b"EVF2\r\n\x81\x00" + bytes([2, 1]) + struct.pack("<HI", 1, number) + set_id)
        previous = 0

        def section(kind: int, body: bytes, pad: int = -1) -> None:
            nonlocal previous
            if pad < 0:
                pad = -len(body) % 16
                body += bytes(pad)
            out.extend(body)
            desc = struct.pack("<IIQQII16s12x", kind, 0, previous, len(body), 64, pad, bytes(16))
            previous = len(out)
            out.extend(desc + struct.pack("<I", zlib.adler32(desc)))

        section(1, device)
        section(2, case)
        first = (number - 1) * per_segment
        start = len(out)
        entries = bytearray()
        sectors = bytearray()
        for i in range(first, min(chunks, first + per_segment)):
            packed = zlib.compress(data[i * chunk : (i + 1) * chunk])
            entries += struct.pack("<QII", start + len(sectors), len(packed), 1)  # offset in this file, size, COMPRESSED
            sectors += packed + bytes(-len(packed) % 16)
        section(3, bytes(sectors), 0)
        head = struct.pack("<QII", first, len(entries) // 16, 0)
        section(4, head + struct.pack("<I", zlib.adler32(head)) + bytes(12)
                + bytes(entries) + struct.pack("<I", zlib.adler32(bytes(entries))) + bytes(12), 12)
        if number < segments:
            section(13, b"", 0)  # next: more segments follow
        else:
            md5 = hashlib.md5(data).digest()
            section(8, md5 + struct.pack("<I", zlib.adler32(md5)) + bytes(12), 12)
            section(15, b"", 0)  # done: the last segment
        dest.with_suffix(f".Ex{number:02d}").write_bytes(bytes(out))
    return dest


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
    ex01 = out / "ex01"
    ex01.mkdir()
    made["ex01"] = make_ex01(ntfs_volume, ex01 / "server.Ex01", segments=2)
    return made
