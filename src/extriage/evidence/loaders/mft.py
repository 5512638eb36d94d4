"""The NTFS master file table read in one sequential pass, and file data read from its runs.

Why not only ``dissect.ntfs``: it parses every record through cstruct (about 1.5 ms per file), which
made listing an image ~30x slower than listing the same folder and put image scans under half the
folder's throughput. A file record needs only a few fields (flags, ``$STANDARD_INFORMATION`` times,
``$FILE_NAME`` parent and name, the unnamed ``$DATA`` size and runs), read here with ``struct``
(layout: the NTFS documentation of the Linux-NTFS project / libfsntfs). Records this module does not
handle simply (attribute lists, compressed, encrypted or sparse-compressed data) are left to
``dissect.ntfs`` (``fallback``), so nothing is read differently, only faster.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from extriage.evidence.loaders.stream import SizedStream

#: 100 ns intervals between 1601-01-01 and 1970-01-01 (FILETIME epoch to Unix epoch).
_FILETIME_UNIX = 116444736000000000
_END = 0xFFFFFFFF
_SI, _ATTR_LIST, _FN, _DATA, _REPARSE_POINT = 0x10, 0x20, 0x30, 0x80, 0xC0
#: $FILE_NAME namespaces: 2 = DOS 8.3 alias only (the long name is in another attribute).
_DOS = 2
_REPARSE = 0x400


def filetime_ns(ft: int) -> int:
    """Nanoseconds since 1970 of a FILETIME."""
    return (ft - _FILETIME_UNIX) * 100


@dataclass(slots=True)
class Record:
    """What the scan needs of one MFT record."""

    segment: int
    in_use: bool = False
    is_dir: bool = False
    reparse: bool = False
    reparse_tag: int = 0
    #: (parent segment, name) of each long (non-DOS) name: several for hard links.
    names: list[tuple[int, str]] = field(default_factory=list)
    si_times: tuple[int, int, int, int] = (0, 0, 0, 0)  # created, modified, MFT changed, accessed (FILETIME)
    fn_times: tuple[int, int, int, int] = (0, 0, 0, 0)
    size: int = 0
    resident: bytes | None = None
    runs: list[tuple[int | None, int]] = field(default_factory=list)  # (lcn or None = sparse, clusters)
    initialized: int = 0
    fallback: bool = False  # data layout left to dissect.ntfs (attribute list, compressed, encrypted)


def _fixup(buf: bytearray, sector: int) -> bool:
    usa_ofs, usa_count = struct.unpack_from("<HH", buf, 4)
    if usa_count < 2 or usa_ofs + 2 * usa_count > len(buf):
        return False
    usn = buf[usa_ofs : usa_ofs + 2]
    for i in range(1, usa_count):
        end = i * sector - 2
        if end + 2 > len(buf):
            break
        if buf[end : end + 2] != usn:
            return False  # torn write: the record is not trustworthy
        buf[end : end + 2] = buf[usa_ofs + 2 * i : usa_ofs + 2 * i + 2]
    return True


def decode_runs(data: bytes | bytearray, pos: int) -> list[tuple[int | None, int]]:
    """A data run list: ``[(lcn or None for a sparse run, length in clusters)]``."""
    runs: list[tuple[int | None, int]] = []
    lcn = 0
    while pos < len(data):
        head = data[pos]
        if head == 0:
            break
        len_size, off_size = head & 0x0F, head >> 4
        pos += 1
        if not len_size or pos + len_size + off_size > len(data):
            raise ValueError("damaged data run list")
        length = int.from_bytes(data[pos : pos + len_size], "little")
        pos += len_size
        if off_size:
            lcn += int.from_bytes(data[pos : pos + off_size], "little", signed=True)
            runs.append((lcn, length))
        else:
            runs.append((None, length))
        pos += off_size
    return runs


def parse_record(raw: bytes, segment: int, sector: int = 512) -> Record | None:
    """One MFT record, or None when it is no valid record (free, torn or garbage)."""
    if raw[:4] != b"FILE":
        return None
    buf = bytearray(raw)
    if not _fixup(buf, sector):
        return None
    attrs_ofs, flags, in_use_len = struct.unpack_from("<HHI", buf, 20)
    (base,) = struct.unpack_from("<Q", buf, 32)
    rec = Record(segment, in_use=bool(flags & 1), is_dir=bool(flags & 2))
    if base & 0xFFFFFFFFFFFF:  # an extension record: its attributes belong to its base record
        rec.in_use = False
        return rec
    pos, end = attrs_ofs, min(in_use_len or len(buf), len(buf))
    while pos + 16 <= end:
        atype, alen = struct.unpack_from("<II", buf, pos)
        if atype == _END or alen < 16 or pos + alen > end:
            break
        non_res, name_len = buf[pos + 8], buf[pos + 9]
        aflags = struct.unpack_from("<H", buf, pos + 12)[0]
        if non_res:
            if atype == _DATA and name_len == 0:
                start_vcn, = struct.unpack_from("<Q", buf, pos + 16)
                runs_ofs = struct.unpack_from("<H", buf, pos + 32)[0]
                size, init = struct.unpack_from("<QQ", buf, pos + 48)
                rec.size, rec.initialized = size, init
                if aflags & 0xC001 or start_vcn:  # compressed/encrypted/sparse-compressed, or a later extent
                    rec.fallback = True
                else:
                    try:
                        rec.runs = decode_runs(buf[: pos + alen], pos + runs_ofs)
                    except ValueError:
                        rec.fallback = True
        else:
            vlen, vofs = struct.unpack_from("<IH", buf, pos + 16)
            value = bytes(buf[pos + vofs : pos + vofs + vlen])
            if atype == _SI and len(value) >= 36:
                rec.si_times = struct.unpack_from("<QQQQ", value, 0)
                rec.reparse = bool(struct.unpack_from("<I", value, 32)[0] & _REPARSE)
            elif atype == _FN and len(value) >= 66:
                parent = struct.unpack_from("<Q", value, 0)[0] & 0xFFFFFFFFFFFF
                nlen, space = value[64], value[65]
                if space != _DOS:
                    name = value[66 : 66 + 2 * nlen].decode("utf-16-le", "surrogatepass")
                    rec.names.append((parent, name))
                    if rec.fn_times == (0, 0, 0, 0):
                        rec.fn_times = struct.unpack_from("<QQQQ", value, 8)
            elif atype == _REPARSE_POINT and len(value) >= 4:
                rec.reparse_tag = struct.unpack_from("<I", value, 0)[0]
            elif atype == _DATA and name_len == 0:
                rec.resident = value
                rec.size = rec.initialized = len(value)
        if atype == _ATTR_LIST:
            rec.fallback = True  # attributes spread over several records
        pos += alen
    if rec.fallback and rec.resident is None:
        rec.runs = []
    rec.reparse = rec.reparse or bool(rec.reparse_tag)
    return rec


class RunReader(SizedStream):
    """A file's data read from its clusters through the volume (shared handle: ``lock``)."""

    def __init__(self, volume: BinaryIO, lock: threading.Lock, cluster: int, runs: list[tuple[int | None, int]],
                 size: int, initialized: int) -> None:
        super().__init__()
        self._vol = volume
        self._lock = lock
        self._cluster = cluster
        self.size = size
        self._valid = min(initialized, size)
        self._pos = 0
        self._map: list[tuple[int, int, int | None]] = []  # (file offset, length, volume offset or None)
        at = 0
        for lcn, count in runs:
            length = count * cluster
            self._map.append((at, length, None if lcn is None else lcn * cluster))
            at += length

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf).cast("B")
        want = min(len(view), self.size - self._pos)
        if want <= 0:
            return 0
        done = 0
        for start, length, vol_at in self._map:
            if done >= want:
                break
            pos = self._pos + done
            if pos >= start + length or pos < start:
                continue
            take = min(want - done, start + length - pos)
            if vol_at is None or pos >= self._valid:
                view[done : done + take] = bytes(take)
            else:
                with self._lock:
                    self._vol.seek(vol_at + pos - start)
                    data = self._vol.read(take)
                if len(data) < take:
                    raise OSError(f"the image ends inside this file ({len(data):,} of {take:,} bytes)")
                if pos + take > self._valid:  # past the valid data length: zeros, as Windows reads them
                    keep = self._valid - pos
                    data = data[:keep] + bytes(take - keep)
                view[done : done + take] = data
            done += take
        if done < want:
            raise OSError("the file's data runs end before its size")
        self._pos += done
        return done

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = max(0, self.size - self._pos)
        buf = bytearray(min(n, max(0, self.size - self._pos)))
        got = self.readinto(buf)
        return bytes(buf[:got])


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


def iter_records(mft: Readable, record_size: int, sector: int, chunk: int = 4 * 1024 * 1024) -> Iterator[Record]:
    """Every valid record of the ``$MFT`` data stream, read sequentially in large chunks."""
    segment = 0
    step = max(record_size, chunk - chunk % record_size)
    while True:
        data = mft.read(step)
        if not data:
            return
        for at in range(0, len(data) - record_size + 1, record_size):
            rec = parse_record(data[at : at + record_size], segment, sector)
            if rec is not None:
                yield rec
            segment += 1
        if len(data) < step:
            return
