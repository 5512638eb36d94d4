"""Read-only access to evidence: a directory tree (drive root, KAPE/Velociraptor collection, any
folder), a ``.zip`` of one, or a single file.

Nothing here ever opens a file for writing, and nothing is extracted to disk: zip members are
streamed in place. Every file is addressed by a picklable :class:`ArtifactRef` so worker processes
can reopen it themselves.

Hostile input is expected: symlink loops, unreadable folders, zip members with ``..`` or absolute
names (zip slip), decompression bombs. Each problem is reported through the ``on_skip`` callback with
the file's name and the scan goes on.
"""

from __future__ import annotations

import os
import stat
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

SourceKind = Literal["dir", "zip", "file"]

#: A zip member whose uncompressed size is more than this many times its compressed size is
#: treated as a decompression bomb (legitimate text logs compress ~10-30x; bombs 1000x+).
ZIP_MAX_RATIO = 400
#: A zip member larger than this (uncompressed) is not read.
ZIP_MAX_MEMBER = 64 * 1024**3
#: Zip archives with more entries than this are refused (entry-count bombs).
ZIP_MAX_ENTRIES = 2_000_000

SkipCallback = Callable[[str, str], None]


class EvidenceError(Exception):
    """The evidence path as a whole cannot be used (missing, unreadable, not a zip...)."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: SourceKind
    root: str  # absolute path of the directory, zip file or single file


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """A file inside the evidence. ``member`` is its posix path relative to the source root."""

    spec: SourceSpec
    member: str
    size: int
    mtime: datetime | None = None

    @property
    def name(self) -> str:
        return PurePosixPath(self.member).name

    def display(self) -> str:
        """The path as shown to the user: the real file, or ``archive.zip!member``."""
        if self.spec.kind == "zip":
            return f"{self.spec.root}!{self.member}"
        if self.spec.kind == "file":
            return self.spec.root
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
            with zipfile.ZipFile(p) as zf:
                count = len(zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
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
    """Yield every regular file in the source, reporting what cannot be listed through ``on_skip``."""
    if spec.kind == "file":
        st = os.stat(spec.root)
        yield ArtifactRef(spec, Path(spec.root).name, st.st_size, _mtime(st.st_mtime))
    elif spec.kind == "dir":
        yield from _walk_dir(spec, on_skip)
    else:
        yield from _walk_zip(spec, on_skip)


def _mtime(ts: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(ts, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _walk_dir(spec: SourceSpec, on_skip: SkipCallback) -> Iterator[ArtifactRef]:
    root = Path(spec.root)
    root_real = os.path.realpath(root)
    seen_dirs: set[tuple[int, int]] = set()
    stack: list[Path] = [root]
    while stack:
        current = stack.pop()
        rel_dir = current.relative_to(root).as_posix()
        try:
            st = current.stat()
        except OSError as exc:
            on_skip(str(current), f"folder cannot be read: {exc.strerror or exc}")
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            on_skip(str(current), "symbolic link loop: folder already visited")
            continue
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            on_skip(str(current), f"folder cannot be listed: {exc.strerror or exc}")
            continue
        subdirs: list[Path] = []
        for entry in entries:
            member = entry.name if rel_dir == "." else f"{rel_dir}/{entry.name}"
            try:
                if entry.is_symlink() and not _inside(root_real, entry.path):
                    # a link to "/" or the examiner's home would walk the whole machine as evidence
                    on_skip(entry.path, "symbolic link pointing outside the evidence; not followed")
                    continue
                if entry.is_dir(follow_symlinks=True):
                    subdirs.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=True):
                    if entry.is_symlink():
                        on_skip(entry.path, "broken or looping symbolic link")
                    continue
                est = entry.stat(follow_symlinks=True)
            except OSError as exc:
                on_skip(entry.path, f"cannot be read: {exc.strerror or exc}")
                continue
            yield ArtifactRef(spec, member, est.st_size, _mtime(est.st_mtime))
        stack.extend(reversed(subdirs))


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
    if info.file_size > ZIP_MAX_MEMBER:
        return f"zip entry of {info.file_size:,} bytes exceeds the member size limit"
    if info.compress_size > 0 and info.file_size / info.compress_size > ZIP_MAX_RATIO and info.file_size > 10 * 1024**2:
        ratio = info.file_size / info.compress_size
        return f"decompression bomb suspected (ratio {ratio:,.0f}:1, {info.file_size:,} bytes); not read"
    return None


def _walk_zip(spec: SourceSpec, on_skip: SkipCallback) -> Iterator[ArtifactRef]:
    with zipfile.ZipFile(spec.root) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            problem = zip_member_problem(info)
            if problem:
                on_skip(f"{spec.root}!{info.filename}", problem)
                continue
            try:
                mtime: datetime | None = datetime(*info.date_time, tzinfo=UTC)
            except ValueError:
                mtime = None
            yield ArtifactRef(spec, info.filename, info.file_size, mtime)


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


#: Open zip archives of this process, by (pid, path): parsing a large central directory costs
#: milliseconds, so re-opening the archive for every member made zip scans ~10x slower. The pid in the
#: key keeps forked workers from sharing a parent's file offset.
_ZIPS: dict[tuple[int, str], zipfile.ZipFile] = {}
_ZIPS_LOCK = threading.Lock()


def _zip_for(root: str) -> zipfile.ZipFile:
    key = (os.getpid(), root)
    with _ZIPS_LOCK:
        zf = _ZIPS.get(key)
        if zf is None:
            zf = _ZIPS[key] = zipfile.ZipFile(root)
        return zf


def open_artifact(ref: ArtifactRef) -> BinaryIO:
    """Open an artifact for reading, read-only. Callers must close it (use ``with``)."""
    if ref.spec.kind == "dir":
        # os.path.join + open: a pathlib Path per file cost more than reading a small log
        return open(os.path.join(ref.spec.root, ref.member), "rb")
    if ref.spec.kind == "file":
        return Path(ref.spec.root).open("rb")
    zf = _zip_for(ref.spec.root)
    info = zf.getinfo(ref.member)
    problem = zip_member_problem(info)
    if problem:
        raise OSError(problem)
    raw = zf.open(info, "r")  # members share the archive's file safely (zipfile locks each read)
    return _BoundedZipReader(raw, info.file_size, ref.member)  # type: ignore[arg-type,return-value]
