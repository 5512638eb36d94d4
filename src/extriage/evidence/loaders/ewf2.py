"""EnCase 7 ``Ex01`` images (EWF version 2) as a disk for :mod:`extriage.evidence.loaders.image`.

dissect reads EWF version 1 only (``E01``: EnCase 1-6, FTK, ewfacquire); ``Ex01`` segment files
(signature ``EVF2\\r\\n\\x81\\x00``) are read through libyal's libewf (PyPI ``libewf-python``, module
``pyewf``), whose reader handles both versions. Only the container layer differs: the partition
table, the NTFS volumes and the files are read by the image loader as for any other image.

The segment files (``x.Ex01``, ``x.Ex02``…) are opened read-only by us and handed to libewf as file
objects, so the image loader closes them at the end of a scan like any other image's.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from extriage.evidence.loaders.stream import SizedStream
from extriage.evidence.source import safe_open

#: Chunks kept per image (32 KiB each by default: 32 MiB): the stages read an image in several
#: passes, each its own order.
CACHED_CHUNKS = 1024

#: What the scan says when libewf's Python module is missing: what an Ex01 needs.
NEEDS = ("EnCase 7 Ex01 (EWF version 2) image not read: reading Ex01 needs libewf's Python module — pip install "
         "libewf-python (a dependency of extriage; it is missing from this installation) — or export it to a raw "
         "image (ewfexport -t out -f raw, FTK Imager) and scan that")


def segments(path: str) -> list[str]:
    """The segment files of the image whose first segment is ``path`` (``.Ex01``, ``.Ex02``…, then
    ``.ExAA``… as EnCase names them), in order."""
    first = Path(path)
    stem = first.stem
    found = [p for p in first.parent.iterdir() if p.stem == stem and re.fullmatch(r"\.ex[0-9a-z]{2}", p.suffix, re.I)]

    def order(p: Path) -> tuple[int, str]:
        tail = p.suffix[3:].upper()
        return (0, tail) if tail.isdigit() else (1, tail)

    return [str(p) for p in sorted(found, key=order)] or [path]


class Ex01Disk(SizedStream):
    """The media data of an Ex01 image as a seekable stream with a ``size`` (dissect's volume and
    NTFS layers read it as they read any container)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._lock = threading.Lock()  # first: close() (also run when __init__ fails) takes it
        self.files: list[Any] = []
        try:
            import pyewf  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ImportError(NEEDS) from exc
        self.files = [safe_open(p) for p in segments(path)]
        try:
            self._handle: Any = pyewf.handle()
            self._handle.open_file_objects(self.files, "r")
            self.size = int(self._handle.get_media_size())
            self._chunk = int(self._handle.get_chunk_size()) or 32 * 1024
        except BaseException:
            for fh in self.files:
                fh.close()
            raise
        self._pos = 0
        #: chunks read last (index -> data): the NTFS layer reads records and runs in small pieces
        #: that share chunks; libewf would inflate a chunk again for each
        self._cache: OrderedDict[int, bytes] = OrderedDict()

    def _chunk_data(self, index: int) -> bytes:
        data = self._cache.get(index)
        if data is None:
            at = index * self._chunk
            data = self._handle.read_buffer_at_offset(min(self._chunk, self.size - at), at)
            self._cache[index] = data
            if len(self._cache) > CACHED_CHUNKS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return data

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf).cast("B")
        want = min(len(view), self.size - self._pos)
        if want <= 0:
            return 0
        done = 0
        with self._lock:
            while done < want:
                index, skip = divmod(self._pos + done, self._chunk)
                data = self._chunk_data(index)
                take = min(want - done, len(data) - skip)
                if take <= 0:
                    break
                view[done : done + take] = data[skip : skip + take]
                done += take
        self._pos += done
        return done

    def close(self) -> None:
        if not self.closed:
            with self._lock:
                try:
                    if hasattr(self, "_handle"):  # not when __init__ failed before making it
                        self._handle.close()
                finally:
                    for fh in self.files:
                        fh.close()
        super().close()


def open_disk(path: str) -> Ex01Disk:
    return Ex01Disk(path)
