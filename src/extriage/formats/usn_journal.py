"""NTFS change journal (``$Extend\\$UsnJrnl:$J``) records, read with ``struct``.

The journal keeps, for every file change, the file's name, its MFT reference, its folder's MFT
reference, the time and the reasons (created, written, renamed, deleted…), after the file itself is
gone. Layout: ``USN_RECORD_V2`` (64-bit references) and ``USN_RECORD_V3`` (128-bit), Microsoft's
documentation of ``USN_RECORD_V2/V3``. The journal is a sparse stream: its head is zeros, and
records never cross a 4 KiB page; a run of zeros moves to the next page.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

PAGE = 4096
FILE_CREATE = 0x00000100
FILE_DELETE = 0x00000200
RENAME_NEW_NAME = 0x00002000
CLOSE = 0x80000000
_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=UTC)
#: Records longer than this are damage, not records (name at most 255 UTF-16 units).
_MAX_RECORD = 4096


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class UsnRecord:
    usn: int
    timestamp: datetime | None
    reason: int
    file: int  # MFT segment of the file
    parent: int  # MFT segment of its folder
    name: str


def _when(filetime: int) -> datetime | None:
    try:
        return _EPOCH_1601 + timedelta(microseconds=filetime // 10)
    except OverflowError:
        return None


def parse_records(data: bytes) -> Iterator[UsnRecord]:
    """The records of a run of journal pages (``data`` starts at a page boundary)."""
    pos, end = 0, len(data)
    while pos + 8 <= end:
        length, major = struct.unpack_from("<IH", data, pos)
        if length == 0:
            pos += PAGE - pos % PAGE  # the rest of the page is unused
            continue
        if length < 60 or length > _MAX_RECORD or length % 8 or pos + length > end or major not in (2, 3):
            pos += PAGE - pos % PAGE  # damage: resynchronise on the next page
            continue
        rec = data[pos : pos + length]
        if major == 2:
            file_ref, parent_ref, usn, stamp, reason = struct.unpack_from("<QQqQI", rec, 8)
            name_len, name_ofs = struct.unpack_from("<HH", rec, 56)
        else:
            if length < 76:
                pos += length
                continue
            file_ref = int.from_bytes(rec[8:24], "little")
            parent_ref = int.from_bytes(rec[24:40], "little")
            usn, stamp, reason = struct.unpack_from("<qQI", rec, 40)
            name_len, name_ofs = struct.unpack_from("<HH", rec, 72)
        name = rec[name_ofs : name_ofs + name_len].decode("utf-16-le", "replace")
        yield UsnRecord(usn, _when(stamp), reason, file_ref & 0xFFFFFFFFFFFF, parent_ref & 0xFFFFFFFFFFFF, name)
        pos += length


def iter_journal(stream: Readable, chunk: int = 16 * PAGE) -> Iterator[UsnRecord]:
    """Every record of a ``$J`` stream read from its current position (page-aligned) in chunks."""
    while True:
        data = stream.read(chunk)
        if not data:
            return
        if data.count(0) == len(data):
            continue  # a sparse or cleared stretch
        yield from parse_records(data)
        if len(data) < chunk:
            return
