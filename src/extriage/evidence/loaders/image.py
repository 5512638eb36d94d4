"""Disk images read in place: raw/dd (also split ``.001``…), E01, VMDK, VHD/VHDX, QCOW2, VDI.

Layers (Fox-IT's dissect, pure Python): ``dissect.target.container`` opens the image format (and
its segments: ``.E02``…, ``.002``…), ``dissect.target.volume`` its partition table (MBR, GPT; none
for an image of one volume), ``dissect.ntfs`` each NTFS volume. ``dissect.target.Target`` is not
used: it runs operating-system detection and loads plugins the scan does not need, and hides the
volumes it could not open, which the scan must name.

Nothing is mounted and nothing of the image is copied to disk: files are read through the image
in bounded chunks. A file is addressed by its image path, the volume's byte offset and its MFT
segment number (picklable: worker processes reopen the image themselves, once per process).

Every NTFS volume is read. One volume: its files sit at the root of the evidence (as a drive root
would). Several: each under a drive letter folder (``C/…``, ``D/…``: the volume holding
``Windows`` is ``C``, the others follow in disk order), as a KAPE collection lays out drives. What
cannot be read is named, one sentence each: a truncated or corrupt image, a BitLocker volume, a
volume of another file system, an image without any NTFS volume.
"""

from __future__ import annotations

import gc
import importlib
import io
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from extriage.evidence.images import image_kind
from extriage.evidence.loaders.mft import Record, RunReader, filetime_ns, iter_records, parse_record
from extriage.evidence.source import ArtifactRef, SkipCallback, SourceSpec, safe_open, time_of_ns

if TYPE_CHECKING:
    from dissect.ntfs import NTFS

KIND = "image"

#: NTFS metadata files at the volume root ($MFT, $LogFile…): not evidence files (never listed).
_META = re.compile(r"^\$(mft|mftmirr|logfile|volume|attrdef|bitmap|boot|badclus|secure|upcase|extend)$", re.I)
#: Reparse tags of symbolic links and junctions (IO_REPARSE_TAG_SYMLINK, _MOUNT_POINT): not followed.
_LINK_TAGS = frozenset({0xA000000C, 0xA0000003})
#: Folder depth beyond which a branch is not listed (a corrupt index pointing at its own parent).
MAX_DEPTH = 64

for _name in ("dissect", "dissect.target", "dissect.ntfs", "dissect.volume", "dissect.evidence",
              "dissect.hypervisor"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)  # their warnings are ours to phrase


def recognise(head: bytes, tail: bytes) -> str:
    return image_kind(head, tail)


@dataclass(slots=True)
class _Volume:
    """One opened NTFS volume of an image, shared by every file read from it in this process."""

    ntfs: NTFS
    lock: threading.Lock
    disk: Any


#: Opened volumes of this process, by (pid, image path, volume offset): the pid keeps a forked
#: worker from sharing its parent's file offsets.
_OPEN: dict[tuple[int, str, int], _Volume] = {}
_DISKS: dict[tuple[int, str], Any] = {}
_LOCK = threading.Lock()


#: Image formats dissect does not open, by signature: module whose ``open_disk(path)`` gives the
#: media data as a seekable stream with a ``size`` (one line per format).
DISK_FORMATS: dict[bytes, str] = {
    b"EVF2\r\n\x81\x00": "extriage.evidence.loaders.ewf2",  # EnCase 7 Ex01 (EWF 2), through libewf
}


def _open_disk(path: str) -> Any:
    from dissect.target import container

    with safe_open(path) as fh:
        head = fh.read(16)
    for signature, module in DISK_FORMATS.items():
        if head.startswith(signature):
            opener: Any = importlib.import_module(module)
            return opener.open_disk(path)
    with _failed_containers_quiet():
        try:
            return container.open(Path(path))
        except BaseException as exc:
            _drop_frames(exc)  # the containers that failed half-way are finalised now, in the quiet scope
            raise


@contextmanager
def _failed_containers_quiet() -> Iterator[None]:
    """dissect tries each container format in turn; one whose ``__init__`` fails on a truncated or
    corrupt image is finalised later, and its ``close``/``repr`` fail on attributes never set, which
    Python prints as "Exception ignored in …" with a traceback on stderr (seen with 3.13: the image
    is already named as unreadable). Those errors, and only those, are dropped while images open."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        tb = unraisable.exc_traceback
        where = ""
        while tb is not None:
            where, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
        inside = f"dissect{os.sep}target{os.sep}container" in where
        if not (isinstance(unraisable.exc_value, AttributeError) and inside):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        gc.collect()  # failed containers held in reference cycles go while the hook is in place
        sys.unraisablehook = previous


def _drop_frames(exc: BaseException) -> None:
    """Forget the frames of an exception and of the ones it chains (they hold half-built objects)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        e.__traceback__ = None
        todo += [e.__cause__, e.__context__]


def _disk(path: str) -> Any:
    key = (os.getpid(), path)
    with _LOCK:
        disk = _DISKS.get(key)
        if disk is None:
            disk = _DISKS[key] = _open_disk(path)
        return disk


def _volume(path: str, offset: int, size: int) -> _Volume:
    key = (os.getpid(), path, offset)
    vol = _OPEN.get(key)
    if vol is None:
        from dissect.ntfs import NTFS
        from dissect.util.stream import RangeStream

        disk = _disk(path)
        with _LOCK:
            vol = _OPEN.get(key)
            if vol is None:
                view = disk if offset == 0 and size in (0, disk.size) else RangeStream(disk, offset, size)
                vol = _OPEN[key] = _Volume(NTFS(view), threading.Lock(), disk)
    return vol


def close_images() -> None:
    """Forget the images this process holds open (tests; a long-lived process between scans)."""
    with _LOCK:
        paths = {key[1] for key in _DISKS}
    release(paths)
    with _LOCK:
        _OPEN.clear()


def release(paths: set[str]) -> None:
    """Close the images at ``paths`` that this process holds open (the end of a scan), and forget
    their volumes and folder maps; other images stay open (another scan in this process)."""
    with _LOCK:
        for key in [k for k in _DISKS if k[1] in paths]:
            disk = _DISKS.pop(key)
            with suppress(Exception):  # closing must not fail a scan
                disk.close()
            for fh in _files_of(disk):  # dissect's containers do not all close the files they opened
                with suppress(OSError):
                    fh.close()
        for vkey in [k for k in _OPEN if k[1] in paths]:
            del _OPEN[vkey]
        for fkey in [k for k in _FOLDERS if k[1] in paths]:
            del _FOLDERS[fkey]


def _files_of(obj: Any, depth: int = 0, seen: set[int] | None = None) -> Iterator[io.IOBase]:
    """The operating-system files an opened container holds (its image file and segments), found
    through its attributes (a few levels: container -> stream -> segment -> file)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6 or isinstance(obj, (str, bytes, bytearray, int, float, memoryview)):
        return
    seen.add(id(obj))
    if isinstance(obj, io.IOBase):
        with suppress(OSError, ValueError):
            obj.fileno()
            yield obj
            return
    if isinstance(obj, dict):
        children: list[Any] = list(obj.values())
    elif isinstance(obj, (list, tuple, set)):
        children = list(obj)
    else:
        children = list(getattr(obj, "__dict__", {}).values())
        for cls in type(obj).__mro__:
            children.extend(getattr(obj, slot, None) for slot in getattr(cls, "__slots__", ()) if isinstance(slot, str))
    for child in children:
        yield from _files_of(child, depth + 1, seen)


def _image_path(ref: ArtifactRef) -> str:
    """The image file of a file of the evidence that is an image (a folder source or a single file)."""
    if ref.spec.kind == "file":
        return ref.spec.root
    return os.path.join(ref.spec.root, ref.member)


def parts(ref: ArtifactRef) -> set[str]:
    """Display paths of the other segments of a split or multi-segment image (``x.002``, ``x.E02``)."""
    path = Path(_image_path(ref))
    suffix = path.suffix.lower()
    if not re.fullmatch(r"\.(\d{3}|e01|ex01|s01)", suffix):
        return set()
    if suffix[1:].isdigit():
        pattern = re.compile(re.escape(path.stem) + r"\.\d{3,}", re.I)
    else:
        pattern = re.compile(re.escape(path.stem) + r"\.(e|ex|s)[0-9a-z]{2}", re.I)
    try:
        return {str(p) for p in path.parent.iterdir() if p != path and pattern.fullmatch(p.name)}
    except OSError:
        return set()


@dataclass(slots=True)
class _Part:
    number: int  # 1-based partition number, 0 = the image is one volume
    offset: int
    size: int
    fs: str  # "ntfs", "bitlocker", or a description of what else it is


def _fs_of(disk: Any, offset: int) -> str:
    disk.seek(offset)
    boot = disk.read(512)
    if len(boot) < 512:
        return "truncated"
    if boot[3:11] == b"NTFS    ":
        return "ntfs"
    if boot[3:11] == b"-FVE-FS-":
        return "bitlocker"
    if boot[82:90].startswith(b"FAT32") or boot[54:62].startswith(b"FAT"):
        return "FAT"
    if boot[3:11] == b"EXFAT   ":
        return "exFAT"
    if boot[3:7] == b"ReFS":
        return "ReFS"
    disk.seek(offset + 1024 + 56)
    if disk.read(2) == b"\x53\xef":
        return "ext2/3/4"
    return "unknown"


def _partitions(disk: Any) -> list[_Part]:
    from dissect.target import volume
    from dissect.target.exceptions import VolumeSystemError

    whole = _fs_of(disk, 0)
    if whole in ("ntfs", "bitlocker"):
        return [_Part(0, 0, int(disk.size), whole)]
    try:
        vols = volume.open(disk).volumes
    except VolumeSystemError:
        return [_Part(0, 0, int(disk.size), whole)]
    found: list[_Part] = []
    for i, v in enumerate(vols, 1):
        if not v.size or v.offset >= disk.size:
            continue
        found.append(_Part(int(v.number or i), int(v.offset), int(v.size), _fs_of(disk, int(v.offset))))
    return found


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB" if n >= 1024**2 else f"{n:,} bytes"


def expand(ref: ArtifactRef, located: str, on_skip: SkipCallback, notes: list[str]) -> Iterator[ArtifactRef]:
    """The files of every NTFS volume of the image ``ref``. ``located`` = where the image sits in
    the evidence ("" when it is the evidence itself)."""
    path = _image_path(ref)
    shown = ref.display()
    kind = ""
    try:
        from dissect.target.exceptions import ContainerError
    except ImportError:  # pragma: no cover - dissect is a dependency; said plainly if it is missing
        on_skip(shown, "disk image not read: the dissect.target package is not installed (pip install dissect.target)")
        return
    try:
        disk = _disk(path)
        kind = type(disk).__name__.removesuffix("Container")
        parts_found = _partitions(disk)
    except ContainerError as exc:
        cause = exc.__cause__ or exc
        on_skip(shown, f"disk image cannot be opened, it is truncated or corrupt ({_why(cause)}); not read")
        return
    except ImportError as exc:  # a format read through an optional module that is missing: what it needs
        on_skip(shown, str(exc))
        return
    except Exception as exc:
        on_skip(shown, f"disk image cannot be read, it is truncated or corrupt ({_why(exc)}); not read")
        return
    ntfs = [p for p in parts_found if p.fs == "ntfs"]
    for p in parts_found:
        label = _label(p)
        if p.fs == "bitlocker":
            on_skip(f"{shown}!{label}", f"BitLocker-encrypted volume ({_mb(p.size)}) not read: decrypt it with its "
                                         "recovery key (dislocker, or Windows) and scan the decrypted image")
        elif p.fs == "truncated":
            on_skip(f"{shown}!{label}" if p.number else shown,
                    "disk image is truncated: its data ends before the volume's first sector; not read — check the "
                    "copy against its acquisition hash")
        elif p.fs != "ntfs":
            notes.append(f"{shown}: {label} ({_mb(p.size)}) holds no NTFS file system ({p.fs}); not read")
    if not ntfs:
        if not any(p.fs in ("bitlocker", "truncated") for p in parts_found):
            on_skip(shown, "disk image holds no Windows (NTFS) volume; nothing in it was read")
        return
    letters = _letters(path, ntfs)
    for p in ntfs:
        letter = letters[p.offset]
        prefix = "/".join(x for x in (located, letter if (len(ntfs) > 1 or located) else "") if x)
        spec = SourceSpec(KIND, path, (_label(p),), prefix, ref.spec.evidence or ref.spec.root, (p.offset, p.size))
        short = _short(disk, p)
        if short:  # whatever is listed, files past the end cannot be read: never an all-clear
            on_skip(f"{shown}!{_label(p)}", f"disk image is truncated: {short}; files stored past its end "
                                             "cannot be read — check the copy against its acquisition hash")
        count = 0
        try:
            for f in _walk(spec, on_skip):
                count += 1
                yield f
        except Exception as exc:
            on_skip(f"{shown}!{_label(p)}", f"NTFS volume cannot be read further, it is corrupt ({_why(exc)}); "
                                             f"{count:,} files were listed before the damage")
        where = f" as {letter}:" if len(ntfs) > 1 else ""
        notes.append(f"{shown} ({kind} image): {_label(p)} (NTFS, {_mb(p.size)}) read{where}, {count:,} files")


def _label(p: _Part) -> str:
    return f"partition {p.number}" if p.number else "volume"


def _why(exc: BaseException) -> str:
    """The innermost cause of a parser error, in words (dissect wraps them and names paths as reprs)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, EOFError):
        return "its data ends early"
    text = str(exc).strip()
    if not text or "PosixPath(" in text:
        return type(exc).__name__
    return text[:200]


def _short(disk: Any, p: _Part) -> str:
    """What is missing when the volume's boot sector claims more bytes than the image holds, or ""."""
    try:
        disk.seek(p.offset)
        boot = disk.read(512)
        sector = int.from_bytes(boot[11:13], "little")
        claimed = int.from_bytes(boot[40:48], "little") * sector
    except Exception:  # the boot sector was read already when the volume was found: unlikely
        return ""
    have = min(p.size, int(disk.size) - p.offset)
    if claimed > have + sector:
        return f"the NTFS volume claims {claimed:,} bytes, the image holds {have:,}"
    return ""


def _letters(path: str, ntfs: list[_Part]) -> dict[int, str]:
    """Drive letters: the volume with a ``Windows`` folder is C, the others D, E… in disk order."""
    system = next((p.offset for p in ntfs if _has_windows(path, p)), None)
    letters: dict[int, str] = {}
    free = iter("DEFGHIJKLMNOPQRSTUVWXYZ")
    for p in ntfs:
        letters[p.offset] = "C" if p.offset == system or (system is None and not letters) else next(free)
    return letters


def _has_windows(path: str, p: _Part) -> bool:
    try:
        vol = _volume(path, p.offset, p.size)
        with vol.lock:
            vol.ntfs.mft.get("Windows")
    except Exception:  # no Windows folder (or unreadable: said when it is listed)
        return False
    return True


class _LockedStream:
    """Sequential reads of a stream that shares the volume's handle."""

    def __init__(self, raw: Any, lock: threading.Lock) -> None:
        self._raw = raw
        self._lock = lock
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        with self._lock:
            self._raw.seek(self._pos)
            data: bytes = self._raw.read(n)
        self._pos += len(data)
        return data


#: Folder paths (member, "/" separated) by MFT segment of each volume listed in this process, so the
#: change journal's folder references can be named.
_FOLDERS: dict[tuple[int, str, int], dict[int, str]] = {}


def journal(spec: SourceSpec) -> tuple[Any, dict[int, str]] | None:
    """The volume's ``$UsnJrnl:$J`` stream, positioned at its first stored byte (its sparse head
    skipped), and its folders by MFT segment; None when the volume keeps no change journal."""
    offset, size = spec.volume
    vol = _volume(spec.root, offset, size)
    usn = vol.ntfs.usnjrnl
    if usn is None:
        return None
    start = 0
    for run_offset, run_size in getattr(usn.fh, "runlist", ()):
        if run_offset is not None:
            break
        start += run_size * vol.ntfs.cluster_size
    stream = _LockedStream(usn.fh, vol.lock)
    stream._pos = start
    return stream, _FOLDERS.get((os.getpid(), spec.root, offset), {})


def _walk(spec: SourceSpec, on_skip: SkipCallback) -> Iterator[ArtifactRef]:
    """The files of one NTFS volume from one sequential pass over its ``$MFT`` (see
    :mod:`extriage.evidence.loaders.mft`), in the order a folder walk gives (each folder's files by
    name, then its subfolders by name, depth first)."""
    offset, size = spec.volume
    vol = _volume(spec.root, offset, size)
    shown = f"{spec.root}!{spec.inner[0]}"
    ntfs = vol.ntfs
    dirs: dict[int, list[tuple[str, int]]] = {}  # folder segment -> its subfolders (name, segment)
    files: dict[int, list[tuple[str, Record]]] = {}  # folder segment -> its files (name, record)
    is_dir: set[int] = set()
    for rec in iter_records(_LockedStream(ntfs.mft.fh, vol.lock), ntfs._record_size, ntfs.sector_size):
        if not rec.in_use or not rec.names:
            continue
        if rec.is_dir:
            if rec.reparse:
                continue  # junctions point at folders listed where they really are
            is_dir.add(rec.segment)
            for parent, name in rec.names:
                if rec.segment != parent:
                    dirs.setdefault(parent, []).append((name, rec.segment))
        else:
            for parent, name in rec.names:
                files.setdefault(parent, []).append((name, rec))
    stack: list[tuple[int, str, int]] = [(5, "", 0)]  # (segment, folder, depth); 5 = the root folder
    seen: set[int] = {5}
    folders = _FOLDERS[(os.getpid(), spec.root, offset)] = {}
    while stack:
        segment, folder, depth = stack.pop()
        folders[segment] = folder
        for name, rec in sorted(files.get(segment, ()), key=lambda e: e[0]):
            if not name or "/" in name or "\x00" in name or (not folder and _META.match(name)):
                continue
            member = f"{folder}/{name}" if folder else name
            if rec.reparse and rec.reparse_tag in _LINK_TAGS:
                continue  # a symbolic link: its target is listed where it is
            if rec.reparse:
                on_skip(f"{shown}/{member}", f"reparse point (tag 0x{rec.reparse_tag:08X}: a deduplicated, cloud or "
                                             "archived file) whose data is not stored in the file; not read")
                continue
            length = rec.size
            if rec.fallback and not rec.size and rec.resident is None:
                try:
                    with vol.lock:
                        length = int(ntfs.mft.get(rec.segment).size())
                except Exception as exc:  # a damaged attribute list
                    on_skip(f"{shown}/{member}", f"file record is damaged ({_why(exc)}); not read")
                    continue
            yield ArtifactRef(spec, member, length, time_of_ns(filetime_ns(rec.si_times[1])), index=rec.segment)
        subdirs: list[tuple[int, str, int]] = []
        for name, seg in dirs.get(segment, ()):
            if not name or "/" in name or "\x00" in name or (not folder and _META.match(name)) or seg in seen:
                continue
            member = f"{folder}/{name}" if folder else name
            if depth + 1 > MAX_DEPTH:
                on_skip(f"{shown}/{member}", f"folder nested more than {MAX_DEPTH} levels deep; not listed")
                continue
            seen.add(seg)
            subdirs.append((seg, member, depth + 1))
        stack.extend(sorted(subdirs, key=lambda d: d[1], reverse=True))


class _Member:
    """A file inside an image: reads go through the volume's lock (its streams share one handle)."""

    def __init__(self, raw: BinaryIO, lock: threading.Lock, name: str) -> None:
        self._raw = raw
        self._lock = lock
        self.name = name

    def read(self, n: int = -1) -> bytes:
        with self._lock:
            try:
                return self._raw.read(n if n is not None else -1)
            except OSError:
                raise
            except Exception as exc:
                raise OSError(f"cannot be read from the image ({_why(exc)})") from exc

    def readinto(self, buf: bytearray | memoryview) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        with self._lock:
            try:
                return self._raw.seek(offset, whence)
            except (OSError, ValueError):
                raise
            except Exception as exc:
                raise OSError(f"cannot be read from the image ({_why(exc)})") from exc

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()

    @property
    def closed(self) -> bool:
        return bool(self._raw.closed)

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_member(ref: ArtifactRef) -> BinaryIO:
    offset, size = ref.spec.volume
    try:
        vol = _volume(ref.spec.root, offset, size)
        ntfs = vol.ntfs
        with vol.lock:
            ntfs.mft.fh.seek(ref.index * ntfs._record_size)
            raw = ntfs.mft.fh.read(ntfs._record_size)
        rec = parse_record(raw, ref.index, ntfs.sector_size)
        if rec is None or not rec.in_use:
            raise OSError("its file record is no longer valid in the image")
        if rec.resident is not None:
            return io.BytesIO(rec.resident)
        if not rec.fallback:
            return RunReader(ntfs.fh, vol.lock, ntfs.cluster_size, rec.runs, rec.size,  # type: ignore[return-value]
                             rec.initialized)
        with vol.lock:  # attribute lists, compressed or encrypted data: dissect.ntfs reads them
            stream = ntfs.mft.get(ref.index).open()
    except OSError:
        raise
    except Exception as exc:  # damaged records raise the parser's own errors
        raise OSError(f"cannot be read from the image ({_why(exc)})") from exc
    return _Member(stream, vol.lock, ref.member)  # type: ignore[return-value]


def times(ref: ArtifactRef) -> dict[str, Any] | None:
    """The file's NTFS times from its ``$STANDARD_INFORMATION`` (what Explorer shows, and what
    time-stomping tools set) and ``$FILE_NAME`` (set by the kernel when the file is created or
    renamed; user-mode tools cannot set it), and whether SI is earlier than FN (time-stomping)."""
    offset, size = ref.spec.volume
    vol = _volume(ref.spec.root, offset, size)
    ntfs = vol.ntfs
    with vol.lock:
        ntfs.mft.fh.seek(ref.index * ntfs._record_size)
        raw = ntfs.mft.fh.read(ntfs._record_size)
    rec = parse_record(raw, ref.index, ntfs.sector_size)
    if rec is None or rec.si_times == (0, 0, 0, 0):
        return None
    names = ("created", "modified", "mft_changed", "accessed")

    def iso(ft: int) -> str:
        when = time_of_ns(filetime_ns(ft)) if ft else None
        return when.isoformat().replace("+00:00", "Z") if when else ""

    si = dict(zip(names, map(iso, rec.si_times), strict=True))
    fn = dict(zip(names, map(iso, rec.fn_times), strict=True)) if rec.fn_times != (0, 0, 0, 0) else {}
    # creation only: a copied file keeps its old modification time (SI modified < FN created is normal)
    stomped = bool(fn) and rec.si_times[0] < rec.fn_times[0]
    return {"standard_information": si, "file_name": fn, "timestomped": stomped}


def display(ref: ArtifactRef) -> str:
    return f"{ref.spec.root}!{ref.spec.inner[0]}/{ref.member}"
