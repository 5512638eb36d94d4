"""Read-only access to evidence: a directory tree (drive root, KAPE/Velociraptor collection, any
folder), a ``.zip`` of one, or a single file.

Nothing here ever opens a file for writing, and nothing is extracted to disk: zip members are
streamed in place. Every file is addressed by a picklable :class:`ArtifactRef` so worker processes
can reopen it themselves.

Hostile input is expected: symlink loops, unreadable folders, zip members with ``..`` or absolute
names (zip slip), decompression bombs, duplicate or non-UTF-8 member names, FIFOs and devices named
like logs (a FIFO swapped in during the scan is caught after opening: files are opened with
``O_NONBLOCK`` and checked with ``fstat``). Each problem is reported through the ``on_skip`` callback
with the file's name and the scan goes on.

Archives inside the evidence (a ``.zip`` in a folder, a zip in a zip) are read in place too, down to
:data:`MAX_ZIP_DEPTH` levels; a nested archive is copied into a temporary file outside the evidence
(memory up to :data:`NESTED_IN_MEMORY`), deleted when the process ends. Disk images are recognised
by their content and listed as not read (:mod:`extriage.evidence.images`).
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import tempfile
import threading
import weakref
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import BinaryIO

#: "dir", "zip" and "file" are read here; any other kind names a loader of
#: :mod:`extriage.evidence.loaders` (a disk image: "image").
SourceKind = str

#: A zip member whose uncompressed size is more than this many times its compressed size is
#: treated as a decompression bomb (legitimate text logs compress ~10-30x; bombs 1000x+).
ZIP_MAX_RATIO = 400
#: A zip member larger than this (uncompressed) is not read.
ZIP_MAX_MEMBER = 64 * 1024**3
#: Zip archives with more entries than this are refused (entry-count bombs).
ZIP_MAX_ENTRIES = 2_000_000
#: How deep archives are read: the evidence zip (or a zip in the evidence folder) is level 1, a zip
#: inside it level 2, one inside that level 3; an archive deeper than this is listed as not read.
MAX_ZIP_DEPTH = 3
#: A nested archive is copied out of its parent to be read (zip needs to seek): in memory up to this
#: size, in an anonymous temporary file (outside the evidence, gone when the process ends) above it.
NESTED_IN_MEMORY = 2 * 1024 * 1024

SkipCallback = Callable[[str, str], None]


class EvidenceError(Exception):
    """The evidence path as a whole cannot be used (missing, unreadable, not a zip...)."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: SourceKind
    root: str  # absolute path of the directory, zip file or single file
    #: For an archive inside an archive: the member names leading from ``root`` to it.
    inner: tuple[str, ...] = ()
    #: Where this archive sits in the evidence (posix, "" when it is the evidence itself): its members
    #: are located as ``prefix/member`` (a KAPE collection zipped inside a share keeps its layout).
    prefix: str = ""
    #: The evidence folder an archive was found in (temporary copies must never land inside it).
    evidence: str = ""
    #: For a volume of a disk image: its byte offset and size in the image.
    volume: tuple[int, int] = (0, 0)
    #: For an archive that is a file inside another container (a zip in a disk image): that file,
    #: opened through its own container; ``root`` is then its display path.
    outer: ArtifactRef | None = None


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """A file inside the evidence. ``member`` is its posix path relative to the source root."""

    spec: SourceSpec
    member: str
    size: int
    mtime: datetime | None = None
    #: Zip members: position in the archive's directory (several members may carry the same name:
    #: each copy is read), and which copy of its name this is (0 = the first).
    index: int = -1
    copy: int = 0
    #: "FIFO (named pipe)", "character device", "socket" for a non-regular file (never read), else "".
    special: str = ""

    @property
    def name(self) -> str:
        member = self.member
        if "//" in member or "/." in member or member.endswith("/") or member.startswith("."):
            return PurePosixPath(member).name  # what pathlib makes of odd paths ("a/./b", "a/b/")
        return member[member.rfind("/") + 1 :]  # the usual case, without a Path per call

    @property
    def located(self) -> str:
        """The posix path of the file in the evidence as a whole (archive path + member)."""
        return f"{self.spec.prefix}/{self.member}" if self.spec.prefix else self.member

    def display(self) -> str:
        """The path as shown to the user: the real file, or ``archive.zip!member`` (``!inner.zip!member``
        for nested archives, `` [copy N]`` for the later copies of a duplicated member name)."""
        if self.spec.kind == "zip":
            chain = "".join(f"!{i}" for i in self.spec.inner)
            return f"{self.spec.root}{chain}!{self.member}" + (f" [copy {self.copy + 1}]" if self.copy else "")
        if self.spec.kind == "file":
            return self.spec.root
        if self.spec.kind != "dir":
            from extriage.evidence.loaders import loader

            return loader(self.spec.kind).display(self)
        if os.sep == "/" and "//" not in self.member and "/./" not in f"/{self.member}/":
            # same text as ``str(Path(root) / member)`` for the walked members, ~20x cheaper (called
            # per file by every stage)
            return os.path.join(self.spec.root, self.member)
        return str(Path(self.spec.root) / self.member)


def open_source(path: str | os.PathLike[str]) -> SourceSpec:
    """Check the evidence path and say what kind it is. Raises :class:`EvidenceError` with a sentence."""
    p = Path(path).expanduser()
    if not str(path).strip():
        raise EvidenceError("The evidence path is empty.")
    try:
        st = p.stat()
    except FileNotFoundError:
        raise EvidenceError(f"The evidence path {p} does not exist.") from None
    except PermissionError:
        raise EvidenceError(f"The evidence path {p} cannot be read (permission denied).") from None
    except OSError as exc:
        raise EvidenceError(f"The evidence path {p} cannot be read: {exc.strerror or exc}.") from None
    root = str(p.resolve())
    if stat.S_ISDIR(st.st_mode):
        if not os.access(p, os.R_OK | os.X_OK):
            raise EvidenceError(f"The evidence folder {p} cannot be read (permission denied).")
        return SourceSpec("dir", root)
    if not stat.S_ISREG(st.st_mode):
        raise EvidenceError(f"The evidence path {p} is neither a folder nor a regular file.")
    if p.suffix.lower() == ".zip" or _looks_like_zip(p):
        try:
            with safe_open(root) as fh, open_zip(fh) as zf:
                count = len(zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise EvidenceError(f"The evidence file {p} is not a readable zip archive ({exc}).") from None
        if count > ZIP_MAX_ENTRIES:
            raise EvidenceError(f"The zip archive {p} holds {count:,} entries; refusing (entry-count bomb?).")
        return SourceSpec("zip", root)
    return SourceSpec("file", root)


def _looks_like_zip(p: Path) -> bool:
    try:
        with p.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def iter_files(spec: SourceSpec, on_skip: SkipCallback) -> Iterator[ArtifactRef]:
    """Yield every file in the source (archives inside it: their members too, see
    :data:`MAX_ZIP_DEPTH`), reporting what cannot be listed through ``on_skip``. FIFOs, devices and
    sockets are yielded with ``special`` set: opening them fails with a sentence, and they are listed
    as not read."""
    if spec.kind == "file":
        st = os.stat(spec.root)
        yield ArtifactRef(spec, Path(spec.root).name, st.st_size, time_of_ns(st.st_mtime_ns))
    elif spec.kind == "dir":
        yield from _walk_dir(spec, on_skip)
    else:
        yield from _walk_zip(spec, on_skip, 1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def time_of_ns(ns: int) -> datetime | None:
    """A file time in nanoseconds since 1970 as a datetime, cut (not rounded) to the microsecond:
    the same file gives the same time from a folder (ns) and from an NTFS image (100 ns units)."""
    try:
        return _EPOCH + timedelta(microseconds=ns // 1000)
    except OverflowError:
        return None


def special_kind(mode: int) -> str:
    """What a non-regular file is, in words ("" for a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISDIR(mode):
        return "folder"
    return "special file"


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _walk_dir(spec: SourceSpec, on_skip: SkipCallback) -> Iterator[ArtifactRef]:
    """The files under the folder ``spec.root``, depth first, names sorted in each folder.

    Plain ``str`` paths throughout (one ``os.stat`` and one ``os.scandir`` per folder, one ``stat``
    per file): a ``pathlib.Path`` and ``relative_to`` per folder cost ~100 µs a folder, the most of
    listing a collection that has a folder per application or per mailbox.
    """
    root = spec.root
    root_real = os.path.realpath(root)
    seen_dirs: set[tuple[int, int]] = set()
    # (folder path as the OS names it, its members' prefix relative to the root: "" or "a/b/")
    stack: list[tuple[str, str]] = [(str(Path(root)), "")]
    while stack:
        current, prefix = stack.pop()
        try:
            st = os.stat(current)
        except OSError as exc:
            on_skip(current, f"folder cannot be read: {exc.strerror or exc}")
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            on_skip(current, "symbolic link loop: folder already visited")
            continue
        seen_dirs.add(key)
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=_entry_name)
        except OSError as exc:
            on_skip(current, f"folder cannot be listed: {exc.strerror or exc}")
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            member = prefix + entry.name
            try:
                if entry.is_symlink() and not _inside(root_real, entry.path):
                    # a link to "/" or the examiner's home would walk the whole machine as evidence
                    on_skip(entry.path, "symbolic link pointing outside the evidence; not followed")
                    continue
                if entry.is_dir(follow_symlinks=True):
                    subdirs.append((entry.path, member + "/"))
                    continue
                if not entry.is_file(follow_symlinks=True):
                    if entry.is_symlink() and not os.path.exists(entry.path):
                        on_skip(entry.path, "broken or looping symbolic link")
                        continue
                    est = entry.stat(follow_symlinks=True)
                    # a FIFO, device or socket: listed (and refused when opened), never read from
                    yield ArtifactRef(spec, member, 0, time_of_ns(est.st_mtime_ns), special=special_kind(est.st_mode))
                    continue
                est = entry.stat(follow_symlinks=True)
            except OSError as exc:
                on_skip(entry.path, f"cannot be read: {exc.strerror or exc}")
                continue
            ref = ArtifactRef(spec, member, est.st_size, time_of_ns(est.st_mtime_ns))
            yield ref
            if entry.name.lower().endswith(ZIP_SUFFIXES):
                yield from _nested_zips(SourceSpec("zip", entry.path, (), member, spec.root), on_skip, 1)
        stack.extend(reversed(subdirs))


#: Names of files read as archives when they sit inside the evidence.
ZIP_SUFFIXES = (".zip",)


def _nested_zips(spec: SourceSpec, on_skip: SkipCallback, depth: int) -> Iterator[ArtifactRef]:
    """The members of an archive found inside the evidence (the archive itself is listed as a file)."""
    shown = display_of(spec)
    if depth > MAX_ZIP_DEPTH:
        on_skip(shown, f"archive nested more than {MAX_ZIP_DEPTH} levels deep; its members were not read "
                       "(extract it outside the evidence and scan that folder)")
        return
    try:
        yield from _walk_zip(spec, on_skip, depth)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        on_skip(shown, f"archive cannot be read ({exc}); its members were not read")


def archive_members(ref: ArtifactRef, on_skip: SkipCallback) -> Iterator[ArtifactRef]:
    """The members of an archive that is a file of another container (a ``.zip`` inside a disk
    image), read in place through that container."""
    spec = SourceSpec("zip", ref.display(), (), ref.located, ref.spec.evidence or ref.spec.root, outer=ref)
    yield from _nested_zips(spec, on_skip, 1)


def display_of(spec: SourceSpec) -> str:
    """How an archive source is named to the user (``outer.zip!inner.zip``)."""
    return spec.root + "".join(f"!{i}" for i in spec.inner)


def _inside(root_real: str, path: str) -> bool:
    target = os.path.realpath(path)
    return target == root_real or target.startswith(root_real.rstrip(os.sep) + os.sep)


def zip_member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member must not be read, or None. Shared by listing and opening."""
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        return "zip entry with a path-traversal name (zip slip); not read"
    if info.flag_bits & 0x1:
        return "encrypted zip entry; not read"
    if _BAD_NAMES.get(id(info)) is info:
        return "zip entry whose name is not valid UTF-8 although the archive says it is; not read"
    if info.file_size > ZIP_MAX_MEMBER:
        return f"zip entry of {info.file_size:,} bytes exceeds the member size limit"
    if info.compress_size > 0 and info.file_size / info.compress_size > ZIP_MAX_RATIO and info.file_size > 10 * 1024**2:
        ratio = info.file_size / info.compress_size
        return f"decompression bomb suspected (ratio {ratio:,.0f}:1, {info.file_size:,} bytes); not read"
    return None


def _walk_zip(spec: SourceSpec, on_skip: SkipCallback, depth: int) -> Iterator[ArtifactRef]:
    zf = _zip_for(spec)
    infos = zf.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        on_skip(display_of(spec), f"archive holds {len(infos):,} entries; not read (entry-count bomb?)")
        return
    copies: dict[str, int] = {}
    for index, info in enumerate(infos):
        if info.is_dir():
            continue
        copy = copies.get(info.filename, 0)
        copies[info.filename] = copy + 1
        problem = zip_member_problem(info)
        if problem:
            on_skip(f"{display_of(spec)}!{_safe_name(info)}" + (f" [copy {copy + 1}]" if copy else ""), problem)
            continue
        try:
            mtime: datetime | None = datetime(*info.date_time, tzinfo=UTC)
        except ValueError:
            mtime = None
        ref = ArtifactRef(spec, info.filename, info.file_size, mtime, index=index, copy=copy)
        yield ref
        if info.filename.lower().endswith(ZIP_SUFFIXES):
            if copy:  # nested archives are addressed by name: only the first copy can be opened
                on_skip(ref.display(), "a second archive of the same name inside the archive; its members were "
                                       "not read (extract it outside the evidence and scan that folder)")
                continue
            yield from _nested_zips(SourceSpec("zip", spec.root, (*spec.inner, info.filename), ref.located,
                                               spec.evidence),
                                    on_skip, depth + 1)


def _safe_name(info: zipfile.ZipInfo) -> str:
    """A member name that can be printed and written anywhere (bytes that are not UTF-8 as ``\\xNN``)."""
    if _BAD_NAMES.get(id(info)) is info:
        return info.filename.encode("cp437").decode("utf-8", "backslashreplace")
    return info.filename


class _BoundedZipReader:
    """Wraps a zip member stream and stops a member that inflates beyond its declared size."""

    def __init__(self, raw: BinaryIO, declared: int, name: str) -> None:
        self._raw = raw
        self._left = declared
        self._name = name

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n if n is not None and n >= 0 else -1)
        self._left -= len(data)
        if self._left < 0:
            raise OSError(f"zip entry {self._name} inflates beyond its declared size (decompression bomb)")
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _BoundedZipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Members (of archives opened in this process) whose names claim UTF-8 but are not, by ``id()``.
_BAD_NAMES: dict[int, zipfile.ZipInfo] = {}


class _PatchedFile:
    """A read-only view of an archive file with a few bytes replaced (see :func:`open_zip`)."""

    def __init__(self, raw: BinaryIO, patches: dict[int, int]) -> None:
        self._raw = raw
        self._patches = patches

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def read(self, n: int = -1) -> bytes:
        pos = self._raw.tell()
        data = self._raw.read(n)
        hits = [o for o in self._patches if pos <= o < pos + len(data)]
        if not hits:
            return data
        buf = bytearray(data)
        for o in hits:
            buf[o - pos] = self._patches[o]
        return bytes(buf)

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()


def _bad_name_patches(fh: BinaryIO) -> dict[int, int] | None:
    """Offsets of the central-directory flag bytes of entries that claim UTF-8 names but are not,
    with bit 11 cleared, so :mod:`zipfile` lists them (as cp437) instead of refusing the archive."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    tail_len = min(size, 65536 + 22)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    eocd = tail.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 > len(tail):
        return None
    cd_size, cd_offset = struct.unpack("<II", tail[eocd + 12 : eocd + 20])
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:  # zip64: the locator points at the real record
        loc = tail.rfind(b"PK\x06\x07", 0, eocd)
        if loc < 0:
            return None
        (rec_at,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
        fh.seek(rec_at)
        rec = fh.read(56)
        if rec[:4] != b"PK\x06\x06":
            return None
        cd_size, cd_offset = struct.unpack("<QQ", rec[40:56])
    # an archive with data before it (self-extractor): the directory sits before its end record
    eocd_abs = size - tail_len + eocd
    concat = max(0, eocd_abs - cd_size - cd_offset) if cd_offset != 0xFFFFFFFF else 0
    fh.seek(cd_offset + concat)
    cd = fh.read(min(cd_size, 512 * 1024**2))
    patches: dict[int, int] = {}
    pos = 0
    while pos + 46 <= len(cd) and cd[pos : pos + 4] == b"PK\x01\x02":
        flags = struct.unpack("<H", cd[pos + 8 : pos + 10])[0]
        n, m, k = struct.unpack("<HHH", cd[pos + 28 : pos + 34])
        name = cd[pos + 46 : pos + 46 + n]
        if flags & 0x800:
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                patches[cd_offset + concat + pos + 9] = cd[pos + 9] & ~0x08
        pos += 46 + n + m + k
    return patches or None


def open_zip(source: str | BinaryIO) -> zipfile.ZipFile:
    """Open an archive read-only. Members whose names claim UTF-8 but are not stay in the listing
    (flagged, not read) instead of making :mod:`zipfile` refuse the whole archive."""
    fh: BinaryIO = safe_open(source) if isinstance(source, str) else source
    try:
        return zipfile.ZipFile(fh)
    except UnicodeDecodeError:
        patches = _bad_name_patches(fh)
        if not patches:
            raise
        zf = zipfile.ZipFile(_PatchedFile(fh, patches))
        for info in zf.infolist():
            raw = info.filename.encode("cp437")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                _BAD_NAMES[id(info)] = info  # ZipInfo has slots: remembered here (held, so the id stays its own)
        return zf
    except BaseException:
        if isinstance(source, str):
            fh.close()
        raise


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NOCTTY", 0))


class NotRegularFileError(OSError):
    """The path opened, but is no regular file: ``kind`` says what it is (a FIFO, a device...)."""

    def __init__(self, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file but a {kind}; not read")
        self.kind = kind


def open_regular_fd(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of the regular file ``path``, checked after opening: ``O_NONBLOCK``
    keeps a FIFO (even one swapped in after a listing) from blocking the open, and ``fstat`` on the
    opened descriptor refuses anything else (:class:`NotRegularFileError`). The one place evidence
    files and files named on the command line are opened."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        kind = special_kind(os.fstat(fd).st_mode)
        if kind:
            raise NotRegularFileError(kind)
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_regular_sized(path: str | os.PathLike[str]) -> tuple[int, int]:
    """:func:`open_regular_fd` and the size ``fstat`` gave for the opened file: ``(fd, size)``."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        kind = special_kind(st.st_mode)
        if kind:
            raise NotRegularFileError(kind)
        return fd, st.st_size
    except BaseException:
        os.close(fd)
        raise


def safe_open(path: str) -> BinaryIO:
    """:func:`open_regular_fd` as a binary file object."""
    return os.fdopen(open_regular_fd(path), "rb")


#: Open zip archives of this process, by (pid, path, nesting): parsing a large central directory
#: costs milliseconds, so re-opening the archive for every member made zip scans ~10x slower. The
#: pid in the key keeps forked workers from sharing a parent's file offset.
_ZIPS: dict[tuple[int, str, tuple[str, ...]], zipfile.ZipFile] = {}
_ZIPS_LOCK = threading.RLock()


#: Nested archives kept open per process, most recently used last; older ones are dropped (their
#: temporary copy goes once no member stream of theirs is open), so memory stays bounded whatever
#: an archive holds.
_NESTED: OrderedDict[tuple[int, str, tuple[str, ...]], zipfile.ZipFile] = OrderedDict()
MAX_NESTED_OPEN = 8


def _zip_for(spec: SourceSpec) -> zipfile.ZipFile:
    key = (os.getpid(), spec.root, spec.inner)
    with _ZIPS_LOCK:
        if spec.inner:
            zf = _NESTED.get(key)
            if zf is None:
                zf = _NESTED[key] = _open_nested(spec)
                while len(_NESTED) > MAX_NESTED_OPEN:
                    _NESTED.popitem(last=False)
            _NESTED.move_to_end(key)
            return zf
        zf = _ZIPS.get(key)
        if zf is None:
            zf = _ZIPS[key] = open_zip(spec.root if spec.outer is None else open_artifact(spec.outer))
        return zf


def close_archives() -> None:
    """Forget the archives this process holds open (tests; a long-lived process between scans)."""
    with _ZIPS_LOCK:
        for zf in list(_ZIPS.values()):
            with suppress(OSError):
                zf.close()
                if zf.fp is not None:
                    zf.fp.close()
        _ZIPS.clear()
        _NESTED.clear()


def _open_nested(spec: SourceSpec) -> zipfile.ZipFile:
    parent = _zip_for(SourceSpec("zip", spec.root, spec.inner[:-1], evidence=spec.evidence, outer=spec.outer))
    # the first member of that name (getinfo() would give the last of duplicates)
    info = next((i for i in parent.infolist() if i.filename == spec.inner[-1]), None) or parent.getinfo(spec.inner[-1])
    problem = zip_member_problem(info)
    if problem:
        raise OSError(problem)
    spool = tempfile.SpooledTemporaryFile(max_size=NESTED_IN_MEMORY, dir=temp_dir(spec))  # kept open with the archive
    with parent.open(info, "r") as raw:
        reader = _BoundedZipReader(raw, info.file_size, info.filename)  # type: ignore[arg-type]
        while chunk := reader.read(1024 * 1024):
            spool.write(chunk)
    spool.seek(0)
    zf = open_zip(spool)  # type: ignore[arg-type]
    # a member stream holds its ZipFile (bound close method): the copy goes when neither is in use
    weakref.finalize(zf, spool.close)
    return zf


def open_artifact(ref: ArtifactRef) -> BinaryIO:
    """Open an artifact for reading, read-only. Callers must close it (use ``with``)."""
    if ref.spec.kind == "dir":
        # os.path.join + open: a pathlib Path per file cost more than reading a small log
        return safe_open(os.path.join(ref.spec.root, ref.member))
    if ref.spec.kind == "file":
        return safe_open(ref.spec.root)
    if ref.spec.kind != "zip":
        from extriage.evidence.loaders import loader

        return loader(ref.spec.kind).open_member(ref)
    zf = _zip_for(ref.spec)
    infos = zf.infolist()
    info = infos[ref.index] if 0 <= ref.index < len(infos) and infos[ref.index].filename == ref.member \
        else zf.getinfo(ref.member)
    problem = zip_member_problem(info)
    if problem:
        raise OSError(problem)
    raw = zf.open(info, "r")  # members share the archive's file safely (zipfile locks each read)
    return _BoundedZipReader(raw, info.file_size, ref.member)  # type: ignore[arg-type,return-value]


def temp_dir(spec: SourceSpec) -> str:
    """The folder for temporary copies: the system's, unless it lies inside the evidence (``TMPDIR``
    pointing into it), which is refused — nothing is ever written into the evidence."""
    tmp = os.path.realpath(tempfile.gettempdir())
    for root in {spec.evidence, spec.root if spec.kind == "dir" else ""} - {""}:
        if _inside(os.path.realpath(root), tmp):
            raise OSError(errno.EROFS, f"the temporary folder {tmp} is inside the evidence; set TMPDIR to a folder "
                                       "outside it to read files that need a temporary copy")
    return tmp


def materialise(ref: ArtifactRef, limit: int) -> tuple[str, bool]:
    """A real file path holding ``ref``'s bytes for readers that need one (an ``.evtx`` parser seeks):
    the file itself for a folder source, else a copy streamed into a temporary file outside the
    evidence (at most ``limit`` bytes). Returns ``(path, temporary)``; the caller deletes a
    temporary copy when done (see :func:`real_file`)."""
    if ref.spec.kind == "dir":
        return os.path.join(ref.spec.root, ref.member), False
    if ref.spec.kind == "file":
        return ref.spec.root, False
    if ref.size > limit:
        raise OSError(errno.EFBIG, f"{ref.size:,} bytes inside an archive exceeds the {limit:,}-byte limit for copies")
    fd, tmp = tempfile.mkstemp(prefix="extriage-", suffix="-" + ref.name[-40:].replace(os.sep, "_"),
                               dir=temp_dir(ref.spec))
    try:
        with os.fdopen(fd, "wb") as out, open_artifact(ref) as src:
            while chunk := src.read(4 * 1024 * 1024):
                out.write(chunk)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp, True


def native_path(ref: ArtifactRef) -> str | None:
    """The operating-system path of ``ref`` when it is a plain file on disk (a parser may read it
    faster by name), else None: it is then only reachable through :func:`open_seekable`."""
    if ref.spec.kind == "dir":
        return os.path.join(ref.spec.root, ref.member)
    if ref.spec.kind == "file":
        return ref.spec.root
    return None


def seeks_in_place(ref: ArtifactRef) -> bool:
    """Whether ``ref`` can be read from any offset without reading what lies before (a file on
    disk or in a disk image can; a compressed zip member cannot): byte ranges of one file can
    then be read by several workers at once."""
    return ref.spec.kind != "zip"


@contextmanager
def open_seekable(ref: ArtifactRef, limit: int = ZIP_MAX_MEMBER) -> Iterator[BinaryIO]:
    """``with open_seekable(ref) as fh``: a seekable read-only stream of ``ref``, for parsers that
    seek (EVTX). Files on disk and files inside a disk image are read in place; a compressed zip
    member (which cannot seek cheaply) is streamed into a temporary copy outside the evidence of at
    most ``limit`` bytes, removed on exit."""
    if ref.spec.kind != "zip":
        with open_artifact(ref) as fh:
            yield fh
        return
    with real_file(ref, limit) as path, open(path, "rb") as fh:
        yield fh


@contextmanager
def real_file(ref: ArtifactRef, limit: int = ZIP_MAX_MEMBER) -> Iterator[str]:
    """``with real_file(ref) as path``: a real, seekable file of the artifact (see
    :func:`materialise`), a temporary copy removed on exit; memory stays bounded."""
    path, temporary = materialise(ref, limit)
    try:
        yield path
    finally:
        if temporary:
            with suppress(OSError):
                os.unlink(path)
