"""Whether an evidence file holds any of a few literals: a raw search, no hashing, no lines.

The correlate stage looks up attacker addresses and web shell names in every web log after the
first pass. Most logs hold none of them, so their bytes are only searched (the first pass already
hashed, counted and parsed them), and only a file with a hit is read line by line. The search
reads into one reused buffer per thread and opens files without pathlib: on thousands of hourly
logs the per-file overhead, not the search, was most of the time (BENCHMARKS.md, core section).
"""

from __future__ import annotations

import threading

from extriage.evidence.locate import LocatedFile
from extriage.evidence.reading import CHUNK, sparse_holes
from extriage.evidence.source import open_artifact
from extriage.formats.logdecode import compression_of, utf16_of
from extriage.formats.prefilter import Prefilter

_BUFFERS = threading.local()


def holds(f: LocatedFile, prefilter: Prefilter) -> bool:
    """Whether the raw bytes of ``f`` match ``prefilter``, chunk seams included: the last bytes of
    a chunk (the longest literal but one) are kept in front of the next, so a literal cut by a read
    is still found. A compressed or UTF-16 file (told by its first bytes) is reported as a hit: only
    the walk, which decodes it, can say. Raises ``OSError`` when the file cannot be read."""
    if prefilter.empty:
        return False
    overlap = prefilter.longest_literal - 1  # computed once per prefilter, not per file
    size = CHUNK + overlap
    buf = getattr(_BUFFERS, "buf", None)
    if buf is None or len(buf) != size:
        buf = _BUFFERS.buf = bytearray(size)
    view = memoryview(buf)
    try:
        kept = 0
        with open_artifact(f.ref) as raw:
            holes = sparse_holes(raw)  # zeros never match a literal: the holes of a sparse file are skipped
            pos = 0
            while True:
                for start, end in holes:
                    if start <= pos < end:
                        raw.seek(end)
                        pos, kept = end, 0
                        break
                n = raw.readinto(view[kept : kept + CHUNK])  # type: ignore[attr-defined]
                if pos == 0 and n and (compression_of(buf[:16]) or utf16_of(buf[: min(n, 4096)])):
                    return True  # compressed or UTF-16: its raw bytes cannot be searched; the walk decodes it
                pos += n or 0
                if not n:
                    return False
                end = kept + n
                if prefilter.any_match(view[:end]):
                    return True
                kept = min(overlap, end)
                if kept:
                    buf[:kept] = buf[end - kept : end]
    finally:
        view.release()
