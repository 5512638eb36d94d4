"""Streaming walk over one text log in raw chunks: counts, time span and prefiltered lines only.

Multi-GB log sets must go fast in Python, so per-line Python work is limited to the lines the
:class:`~extriage.formats.prefilter.Prefilter` selects. Everything else is done on whole chunks in
C: newline counting, header (``#``) lines, and requests per hour, found by bisecting a chunk until
both ends of a piece fall in the same hour (logs are written in time order, so this costs a few
dozen ``bytes.count`` calls per chunk). Memory stays bounded by the chunk size and
:data:`MAX_LINE`, whatever the file size or line length.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from extriage.findings import utc
from extriage.formats import exchange_csv, oabgen, w3c
from extriage.formats.prefilter import Prefilter

CHUNK = 4 * 1024 * 1024
#: A line longer than this is cut: the first MAX_LINE bytes are kept, the rest skipped and noted.
MAX_LINE = 1024 * 1024
#: Exchange CSV logs are searched for ``#`` header lines in this many first bytes (whole lines),
#: or further while no data line has been seen among the first FIRST_LINES lines.
HEADER_REGION = 8192
FIRST_LINES = 12
#: Raw lines are kept in findings up to this many characters (the rest is marked as cut).
MAX_RAW = 16 * 1024

#: A region of log bytes: the sniffed head (``bytes``) or the reused read buffer (``bytearray``).
Buffer = bytes | bytearray

_HOUR_RE = re.compile(rb"(\d{4}-\d\d-\d\d)[T ](\d\d)")
_TS_RE = re.compile(rb"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d{1,7})?)")


class Readable(Protocol):
    """A binary stream; one that also has ``readinto`` is read into a reused buffer."""

    def read(self, n: int = -1) -> bytes: ...


@dataclass(slots=True)
class Candidate:
    """One line the prefilter selected, with the field names in force where it stands."""

    lineno: int
    raw: bytes
    names: list[str]
    truncated: bool = False
    #: which prefilter patterns hit the line (bit i = pattern i of the prefilter; -1 = unknown, all)
    hits: int = -1


@dataclass(slots=True)
class WalkStats:
    lines: int = 0
    bytes: int = 0
    candidates: int = 0
    first: datetime | None = None
    last: datetime | None = None
    hours: Counter[str] = field(default_factory=Counter)
    long_lines: list[int] = field(default_factory=list)
    nul_bytes: int = 0
    names: list[str] = field(default_factory=list)  # the last field list seen


def decode(raw: Buffer) -> str:
    """Log bytes as text: UTF-8 (BOM dropped), undecodable bytes replaced, never an exception."""
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")


def line_time(raw: Buffer, family: str, names: list[str] | None = None) -> datetime | None:
    """Timestamp of a data line: at its start (Exchange CSV and W3C in IIS's default field order),
    else, for W3C logs whose ``#Fields`` put ``date``/``time`` elsewhere, by those names."""
    m = _TS_RE.match(raw.lstrip(b"\xef\xbb\xbf\""))
    if m:
        try:
            return utc(datetime.fromisoformat(f"{m.group(1).decode()}T{m.group(2).decode()[:15]}"))
        except ValueError:
            return None
    if family == "oabgen":
        return oabgen.parse_timestamp(decode(raw))
    if family == "iis" and names and "date" in names and "time" in names:
        return w3c.parse_timestamp(w3c.row_to_fields(decode(raw), names))
    return None


def _names_from_header(line: str, family: str) -> list[str] | None:
    if family == "iis":
        return w3c.parse_fields_directive(line)
    return exchange_csv.parse_fields_directive(line) or exchange_csv.looks_like_bare_header(line)


def _next_header(body: Buffer, pos: int, limit: int) -> int:
    """Offset of the newline before the next ``#`` line in ``body[pos:limit]``, or -1.

    ``find(b"\\n#")`` stalls at every newline (5 ms per 4 MB chunk, more than counting the lines);
    ``#`` itself is rare in log lines, so it is searched for with memchr and its line start checked.
    Lines full of ``#`` (hostile input) fall back to the two-byte search after a few misses."""
    misses = 0
    while True:
        hit = body.find(b"#", pos + 1, limit)
        if hit < 0:
            return -1
        if body[hit - 1] == 0x0A:
            return hit - 1
        misses += 1
        if misses > 64:
            return body.find(b"\n#", hit, limit)
        pos = hit


def _hour_of(body: Buffer, pos: int) -> bytes | None:
    m = _HOUR_RE.match(body, pos)
    return m.group(1) + b"T" + m.group(2) if m else None


def _count_hours(body: Buffer, lo: int, hi: int, out: Counter[str], count: Callable[[int, int], int]) -> int:
    """Add the lines of ``body[lo:hi]`` (complete lines, ``hi`` just after a newline) to ``out``.

    Returns the number of newlines in ``body[lo:hi]`` (the pieces partition the range), so the
    caller's line count needs no second pass over the chunk. Lines without a time at the start of
    the range (a file's ``#`` block, a bare CSV header line) are counted as lines but not as
    requests, and skipped first: the bisection would otherwise descend to each of them."""
    skipped = 0
    while lo < hi and skipped < FIRST_LINES and _hour_of(body, lo) is None:
        nl = body.find(b"\n", lo, hi)
        if nl < 0:
            break
        lo = nl + 1
        skipped += 1
    if lo >= hi:
        return skipped
    return skipped + _bisect_hours(body, lo, hi, out, count, 0)


def _bisect_hours(body: Buffer, lo: int, hi: int, out: Counter[str], count: Callable[[int, int], int], depth: int) -> int:
    last_start = body.rfind(b"\n", lo, hi - 1) + 1
    if last_start <= lo:
        last_start = lo
    h_first = _hour_of(body, lo)
    h_last = _hour_of(body, last_start)
    if h_first is not None and h_first == h_last:
        n = count(lo, hi)
        out[h_first.decode()] += n
        return n
    if last_start == lo or depth > 60:  # a single line, or pathological input
        n = count(lo, hi)
        if h_first is not None:
            out[h_first.decode()] += n
        return n
    mid = body.find(b"\n", (lo + hi) // 2 - 1)
    if mid < 0 or mid + 1 >= hi:
        mid = body.rfind(b"\n", lo, hi - 1)
    return (_bisect_hours(body, lo, mid + 1, out, count, depth + 1)
            + _bisect_hours(body, mid + 1, hi, out, count, depth + 1))


def _data_line_within(body: Buffer, lo: int, region: int, family: str) -> bool:
    """Whether one of the first :data:`FIRST_LINES` lines of ``body[lo:region]`` is a data line (not
    a ``#`` directive, blank, or a bare CSV header line) — the test :func:`walk` uses for the first
    data line, so header lines are searched for until that line, exactly as before."""
    off = lo
    for _ in range(FIRST_LINES):
        end = body.find(b"\n", off, region)
        if end < 0:
            return False
        line = body[off:end]
        stripped = line.lstrip(b"\xef\xbb\xbf")
        if stripped.startswith(b"#") or not stripped.strip():
            off = end + 1
            continue
        if family != "iis" and exchange_csv.looks_like_bare_header(decode(line)):
            off = end + 1
            continue
        return True
    return False


class _Newlines:
    """Newline counts over one region of a buffer, from one NumPy comparison (6x ``bytes.count``,
    which compares byte by byte; BENCHMARKS.md, core section). Line numbering and hourly counts both
    ask it, so a chunk is compared once whatever the number of candidate lines or hours. The
    comparison is written into a per-thread array, reused like the read buffer."""

    __slots__ = ("count_nonzero", "lo", "mask")

    def __init__(self, buf: Buffer, lo: int, hi: int) -> None:
        import numpy as np  # here, not at module import: the main process of a parallel scan never walks

        self.lo = lo
        self.count_nonzero = np.count_nonzero
        out = getattr(_BUFFERS, "mask", None)
        if out is None or len(out) < hi - lo:
            out = np.empty(max(hi - lo, CHUNK), dtype=np.bool_)
            if hi - lo <= CHUNK:
                _BUFFERS.mask = out
        self.mask = np.equal(np.frombuffer(buf, dtype=np.uint8, count=hi - lo, offset=lo), 0x0A, out=out[: hi - lo])

    def count(self, a: int, b: int) -> int:
        return int(self.count_nonzero(self.mask[a - self.lo : b - self.lo]))


def thread_buffer() -> bytearray:
    """This thread's reusable read buffer of :data:`CHUNK` bytes (see :func:`read_head`). One walk
    at a time per thread: two walks interleaved in one thread would read into the same buffer."""
    buf = getattr(_BUFFERS, "buf", None)
    if buf is None or len(buf) != CHUNK:
        buf = _BUFFERS.buf = bytearray(CHUNK)
    return buf


def read_head(stream: Readable, size: int) -> tuple[bytearray, int]:
    """Read up to ``size`` (<= :data:`CHUNK`) first bytes of ``stream`` into :func:`thread_buffer`,
    for a caller that looks at a log's head before :func:`walk` goes on with ``primed=n``: the head is
    then read once, into the buffer every later chunk reuses, and never copied."""
    buf = thread_buffer()
    view = memoryview(buf)
    try:
        n: int = stream.readinto(view[: min(size, CHUNK)])  # type: ignore[attr-defined]
    finally:
        view.release()
    return buf, n


def _regions(stream: Readable, st: WalkStats, primed: int = 0) -> Iterator[tuple[bytes | bytearray, int, int] | bytes]:
    """Split ``stream`` into regions of whole lines ``(buf, lo, hi)`` without copying chunks.

    A line across two chunks is joined into a small buffer of its own; a line longer than
    :data:`MAX_LINE` is yielded as its first MAX_LINE bytes (a ``bytes`` item) and the rest skipped.
    """
    pending = b""
    skipping = False
    for chunk, size in _chunks(stream, primed):
        st.bytes += size
        start = 0
        if skipping:  # inside the rest of an over-long line
            nl = chunk.find(b"\n", 0, size)
            if nl < 0:
                continue
            skipping = False
            start = nl + 1
        elif pending:
            nl = chunk.find(b"\n", 0, size)
            if nl < 0:
                pending += chunk[:size]
                if len(pending) > MAX_LINE:
                    yield pending[:MAX_LINE]
                    pending, skipping = b"", True
                continue
            joined = pending + chunk[: nl + 1]
            pending = b""
            yield (joined, 0, len(joined))
            start = nl + 1
        cut = chunk.rfind(b"\n", start, size)
        if cut < 0:
            pending = bytes(chunk[start:size])
            if len(pending) > MAX_LINE:
                yield pending[:MAX_LINE]
                pending, skipping = b"", True
            continue
        if cut + 1 > start:
            yield (chunk, start, cut + 1)
        pending = bytes(chunk[cut + 1 : size])
    if pending and not skipping:
        yield (pending + b"\n", 0, len(pending) + 1)


_BUFFERS = threading.local()


def _chunks(stream: Readable, primed: int = 0) -> Iterator[tuple[bytes | bytearray, int]]:
    """The stream's bytes as ``(buffer, size)`` pieces of up to :data:`CHUNK` bytes.

    A stream with ``readinto`` is read into one buffer per thread, reused: a fresh 4 MB object per
    read cost more in allocation and page faults than the read itself (BENCHMARKS.md, core
    section). ``primed``: the first bytes are already in that buffer (:func:`read_head`). A piece is
    only valid until the next one is read; :func:`walk` copies what it keeps."""
    readinto = getattr(stream, "readinto", None)
    if readinto is None:
        while chunk := stream.read(CHUNK):
            yield chunk, len(chunk)
        return
    buf = thread_buffer()
    if primed:
        yield buf, primed
    view = memoryview(buf)
    try:
        while n := readinto(view):
            yield buf, n
    finally:
        view.release()


def walk(stream: Readable, family: str, prefilter: Prefilter, count_hours: bool = True,
         primed: int = 0) -> Iterator[Candidate | WalkStats]:
    """Yield the :class:`Candidate` lines of ``stream``, then one final :class:`WalkStats`.
    ``primed``: the stream's first bytes were read by :func:`read_head`.

    Chunks are never copied whole: each region of whole lines is searched, counted and sliced in
    place (only candidate lines and header lines become objects of their own)."""
    st = WalkStats()
    names: list[str] = []
    lineno = 0  # lines completed before the current region
    first_seen = False
    last_data = b""
    last_names: list[str] = []
    for region in _regions(stream, st, primed):
        if isinstance(region, bytes):  # the head of an over-long line without its end
            lineno += 1
            st.long_lines.append(lineno)
            head_hits = prefilter.line_hits(region)
            if head_hits:
                mask = 0
                for _, _, m in head_hits:
                    mask |= m
                st.candidates += 1
                yield Candidate(lineno, region, names, truncated=True, hits=mask)
            continue
        body, lo, hi = region
        if body.find(b"\x00", lo, hi) >= 0:  # memchr: near free when absent
            st.nul_bytes += body.count(b"\x00", lo, hi)
        # header lines in this region (rare): positions and the field list each one sets
        headers: list[tuple[int, list[str] | None]] = []
        # IIS rewrites #Fields mid-file; Exchange starts a new file instead, so its logs are searched
        # for header lines only in their head (the first HEADER_REGION bytes, up to the last whole
        # line there) until a data line has been seen: a whole-chunk pass saved
        limit = hi
        if family == "iis":
            search = True
        elif lineno == 0 and not first_seen:
            search = True
            head_end = body.rfind(b"\n", lo, min(hi, lo + HEADER_REGION)) + 1
            if head_end > lo and _data_line_within(body, lo, head_end, family):
                limit = head_end
        else:
            search = not first_seen
        start = -1
        if search:
            if body.startswith((b"#", b"\xef\xbb\xbf#"), lo):
                start = lo
            else:
                start = _next_header(body, lo, limit) + 1 or -1
        while start >= 0:
            end = body.find(b"\n", start, hi)  # a region ends with a newline
            headers.append((start, _names_from_header(decode(body[start:end]), family)))
            start = _next_header(body, end, limit) + 1 or -1
        if not first_seen:
            # first data line: its time, and a bare CSV header line (Import-Csv layout) if any
            off = lo
            for _ in range(FIRST_LINES):
                end = body.find(b"\n", off, hi)
                if end < 0:
                    break
                line = body[off:end]
                stripped = line.lstrip(b"\xef\xbb\xbf")
                if stripped.startswith(b"#") or not stripped.strip():
                    off = end + 1
                    continue
                bare = exchange_csv.looks_like_bare_header(decode(line)) if family != "iis" else None
                if bare:
                    headers.append((off, bare))
                    headers.sort(key=lambda h: h[0])
                    off = end + 1
                    continue
                in_force = next((h[1] for h in reversed(headers) if h[0] < off and h[1]), names)
                ts = line_time(line, family, in_force)
                if ts is not None:
                    st.first = ts
                first_seen = True
                break
        newlines = _Newlines(body, lo, hi)
        spans = prefilter.line_hits(body, lo, hi)
        hix = 0
        prev = lo
        base = lineno
        for start, end, mask in spans:
            while hix < len(headers) and headers[hix][0] <= start:
                if headers[hix][1]:
                    names = headers[hix][1] or names
                hix += 1
            base += newlines.count(prev, start)
            prev = start
            if body.startswith(b"#", start):
                continue
            if any(h[0] == start for h in headers):
                continue
            st.candidates += 1
            if end - start > MAX_LINE:  # keep memory per line bounded; the cut is reported
                st.long_lines.append(base + 1)
                yield Candidate(base + 1, bytes(body[start : start + MAX_LINE]), names, truncated=True, hits=mask)
                continue
            yield Candidate(base + 1, bytes(body[start:end]).rstrip(b"\r"), names, hits=mask)
        for _, hn in headers[hix:]:
            if hn:
                names = hn
        if count_hours and family in ("httpproxy", "iis"):
            n = _count_hours(body, lo, hi, st.hours, newlines.count)
        else:
            n = newlines.count(lo, hi)
        lineno += n
        last_start = body.rfind(b"\n", lo, hi - 1) + 1
        if last_start < lo:
            last_start = lo
        if last_start < hi - 1 and not body.startswith(b"#", last_start):
            last_data, last_names = bytes(body[last_start : hi - 1]), names
    st.lines = lineno
    st.names = names
    if last_data:
        ts = line_time(last_data, family, last_names)
        if ts is not None:
            st.last = ts
    if st.first and st.last and st.last < st.first:
        st.first, st.last = st.last, st.first
    elif st.first is None:
        st.first = st.last
    yield st
