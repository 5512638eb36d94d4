"""Disk images recognised by their content, so an image handed over as evidence is listed as not
read (this version does not read inside images) and the verdict cannot be an all-clear.

Signatures (format specifications): EnCase E01/Ex01 ``EVF\\x09\\x0d\\x0a\\xff\\x00`` / ``EVF2``;
VHDX ``vhdxfile`` at offset 0; VMDK sparse extent ``KDMV``, VMDK descriptor ``# Disk DescriptorFile``;
QCOW2 ``QFI\\xfb``; VHD ``conectix`` cookie in the 512-byte footer (and at offset 0 of dynamic
disks); VDI ``<<< Oracle VM VirtualBox Disk Image >>>``; raw disks by their first sectors: an NTFS
boot sector (``NTFS    `` at offset 3), a GPT header (``EFI PART`` at offset 512) or an MBR whose
partition table holds a bootable/plausible entry and ends in ``55 AA``.
"""

from __future__ import annotations

import struct

from extriage.evidence.source import ArtifactRef, open_artifact, safe_open

#: Names of image files (checked by content all the same: a renamed log is not an image).
IMAGE_SUFFIXES = (".e01", ".ex01", ".l01", ".s01", ".vhd", ".vhdx", ".vmdk", ".qcow2", ".qcow", ".vdi",
                  ".raw", ".dd", ".img", ".001", ".bin", ".aff", ".avhdx")
#: Files without such a name are sniffed only from this size on whose size is a multiple of a sector.
RAW_MIN = 1024 * 1024
HEAD = 4096

WHAT_TO_DO = ("not read by this version — mount it read-only and scan the mount, or collect the Exchange "
              "and IIS logs, event logs and web folders from it")


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
    try:
        if ref.spec.kind == "zip":
            with open_artifact(ref) as fh:
                return image_kind(fh.read(HEAD))
        path = ref.spec.root if ref.spec.kind == "file" else f"{ref.spec.root}/{ref.member}"
        with safe_open(path) as fh:
            head = fh.read(HEAD)
            tail = b""
            if ref.size > HEAD:
                fh.seek(max(0, ref.size - 512))
                tail = fh.read(512)
            return image_kind(head, tail)
    except (OSError, ValueError):
        return ""
