"""Tar archives read in place, plain or gzip-compressed: above all what Fox-IT's ``acquire`` writes
by default (``acquire -ot tar``, ``--compress`` for gzip), and any other tarred collection.

An acquire archive holds one folder per file system under ``fs/``: ``fs/C:/Windows/…`` for a volume
with a drive letter, ``fs/$fs$/fs0/…`` for one without; acquire before 3.12 wrote the system
volume as ``sysvol/…`` (layout as dissect.target's acquire loader reads it). Members keep their
names; the inventory reads ``fs/C:/`` as the drive ``C:`` as it reads a KAPE ``<dest>/C/`` folder
(:mod:`extriage.evidence.locate`), so an acquire tar, an acquire zip and the same files in a
folder give the same findings. A member is addressed by the archive path and the offset of its
data (picklable: worker processes reopen the archive themselves).

Nothing is extracted. A plain tar is read at each member's offset. A gzip stream has no random
access: the listing inflates it once and keeps a restart point (the inflater's state) every
:data:`RESTART_EVERY` bytes of tar data, so a member is read by inflating at most that much before
it; memory stays bounded (at most :data:`MAX_RESTARTS` points of ~40 KiB each). Members up to
:data:`SMALL_MEMBER` bytes are inflated whole when opened through one inflater per archive that
moves forward as the stages read the members in archive order, so each is inflated once per
stage, not again from a restart point. bzip2 and xz streams
cannot be restarted that way: such an archive is named (decompress it and scan the ``.tar``).

What cannot be read is named, one sentence each: a truncated archive (its end-of-archive blocks
missing, a member cut), a corrupt header, a path-traversal or sparse member.
"""

from __future__ import annotations

import bisect
import io
import os
import tarfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from extriage.evidence.loaders.stream import SizedStream
from extriage.evidence.source import ArtifactRef, SkipCallback, SourceSpec, safe_open, time_of_ns

KIND = "tar"
BLOCK = 512
#: Bytes of tar data between two restart points of a gzip-compressed archive.
RESTART_EVERY = 256 * 1024
#: Restart points kept per archive: past this the spacing doubles (every other point is dropped).
#: A point is a copy of the inflater (38 KiB measured) and every process reading the archive keeps
#: its own index: 512 points = 19 MiB per process (2,048 were 76 MiB, x3 with two workers, against
#: the scan's 300 MB budget); a 2 GiB tar then has a point every 4 MiB (~10 ms of inflating per seek).
MAX_RESTARTS = 512
_INPUT = 64 * 1024
#: gzip members up to this size are inflated whole into memory when opened (through the shared
#: cursor); larger ones are streamed from a restart point.
SMALL_MEMBER = 4 * 1024 * 1024
#: gzip: bytes of recently inflated small members kept per archive (bounded memory).
RECENT_BYTES = 32 * 1024 * 1024
_OUTPUT = 1024 * 1024


def _ustar(block: bytes) -> bool:
    """A tar header block: ``ustar`` magic and a valid header checksum."""
    if len(block) < BLOCK or block[257:262] != b"ustar":
        return False
    try:
        stored = int(block[148:156].split(b"\x00", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    return stored == sum(block[:148]) + 8 * 32 + sum(block[156:BLOCK])


def recognise(head: bytes, tail: bytes) -> str:
    if _ustar(head[:BLOCK]):
        return "tar archive"
    if head.startswith(b"\x1f\x8b\x08"):
        with suppress(zlib.error):
            if _ustar(zlib.decompressobj(31).decompress(head, BLOCK)):
                return "gzip-compressed tar archive"
    if head.startswith(b"\xfd7zXZ\x00"):
        import lzma

        with suppress(lzma.LZMAError, EOFError):
            if _ustar(lzma.LZMADecompressor().decompress(head, BLOCK)):
                return "xz-compressed tar archive"
    return ""


def parts(ref: ArtifactRef) -> set[str]:
    return set()


def _archive_path(ref: ArtifactRef) -> str:
    if ref.spec.kind == "file":
        return ref.spec.root
    return os.path.join(ref.spec.root, ref.member)


# -- gzip: one inflating pass with restart points ------------------------------------------------


@dataclass(slots=True)
class _Restart:
    data_at: int  # offset in the tar data
    input_at: int  # offset in the compressed file of the next input byte
    state: Any  # the inflater (zlib decompressobj copy); None = a fresh gzip member starts here


@dataclass(slots=True)
class _GzIndex:
    points: list[_Restart] = field(default_factory=list)
    every: int = RESTART_EVERY
    size: int = -1  # tar data bytes, once the whole stream was inflated

    def note(self, point: _Restart) -> None:
        if self.points and point.data_at - self.points[-1].data_at < self.every:
            return
        self.points.append(point)
        if len(self.points) > MAX_RESTARTS:
            self.points = self.points[::2]
            self.every *= 2

    def before(self, data_at: int) -> _Restart:
        keys = [p.data_at for p in self.points]
        return self.points[max(0, bisect.bisect_right(keys, data_at) - 1)]


class _Inflated(io.RawIOBase):
    """The tar data of a gzip file, read forward from a restart point (a backward seek restarts from
    the nearest earlier point). The compressed file is shared: reads take ``lock``."""

    def __init__(self, fh: BinaryIO, lock: threading.Lock, index: _GzIndex, listing: bool = False) -> None:
        super().__init__()
        self._fh = fh
        self._lock = lock
        self._index = index
        self._listing = listing  # the first pass: it records the restart points
        self._restart(index.points[0])

    def _restart(self, point: _Restart) -> None:
        self._inflater = zlib.decompressobj(31) if point.state is None else point.state.copy()
        self._input_at = point.input_at
        self._pending = b""  # input not yet given to the inflater (the start of a next gzip member)
        self._pos = point.data_at
        self._buf = b""  # inflated data not yet read: self._buf[self._off:]
        self._off = 0
        self._ended = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            raise OSError("a compressed archive cannot be seeked from its end")
        if offset < self._pos or offset - self._pos > 2 * self._index.every:
            point = self._index.before(offset)
            if offset < self._pos or point.data_at > self._pos:
                self._restart(point)
        while self._pos < offset:
            if self._off >= len(self._buf) and not self._fill():
                break
            take = min(len(self._buf) - self._off, offset - self._pos)
            self._off += take
            self._pos += take
        return self._pos

    def _fill(self) -> bool:
        """Inflate the next piece into the buffer; False at the end of the stream."""
        d = self._inflater
        self._buf, self._off = b"", 0
        while not self._buf and not self._ended:
            if d.unconsumed_tail:
                data = d.unconsumed_tail
            elif self._pending:
                data, self._pending = self._pending, b""
            else:
                if self._listing:  # a clean cut: nothing buffered anywhere
                    self._index.note(_Restart(self._pos, self._input_at, d.copy()))
                with self._lock:
                    self._fh.seek(self._input_at)
                    data = self._fh.read(_INPUT)
                self._input_at += len(data)
                if not data:
                    if not d.eof:
                        raise EOFError("the compressed stream ends early (the archive is truncated)")
                    self._ended = True
                    break
            try:
                self._buf = d.decompress(data, _OUTPUT)
            except zlib.error as exc:
                raise OSError(f"the compressed stream is corrupt ({exc})") from exc
            if d.eof:
                rest = d.unused_data
                # concatenated gzip members (or trailing zeros some writers pad with)
                if rest.strip(b"\x00"):
                    d = self._inflater = zlib.decompressobj(31)
                    self._pending = rest
                else:
                    self._ended = True
        return bool(self._buf)

    def readinto(self, buf: Any) -> int:
        """Fills ``buf`` whole unless the stream ends (tarfile takes a short read for the end)."""
        view = memoryview(buf).cast("B")
        done = 0
        while done < len(view):
            if self._off >= len(self._buf) and not self._fill():
                break
            take = min(len(view) - done, len(self._buf) - self._off)
            view[done : done + take] = self._buf[self._off : self._off + take]
            self._off += take
            self._pos += take
            done += take
        return done


# -- opened archives of this process -------------------------------------------------------------


@dataclass(slots=True)
class _Archive:
    fh: BinaryIO
    lock: threading.Lock
    gz: _GzIndex | None
    #: gzip: one inflater shared by the small members, moving forward as they are read in archive
    #: order (the stages' order): each is inflated once, not from a restart point each time
    cursor: _Inflated | None = None
    cursor_lock: threading.Lock = field(default_factory=threading.Lock)
    #: gzip: the small members inflated last (offset -> data), at most RECENT_BYTES in all: a file
    #: opened again (sniffed, then parsed) or a stage going back a little costs no inflating
    recent: OrderedDict[int, bytes] = field(default_factory=OrderedDict)
    recent_bytes: int = 0


_OPEN: dict[tuple[int, str], _Archive] = {}
_LOCK = threading.Lock()


def _archive(path: str) -> _Archive:
    key = (os.getpid(), path)
    with _LOCK:
        found = _OPEN.get(key)
    if found is not None:
        return found
    fh = safe_open(path)
    gz: _GzIndex | None = None
    if fh.read(2) == b"\x1f\x8b":
        gz = _GzIndex([_Restart(0, 0, None)], RESTART_EVERY)
    archive = _Archive(fh, threading.Lock(), gz)
    if gz is not None:  # a worker process: one pass builds the restart points
        with _Inflated(fh, archive.lock, gz, listing=True) as data:
            while data.read(_OUTPUT):
                pass
    with _LOCK:
        _OPEN.setdefault(key, archive)
        return _OPEN[key]


def release(paths: set[str]) -> None:
    """Close the archives at ``paths`` this process holds open (the end of a scan)."""
    with _LOCK:
        for key in [k for k in _OPEN if k[1] in paths]:
            with suppress(OSError):
                _OPEN.pop(key).fh.close()


class _Member(SizedStream):
    """A member's data: ``size`` bytes from ``start`` of the tar data (a plain file, or inflated)."""

    def __init__(self, source: Any, lock: threading.Lock | None, start: int, size: int, name: str) -> None:
        super().__init__()
        self._src = source
        self._lock = lock
        self._start = start
        self.size = size
        self._pos = 0
        self.name = name

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf).cast("B")
        want = min(len(view), self.size - self._pos)
        if want <= 0:
            return 0
        try:
            if self._lock is not None:
                with self._lock:
                    self._src.seek(self._start + self._pos)
                    data = self._src.read(want)
            else:
                self._src.seek(self._start + self._pos)
                data = self._src.read(want)
        except (EOFError, zlib.error) as exc:
            raise OSError(f"cannot be read from the archive ({exc})") from exc
        if not data:
            raise OSError(f"the archive ends inside this file (at {self._pos:,} of {self.size:,} bytes)")
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


def open_member(ref: ArtifactRef) -> BinaryIO:
    try:
        archive = _archive(ref.spec.root)
    except (EOFError, zlib.error) as exc:
        raise OSError(f"cannot be read from the archive ({exc})") from exc
    if archive.gz is None:
        member = _Member(archive.fh, archive.lock, ref.index, ref.size, ref.member)
    elif ref.size <= SMALL_MEMBER:  # inflated whole through the shared cursor: a bounded per-file buffer
        try:
            with archive.cursor_lock:
                data = archive.recent.get(ref.index)
                if data is not None and len(data) == ref.size:
                    archive.recent.move_to_end(ref.index)
                    return io.BytesIO(data)
                if archive.cursor is None:
                    archive.cursor = _Inflated(archive.fh, archive.lock, archive.gz)
                archive.cursor.seek(ref.index)
                data = archive.cursor.read(ref.size)
                if data is not None and len(data) == ref.size and ref.size <= RECENT_BYTES // 8:
                    archive.recent[ref.index] = data
                    archive.recent_bytes += len(data)
                    while archive.recent_bytes > RECENT_BYTES:
                        archive.recent_bytes -= len(archive.recent.popitem(last=False)[1])
        except (EOFError, zlib.error) as exc:
            archive.cursor = None
            raise OSError(f"cannot be read from the archive ({exc})") from exc
        if data is None or len(data) < ref.size:
            raise OSError(f"the archive ends inside this file ({len(data or b''):,} of {ref.size:,} bytes)")
        return io.BytesIO(data)
    else:  # its own inflater from the nearest restart point; the compressed file is shared
        member = _Member(_Inflated(archive.fh, archive.lock, archive.gz), None, ref.index, ref.size, ref.member)
    return io.BufferedReader(member, 256 * 1024)  # type: ignore[return-value]


def display(ref: ArtifactRef) -> str:
    return f"{ref.spec.root}!{ref.member}"


# -- listing ---------------------------------------------------------------------------------------


def _clean(name: str) -> str | None:
    """The member path as listed (``/fs/C:/x`` of old acquire versions -> ``fs/C:/x``), or None
    for a name that climbs out of the archive."""
    name = name.replace("\\", "/")
    while name.startswith(("/", "./")):
        name = name[2:] if name.startswith("./") else name[1:]
    parts = PurePosixPath(name).parts
    if not parts or ".." in parts or "\x00" in name:
        return None
    return "/".join(parts)


def expand(ref: ArtifactRef, located: str, on_skip: SkipCallback, notes: list[str]) -> Iterator[ArtifactRef]:
    """The files of the tar archive ``ref``, located under ``located`` ("" = it is the evidence)."""
    path = _archive_path(ref)
    shown = ref.display()
    try:
        with safe_open(path) as fh:
            head = fh.read(4096)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        on_skip(shown, f"archive cannot be opened ({exc.strerror or exc}); not read")
        return
    what = recognise(head, b"")
    if what.startswith("xz"):
        on_skip(shown, "xz-compressed tar archive: not read in place (an xz stream cannot be restarted at each "
                       "file); decompress it (xz -dk) outside the evidence and scan the .tar")
        return
    spec = SourceSpec(KIND, path, (), located, ref.spec.evidence or ref.spec.root)
    try:
        raw = safe_open(path)
    except OSError as exc:
        on_skip(shown, f"archive cannot be opened ({exc.strerror or exc}); not read")
        return
    gz = _GzIndex([_Restart(0, 0, None)], RESTART_EVERY) if what.startswith("gzip") else None
    archive = _Archive(raw, threading.Lock(), gz)
    # a gzip archive is inflated once here, its restart points noted on the way
    data_fh: Any = raw if archive.gz is None else _Inflated(raw, archive.lock, archive.gz, listing=True)
    end = size if archive.gz is None else None
    count = 0
    key = (os.getpid(), path)
    with _LOCK:  # kept open for the stages (with its restart points): released at the end of the scan
        old = _OPEN.get(key)
        _OPEN[key] = archive  # a zip inside it may be opened while it is listed
    if old is not None:  # an earlier listing of it that was never released
        with suppress(OSError):
            old.fh.close()
    try:
        tf = tarfile.open(fileobj=data_fh, mode="r:")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        on_skip(shown, f"tar archive cannot be read, it is truncated or corrupt ({exc}); not read")
        release({path})
        return
    last_end = 0
    try:
        while True:
            try:
                info = tf.next()
            except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
                on_skip(shown, f"tar archive is truncated or corrupt after {count:,} files ({exc}); the files "
                               "after the damage were not read — check the copy against its acquisition hash")
                last_end = 0  # said already
                break
            if info is None:
                break
            tf.members.clear()  # type: ignore[attr-defined]  # listed once, never looked up: memory stays flat on huge archives
            if not info.isreg():
                continue  # folders; links point at files listed where they are; devices hold no evidence
            name = _clean(info.name)
            where = f"{shown}!{info.name}"
            if name is None:
                on_skip(where, "tar entry with a path-traversal name; not read")
                continue
            if info.issparse():
                on_skip(where, "sparse tar entry (its holes are not stored in the archive); not read")
                continue
            last_end = info.offset_data + info.size
            if end is not None and last_end > end:
                on_skip(where, f"tar archive is truncated: it ends inside this file ({end - info.offset_data:,} of "
                               f"{info.size:,} bytes stored); not read")
                continue
            count += 1
            yield ArtifactRef(spec, name, info.size, time_of_ns(_mtime_ns(info)), index=info.offset_data)
        if last_end and not _has_end_marker(data_fh, tf.offset):
            on_skip(shown, f"tar archive is truncated: its end-of-archive blocks are missing after {count:,} "
                           "files; files stored after the cut are missing — check the copy against its "
                           "acquisition hash")
    except BaseException:
        release({path})
        raise
    notes.append(f"{shown} ({what}): {count:,} files read in place")


def _mtime_ns(info: tarfile.TarInfo) -> int:
    """The member's modification time in ns, exact (a pax ``mtime`` is a decimal string: a float
    would lose the microseconds)."""
    exact = info.pax_headers.get("mtime")
    if exact:
        with suppress(ArithmeticError, ValueError):
            return int(Decimal(exact) * 1_000_000_000)
    return int(info.mtime) * 1_000_000_000


def _has_end_marker(fh: Any, offset: int) -> bool:
    """Whether two zero blocks follow the last member (a cut archive lacks them)."""
    try:
        fh.seek(offset)
        return bool(fh.read(2 * BLOCK) == bytes(2 * BLOCK))
    except (EOFError, OSError, zlib.error):
        return False
