"""Reading evidence bytes once: hashing while reading, bounded lines, a single hash ledger.

Every reader goes through :func:`read_artifact` so that each file read gets its SHA-256 recorded
(chain of custody) without a second pass over the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from extriage.evidence.source import ArtifactRef, open_artifact

CHUNK = 4 * 1024 * 1024
#: Lines longer than this are cut (the rest of the line is skipped, not kept in memory) and flagged.
MAX_LINE = 1024 * 1024


class HashingReader:
    """A read-only stream wrapper that hashes every byte that passes through it."""

    def __init__(self, raw: BinaryIO, hashed: bool = True) -> None:
        self._raw = raw
        self._sha = hashlib.sha256() if hashed else None
        self.bytes_read = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if data:
            if self._sha is not None:
                self._sha.update(data)
            self.bytes_read += len(data)
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into ``buf`` (no new object per read), hashing what was read."""
        n: int = self._raw.readinto(buf)  # type: ignore[attr-defined]
        if n:
            if self._sha is not None:
                self._sha.update(memoryview(buf)[:n])
            self.bytes_read += n
        return n

    def drain(self) -> None:
        """Read what the consumer left unread, so the hash covers the whole file."""
        while self.read(CHUNK):
            pass

    def hexdigest(self) -> str:
        if self._sha is None:
            raise ValueError("this reader was opened without hashing")
        return self._sha.hexdigest()


@contextmanager
def read_artifact(ref: ArtifactRef, hashed: bool = True) -> Iterator[HashingReader]:
    """Open ``ref`` read-only and hash it as it is read. Raises ``OSError`` on I/O problems.
    ``hashed=False`` only for a second read of a file whose digest is already recorded."""
    with open_artifact(ref) as raw:
        yield HashingReader(raw, hashed)


def iter_lines(stream: HashingReader | BinaryIO, max_line: int = MAX_LINE) -> Iterator[tuple[int, bytes, bool]]:
    """Yield ``(line_number, line, truncated)`` without the end-of-line bytes, in bounded memory.

    A line longer than ``max_line`` is yielded once, cut to ``max_line`` bytes, with ``truncated`` set;
    its remainder is read and discarded.
    """
    lineno = 0
    pending = b""
    skipping = False  # inside the remainder of an over-long line
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        data = pending + chunk if pending else chunk
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            if skipping:
                skipping = False
            else:
                lineno += 1
                if nl - start > max_line:
                    yield lineno, data[start : start + max_line], True
                else:
                    yield lineno, data[start:nl].rstrip(b"\r"), False
            start = nl + 1
        rest = data[start:]
        if skipping:
            pending = b""
        elif len(rest) > max_line:
            lineno += 1
            yield lineno, rest[:max_line], True
            pending = b""
            skipping = True
        else:
            pending = rest
    if pending and not skipping:
        lineno += 1
        yield lineno, pending.rstrip(b"\r"), False


def sha256_of(ref: ArtifactRef) -> str:
    """Hash a whole artifact (for files a detection reads only partly)."""
    with read_artifact(ref) as reader:
        reader.drain()
        return reader.hexdigest()
