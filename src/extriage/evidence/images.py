"""Disk images recognised by their content, and the hand-over of a file of the evidence that is a
container to its loader (:mod:`extriage.evidence.loaders`), which lists the files inside it.

Signatures (format specifications): EnCase E01/Ex01 ``EVF\\x09\\x0d\\x0a\\xff\\x00`` / ``EVF2``;
VHDX ``vhdxfile`` at offset 0; VMDK sparse extent ``KDMV``, VMDK descriptor ``# Disk DescriptorFile``;
QCOW2 ``QFI\\xfb``; VHD ``conectix`` cookie in the 512-byte footer (and at offset 0 of dynamic
disks); VDI ``<<< Oracle VM VirtualBox Disk Image >>>``; raw disks by their first sectors: an NTFS
boot sector (``NTFS    `` at offset 3), a BitLocker volume (``-FVE-FS-`` at offset 3), a GPT header
(``EFI PART`` at offset 512) or an MBR whose partition table holds a bootable/plausible entry and
ends in ``55 AA``.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
from datetime import datetime

from extriage.evidence.source import (
    ZIP_SUFFIXES,
    ArtifactRef,
    SkipCallback,
    archive_members,
    open_artifact,
    safe_open,
    time_of_ns,
)

#: Names of image files (checked by content all the same: a renamed log is not an image).
IMAGE_SUFFIXES = (".e01", ".ex01", ".l01", ".s01", ".vhd", ".vhdx", ".vmdk", ".qcow2", ".qcow", ".vdi",
                  ".raw", ".dd", ".img", ".001", ".bin", ".aff", ".avhdx",
                  ".tar", ".tgz", ".tar.gz", ".tar.xz", ".txz")
#: Files without such a name are sniffed only from this size on whose size is a multiple of a sector.
RAW_MIN = 1024 * 1024
HEAD = 4096

#: Names that only disk images carry: such a file whose content is no known image is named as unread.
STRONG_SUFFIXES = (".e01", ".ex01", ".vhd", ".vhdx", ".vmdk", ".qcow2", ".qcow", ".vdi", ".avhdx")


def image_kind(head: bytes, tail: bytes = b"") -> str:
    """The disk image format of a file from its first bytes (and last 512), or ""."""
    if head.startswith(b"EVF\x09\x0d\x0a\xff\x00"):
        return "EnCase image (E01)"
    if head.startswith(b"EVF2\x0d\x0a\x81\x00"):
        return "EnCase image (Ex01)"
    if head.startswith(b"vhdxfile"):
        return "VHDX virtual disk"
    if head.startswith(b"KDMV"):
        return "VMDK virtual disk"
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"# Disk DescriptorFile"):
        return "VMDK virtual disk descriptor"
    if head.startswith(b"QFI\xfb"):
        return "QCOW2 virtual disk"
    if head.startswith(b"conectix") or tail[-512:].startswith(b"conectix"):
        return "VHD virtual disk"
    if head[64:104].startswith(b"<<< Oracle VM VirtualBox Disk Image >>>") or head.startswith(
            b"<<< Oracle VM VirtualBox Disk Image >>>"):
        return "VDI virtual disk"
    if len(head) >= 512 and head[3:11] == b"NTFS    " and head[510:512] == b"\x55\xaa":
        return "raw NTFS volume image"
    if len(head) >= 512 and head[3:11] == b"-FVE-FS-" and head[510:512] == b"\x55\xaa":
        return "raw BitLocker volume image"
    if len(head) >= 520 and head[512:520] == b"EFI PART":
        return "raw disk image (GPT)"
    if len(head) >= 512 and head[510:512] == b"\x55\xaa" and _plausible_mbr(head):
        return "raw disk image (MBR)"
    return ""


def _plausible_mbr(sector: bytes) -> bool:
    """An MBR partition table: four 16-byte entries, status 0x00/0x80, at least one typed partition
    with a start and length (random data ending in 55 AA rarely passes)."""
    seen = False
    for i in range(4):
        entry = sector[446 + 16 * i : 462 + 16 * i]
        status, ptype = entry[0], entry[4]
        if status not in (0x00, 0x80):
            return False
        start, count = struct.unpack("<II", entry[8:16])
        if ptype:
            if not start or not count:
                return False
            seen = True
        elif any(entry):
            return False
    return seen


def worth_sniffing(ref: ArtifactRef) -> bool:
    """Whether a file could be a disk image: an image's name, or a large whole number of sectors."""
    if ref.special:
        return False
    low = ref.member.lower()
    if low.endswith(IMAGE_SUFFIXES):
        return True
    return ref.size >= RAW_MIN and ref.size % 512 == 0 and not low.endswith((".log", ".evtx", ".zip", ".dll", ".exe"))


def sniff_image(ref: ArtifactRef) -> str:
    """The image format of ``ref`` ("" when it is none, or cannot be opened: the stages say why)."""
    return sniff_container(ref)[1]


def sniff_container(ref: ArtifactRef) -> tuple[str, str]:
    """``(loader kind, format)`` of ``ref`` when a loader recognises it, else ``("", "")``."""
    from extriage.evidence.loaders import recognise

    try:
        if ref.spec.kind not in ("dir", "file"):
            with open_artifact(ref) as fh:
                return recognise(fh.read(HEAD), b"")
        path = ref.spec.root if ref.spec.kind == "file" else f"{ref.spec.root}/{ref.member}"
        with safe_open(path) as fh:
            head = fh.read(HEAD)
            tail = b""
            if ref.size > HEAD:
                fh.seek(max(0, ref.size - 512))
                tail = fh.read(512)
            return recognise(head, tail)
    except (OSError, ValueError):
        return "", ""


def expand_container(ref: ArtifactRef, on_skip: SkipCallback, images: dict[str, str], notes: list[str],
                     parts: set[str]) -> list[ArtifactRef] | None:
    """The files inside ``ref`` when it is a container a loader reads (a disk image), ``[]`` when it is
    one that cannot be read (named through ``on_skip``), None when it is an ordinary file."""
    low = ref.member.lower()
    if low.endswith((".tar.bz2", ".tbz2", ".tbz")) and not ref.special:
        on_skip(ref.display(), "bzip2-compressed tar archive: not read in place (a bzip2 stream cannot be restarted at "
                               "each file); decompress it (bunzip2 -k) outside the evidence and scan the .tar")
        return []
    if not worth_sniffing(ref):
        return None
    kind, what = sniff_container(ref)
    shown = ref.display()
    if not what:
        if ref.member.lower().endswith(STRONG_SUFFIXES):
            images[shown] = "unknown"
            on_skip(shown, "named like a disk image but its content is no image format this version reads "
                           "(E01, VMDK, VHD/VHDX, QCOW2, VDI, raw); not read — check it was copied whole")
            return []
        return None
    images[shown] = what
    if ref.spec.kind not in ("dir", "file"):
        on_skip(shown, f"disk image ({what}) inside an archive or another image; not read — extract it outside "
                       "the evidence and scan it")
        return []
    from extriage.evidence.loaders import loader  # here: almost every file returned above

    image_loader = loader(kind)
    segments = image_loader.parts(ref)
    parts |= segments
    located = "" if ref.spec.kind == "file" else ref.located
    found: list[ArtifactRef] = []
    for inner in image_loader.expand(ref, located, on_skip, notes):
        found.append(inner)
        if inner.member.lower().endswith(ZIP_SUFFIXES):  # archives in the image: read in place, as in a folder
            found.extend(archive_members(inner, on_skip))
    if found:  # a container that gave files was read: its own SHA-256 goes in the report (not one never opened)
        with _SEGMENTS_LOCK:
            _SEGMENTS[shown] = sorted(segments)
    return found


def exchange_volume_note(files: list[tuple[ArtifactRef, str]], installs: list[str]) -> str:
    """Which volume of an image holds the Exchange install, said when an image had several NTFS
    volumes (``files``: each file's ref and matching key)."""
    volumes: set[tuple[str, str]] = set()
    where = ""
    for ref, key in files:
        if ref.spec.kind != "image" or not ref.spec.prefix:
            continue
        volumes.add((ref.spec.root, ref.spec.inner[0]))
        if not where and installs and key.startswith(installs[0] + "/"):
            where = f"{ref.spec.root}!{ref.spec.inner[0]} (read as {key[:1].upper()}:)"
    if len(volumes) < 2:
        return ""
    if not where:
        return f"{len(volumes)} NTFS volumes were read from the disk image(s); none holds an Exchange install."
    return f"{len(volumes)} NTFS volumes were read from the disk image(s); the Exchange install is on {where}."


# -- the container files themselves: hashed while the scan reads them, released at its end --------

#: Read size of the container hash: memory stays bounded whatever the image size.
HASH_CHUNK = 1024 * 1024


class _Digests:
    """SHA-256 of the files of one container (an image and its segments), computed in a thread
    beside the scan: one sequential read of each file, ``HASH_CHUNK`` bytes at a time (hashlib and
    file reads release the GIL, so it overlaps the scan's own work)."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.records: list[tuple[str, str, int, datetime | None]] = []
        self.failed: list[tuple[str, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="extriage-container-hash", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for path in self.paths:
            try:
                with safe_open(path) as fh:
                    st = os.fstat(fh.fileno())
                    h = hashlib.sha256()
                    while chunk := fh.read(HASH_CHUNK):
                        if self.stop.is_set():
                            return
                        h.update(chunk)
            except OSError as exc:
                self.failed.append((path, f"container file cannot be hashed ({exc.strerror or exc}); its SHA-256 "
                                          "is not in the report"))
                continue
            self.records.append((path, h.hexdigest(), st.st_size, time_of_ns(st.st_mtime_ns)))


#: Each container files were read from (display path -> its other segment files), for its hash.
_SEGMENTS: dict[str, list[str]] = {}
_SEGMENTS_LOCK = threading.Lock()


class ContainerFiles:
    """The container files of one scan (disk images and their segments): hashed beside the stages
    from :meth:`start`, recorded and closed by :meth:`finish`."""

    def __init__(self, images: dict[str, str]) -> None:
        #: only containers that were opened (an "unknown" one is named, not read)
        self.shown = [s for s, what in images.items() if what != "unknown"]
        self.jobs: list[_Digests] = []

    def start(self) -> ContainerFiles:
        for shown in self.shown:
            with _SEGMENTS_LOCK:
                segments = _SEGMENTS.pop(shown, None)
            if segments is not None:  # only containers files were read from (one that cannot be opened: named)
                self.jobs.append(_Digests([shown, *segments]))
        return self

    def finish(self, cancel: bool = False
               ) -> tuple[list[tuple[str, str, int, datetime | None]], list[tuple[str, str]]]:
        """The SHA-256 records ``(path, sha256, size, mtime)`` of the container files and what could
        not be hashed ``(path, why)``; then the containers are closed (their file handles
        released). ``cancel``: an interrupted scan stops hashing at once and records nothing."""
        from extriage.evidence.loaders import release

        records: list[tuple[str, str, int, datetime | None]] = []
        failed: list[tuple[str, str]] = []
        for job in self.jobs:
            if cancel:
                job.stop.set()
            job.thread.join()
            if not cancel:
                records.extend(job.records)
                failed.extend(job.failed)
        self.jobs.clear()
        release(self.shown)
        return records, failed
