"""The position bookkeeping shared by the loaders' read-only streams of a known length (a file's data
runs on an NTFS volume, a tar member, an Ex01 image's media): each only says how to ``readinto``."""

from __future__ import annotations

import io


class SizedStream(io.RawIOBase):
    """A read-only, seekable stream of ``size`` bytes; a subclass reads from ``_pos`` in ``readinto``
    and moves ``_pos`` past what it read. Seeking beyond the end is allowed (reads then return b"")."""

    size: int
    _pos: int = 0

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
            offset += self.size
        if offset < 0:
            raise ValueError("negative seek position")
        self._pos = offset
        return offset
