"""Streaming walk over one text log in raw chunks: counts, time span and prefiltered lines only.

Multi-GB log sets must go fast in Python, so per-line Python work is limited to the lines the
:class:`~extriage.formats.prefilter.Prefilter` selects. Everything else is done on whole chunks in
C: newline counting, header (``#``) lines, and requests per hour, read from every line start in
NumPy (whatever the order of the lines). Memory stays bounded by the chunk size and
:data:`MAX_LINE`, whatever the file size or line length.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from extriage.formats import exchange_csv
from extriage.formats.families import FAMILIES, syntax
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
    #: damaged byte ranges ``[start, end, kind]`` (offsets in the decoded text), at most MAX_RANGES
    damage: list[list[Any]] = field(default_factory=list)
    damage_bytes: int = 0
    damage_ranges: int = 0  # ranges in all, also those past MAX_RANGES
    hole_bytes: int = 0  # bytes of sparse holes skipped (hashed, not read)
    #: lines holding junk, NULs or several records, and the records recovered from them
    damaged_lines: int = 0
    recovered: int = 0
    bare_cr: bool = False  # CR-only line ends were found (and read as line ends)
    long_header: bool = False  # a header line over MAX_LINE: names taken from its first MAX_LINE bytes


def decode(raw: Buffer) -> str:
    """Log bytes as text: UTF-8 (BOM dropped), undecodable bytes replaced, never an exception."""
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")


def line_time(raw: Buffer, family: str, names: list[str] | None = None) -> datetime | None:
    """Timestamp of a data line: at its start (Exchange CSV and W3C in IIS's default field order),
    else, for W3C logs whose ``#Fields`` put ``date``/``time`` elsewhere, by those names."""
    m = _TS_RE.match(raw.lstrip(b"\xef\xbb\xbf\""))
    if m:
        try:  # naive (no offset is matched): UTC as utc() makes it, without its checks per line
            return datetime.fromisoformat((m[1] + b"T" + m[2][:15]).decode()).replace(tzinfo=UTC)
        except ValueError:
            return None
    kind = syntax(family)
    if kind == "text":  # a time anywhere in the line's head
        return FAMILIES[family].parse(decode(raw), [])[1]
    if kind == "w3c" and names and "date" in names and "time" in names:
        return FAMILIES[family].parse(decode(raw), names)[1]
    return None


def _names_from_header(line: str, family: str) -> list[str] | None:
    fam = FAMILIES.get(family)
    return fam.header_names(line) if fam is not None else exchange_csv.header_names(line)


@functools.lru_cache(maxsize=256)
def _header_line_names(raw: bytes, family: str) -> tuple[str, ...] | None:
    names = _names_from_header(decode(raw), family)
    return None if names is None else tuple(names)


#: Bytes :func:`exchange_csv.looks_like_bare_header` strips before the first field name (ASCII
#: whitespace, quotes, and the UTF-8 BOM's bytes); the names it accepts start with D, T or R.
_BARE_LEAD = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\"\xef\xbb\xbf"
_BARE_FIRST = frozenset(b"DTRdtr")


def _bare_header(line: Buffer) -> list[str] | None:
    """:func:`exchange_csv.looks_like_bare_header` of a raw line, without decoding a line that cannot
    be one (a data line starts with its date: one byte tells) and parsed once per distinct header
    line. Same answer as the decoded check for every input: only an ASCII first byte other than the
    letters the header names start with is decided here."""
    stripped = line.lstrip(_BARE_LEAD)
    if stripped and stripped[0] < 0x80 and stripped[0] not in _BARE_FIRST:
        return None
    names = _bare_header_names(bytes(line))
    return None if names is None else list(names)


@functools.lru_cache(maxsize=64)
def _bare_header_names(raw: bytes) -> tuple[str, ...] | None:
    names = exchange_csv.looks_like_bare_header(decode(raw))
    return None if names is None else tuple(names)


def _header_names(raw: Buffer, family: str) -> list[str] | None:
    """The field names a ``#`` header line sets (:func:`_names_from_header`), parsed once per
    distinct line: thousands of hourly logs repeat the same few header lines, and splitting a
    100-field ``#Fields`` line was a tenth of the per-file work. Each caller gets its own list."""
    names = _header_line_names(bytes(raw), family)
    return None if names is None else list(names)


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
        if body[hit - 1] in (0x0A, 0x00):  # after a NUL run: a header written after a crash
            return hit - 1
        misses += 1
        if misses > 64:
            return body.find(b"\n#", hit, limit)
        pos = hit


def _hour_of(body: Buffer, pos: int) -> bytes | None:
    m = _HOUR_RE.match(body, pos)
    return m.group(1) + b"T" + m.group(2) if m else None


def _count_hours(body: Buffer, lo: int, hi: int, out: Counter[str], newlines: _Newlines) -> int:
    """Add the lines of ``body[lo:hi]`` (complete lines, ``hi`` just after a newline) to ``out``,
    each in the hour written at its start (``YYYY-MM-DD[T ]HH``); a line without one (a ``#``
    header, a bare CSV header, a damaged line) is no request. Returns the number of newlines in
    ``body[lo:hi]``, so the caller's line count needs no second pass over the chunk.

    Every line start is looked at, in NumPy (two 8-byte reads per line), so the counts do not
    depend on the order of the lines (merged exports, logs concatenated from several servers). A
    bisection that trusted both ends of a piece to bound the hours between them did Python work
    per line on such logs, and counted a piece whose two ends shared an hour as all of that hour.

    The newline count comes from the offsets a path reads anyway (a region ends with a newline, and
    the header lines skipped before the first hour end with one each), not from a count of its own
    over the region: on 2 GB of hourly logs that pass was ~0.06 ns/byte more (session 14).

    A region :class:`_Newlines` reads without NumPy (small logs in a process that has not loaded it)
    is told one-hour by the substring count, else read line by line (:func:`_count_lines`)."""
    # The usual region (a small log, one hour of a big one): after its header lines (no requests),
    # every line starts with the first one's hour. In a region of 48 KiB or more that is told from
    # the newline offsets (two 8-byte reads per line); a substring count of the hour over the
    # region reads every byte again and cost more than the prefilter's search on 2 GB of hourly
    # logs (BENCHMARKS.md, issue 18 logs part, session 7). Below, the count's fewer NumPy calls win.
    at = lo
    skipped = 0
    first = _hour_of(body, at)
    while first is None and skipped < FIRST_LINES:
        nl = body.find(b"\n", at, hi - 1)
        if nl < 0:
            break
        at = nl + 1
        skipped += 1
        first = _hour_of(body, at)
    last = body.rfind(b"\n", at, hi - 1) + 1
    one_hour = first is not None and body[last : last + 13] == body[at : at + 13]  # else no pass is wasted
    if first is not None and not one_hour and (hi - lo < _OFFSETS_FROM or newlines.mask is None):
        # a small log of two hours (an hourly log's first line of the next hour, a log cut across
        # an hour): when every line after the first starts with the first's or the last's 13 hour
        # bytes, two substring counts give both hours; a line-by-line reading (:func:`_count_lines`)
        # cost ~4x more on the hundreds of such logs a tree holds
        final = _hour_of(body, last)
        if final is not None:
            n = newlines.count(lo, hi)
            here = body.count(b"\n" + body[at : at + 13], at, hi)
            there = body.count(b"\n" + body[last : last + 13], at, hi)
            if here + there == n - skipped - 1:
                out[first.decode()] += here + 1
                out[final.decode()] += there
                return n
    elif one_hour and first is not None:
        if hi - lo < _OFFSETS_FROM or newlines.mask is None:
            n = newlines.count(lo, hi)
            if body.count(b"\n" + body[at : at + 13], at, hi) == n - skipped - 1:
                out[first.decode()] += n - skipped
                return n
        else:
            inner = newlines.positions(at, hi - 1)  # the newlines before the other lines' starts
            n = skipped + len(inner) + 1  # + the skipped lines' newlines and the region's last one
            if not len(inner):
                out[first.decode()] += n - skipped
                return n
            # the last line holds its 13 hour bytes (checked above) and every other line starts
            # before it, so no read below passes hi
            import numpy as np

            words = np.ndarray(shape=(len(body) - 7,), dtype="<u8", buffer=body, offset=0, strides=(1,))
            if ((words[inner + 1] == words[at]) & (words[inner + 6] == words[at + 5])).all():
                out[first.decode()] += n - skipped
                return n
    # a small region is told by its newline count; a big one's line starts are read anyway, and hold
    # the same count (a line starts at lo and after each newline but the last): a count of its own
    # was ~15 % of the hourly counts of a day's IIS log (84 of 585 us a 4 MB region; session 22)
    if newlines.mask is None or (hi - lo < _OFFSETS_FROM and newlines.count(lo, hi) <= _LINES_BELOW):
        return _count_lines(body, lo, hi, out)
    import numpy as np

    starts = newlines.starts(lo, hi)
    n = len(starts)  # a line starts after each newline but the region's last, and at lo
    if n <= _LINES_BELOW:  # a big region of few (long) lines: line by line, as a small one
        return _count_lines(body, lo, hi, out)
    limit = len(body) - 15  # 16 bytes are read at a line start: lines starting later are read in Python
    tail: list[int] = []
    if len(starts) and int(starts[-1]) >= limit:
        cut = int(np.searchsorted(starts, limit))
        tail = starts[cut:].tolist()
        starts = starts[:cut]
    if len(starts):
        words = np.ndarray(shape=(len(body) - 7,), dtype="<u8", buffer=body, offset=0, strides=(1,))
        head = words[starts]  # bytes 0-7 of each line, little-endian: "YYYY-MM-"
        runs = _runs(words, starts, head)
        if runs is None:
            rest = words[starts + 8]  # bytes 8-15: "DD[T ]HH..."
            weights = None
        else:  # lines in time order: each run of lines sharing their hour bytes is read once
            firsts, weights = runs
            head, rest = head[firsts], words[starts[firsts] + 8]
        ok = (head & _HEAD_MASK) == _HEAD_WANT
        ok &= ((head + _HEAD_SIX) & _HEAD_HIGH) == _HEAD_WANT & _HEAD_HIGH  # digits: 0x30-0x39 only
        ok &= (rest & _REST_MASK) == _REST_WANT
        ok &= ((rest + _REST_SIX) & _REST_MASK) == _REST_WANT
        sep = (rest >> 16) & 0xFF
        ok &= (sep == 0x54) | (sep == 0x20)  # "T" or " "
        codes = (head[ok] & _HEAD_LOW) | ((rest[ok] & _REST_LOW) << 4)
        if len(codes):
            if weights is not None:
                values, inverse = np.unique(codes, return_inverse=True)
                sums = np.bincount(inverse, weights=weights[ok])  # float64: exact below 2**53 lines
                for value, count in zip(values.tolist(), sums.tolist(), strict=True):
                    out[_hour_key(value)] += int(count)
            elif (codes == codes[0]).all():  # the usual chunk: one hour
                out[_hour_key(int(codes[0]))] += len(codes)
            else:
                values, counts = np.unique(codes, return_counts=True)
                for value, count in zip(values.tolist(), counts.tolist(), strict=True):
                    out[_hour_key(value)] += count
    for pos in tail:
        hour = _hour_of(body, pos)
        if hour is not None:
            out[hour.decode()] += 1
    return n


def _count_lines(body: Buffer, lo: int, hi: int, out: Counter[str]) -> int:
    """:func:`_count_hours` of a region line by line, in Python: each line in the hour its start
    holds (:data:`_HOUR_RE`, the same bytes the NumPy masks test). Returns the lines."""
    n = 0
    pos = lo
    while pos < hi:
        hour = _hour_of(body, pos)
        if hour is not None:
            out[hour.decode()] += 1
        n += 1
        pos = body.find(b"\n", pos, hi) + 1  # the region ends with a newline
    return n


def _runs(words: Any, starts: Any, head: Any) -> tuple[Any, Any] | None:
    """Where the lines of a region (at ``starts``; ``head``: their first 8 bytes) come in runs that
    share the 13 bytes an hour is read from (``YYYY-MM-DD?HH``: bytes 0-7 and 5-12 compared), as
    lines in time order do: the first line of each run and the run's length. None when the runs
    are too many to pay (lines out of order, many header lines): the caller reads every line, as a
    probe of the first :data:`_RUN_PROBE` lines tells before the whole region is compared. Exact:
    every line of a run has its first line's hour bytes, so its hour (or none)."""
    import numpy as np

    n = len(starts)
    if n < _RUN_PROBE:
        return None

    def changes(k: int) -> Any:
        h, m = head[:k], words[starts[:k] + 5]
        out = np.empty(k, dtype=np.bool_)
        out[0] = True
        np.not_equal(h[1:], h[:-1], out=out[1:])
        out[1:] |= m[1:] != m[:-1]
        return out

    if int(np.count_nonzero(changes(_RUN_PROBE))) * _RUN_SHARE > _RUN_PROBE:
        return None
    firsts = _flatnonzero(changes(n))
    if len(firsts) * _RUN_SHARE > n:
        return None
    return firsts, np.diff(firsts, append=n)


#: Regions of at least this many lines are looked at as runs of lines of one hour (:func:`_runs`)
#: when at most one line in :data:`_RUN_SHARE` starts a run, as in the first _RUN_PROBE lines.
_RUN_PROBE = 256
_RUN_SHARE = 8

#: A region of more than one hour with at most this many lines is read line by line (:func:`_count_lines`,
#: ~0.4 us a line): the NumPy reading of its line starts costs ~25 us whatever the lines, ~5x more on the
#: small logs of several hours that most trees hold by the hundred (Rps_Http, short HttpProxy logs;
#: BENCHMARKS.md, issue 18, session 17). The bound is in lines, not bytes: a small region of blank lines
#: stays in NumPy.
_LINES_BELOW = 48

#: Regions of at least this many bytes tell a one-hour region from their newline offsets (see
#: :func:`_count_hours`), smaller ones by a substring count: the two cost the same at ~48 KiB.
_OFFSETS_FROM = 48 * 1024

# Masks over the 8 bytes at a line start ("YYYY-MM-", byte i at bits 8i) and the 8 after them
# ("DD?HH..."): a digit byte is 0x3_ and stays 0x3_ when 6 is added (0x30-0x39); dashes are compared
# whole; the separator byte is checked apart. The digits' low nibbles make the hour's code: those of
# the first 8 bytes in place, those of the next 8 in the high nibbles (see _hour_key).
_HEAD_MASK = 0xFF_F0_F0_FF_F0_F0_F0_F0
_HEAD_WANT = 0x2D_30_30_2D_30_30_30_30
_HEAD_HIGH = 0x00_F0_F0_00_F0_F0_F0_F0
_HEAD_SIX = 0x00_06_06_00_06_06_06_06
_HEAD_LOW = 0x00_0F_0F_00_0F_0F_0F_0F
_REST_MASK = 0x00_00_00_F0_F0_00_F0_F0
_REST_WANT = 0x00_00_00_30_30_00_30_30
_REST_SIX = 0x00_00_00_06_06_00_06_06
_REST_LOW = 0x00_00_00_0F_0F_00_0F_0F


def _hour_key(code: int) -> str:
    """``YYYY-MM-DDTHH`` from an hour's code (see :func:`_count_hours`)."""
    b = code.to_bytes(8, "little")
    return (f"{b[0] & 15}{b[1] & 15}{b[2] & 15}{b[3] & 15}-{b[5] & 15}{b[6] & 15}-"
            f"{b[0] >> 4}{b[1] >> 4}T{b[3] >> 4}{b[4] >> 4}")


_HEADER = 1
_DATA = 2


def _first_byte_kind(body: Buffer, off: int, end: int) -> int:
    """What the first byte of the line ``body[off:end]`` tells on its own: :data:`_HEADER` for ``#``
    (a ``#`` directive whatever the checks below make of it), :data:`_DATA` for a digit (a data line:
    neither a directive, nor blank, nor a bare CSV header, whose names start with D, T or R), else
    0 (the line is looked at whole). Lets the first lines of a log be told without copying each
    (a ``#Fields`` line is over 1 KB) as the checks of the whole line did."""
    if off >= end:
        return 0
    c = body[off]
    if c == 0x23:
        return _HEADER
    if 0x30 <= c <= 0x39:
        return _DATA
    return 0


def _data_line_within(body: Buffer, lo: int, region: int, family: str) -> bool:
    """Whether one of the first :data:`FIRST_LINES` lines of ``body[lo:region]`` is a data line (not
    a ``#`` directive, blank, or a bare CSV header line) — the test :func:`walk` uses for the first
    data line, so header lines are searched for until that line, exactly as before."""
    off = lo
    for _ in range(FIRST_LINES):
        end = body.find(b"\n", off, region)
        if end < 0:
            return False
        kind = _first_byte_kind(body, off, end)
        if kind == _DATA:
            return True
        if kind == _HEADER:
            off = end + 1
            continue
        line = body[off:end]
        stripped = line.lstrip(b"\xef\xbb\xbf")
        if stripped.startswith(b"#") or not stripped.strip():
            off = end + 1
            continue
        if syntax(family) != "w3c" and _bare_header(line):
            off = end + 1
            continue
        return True
    return False


#: A process that has not loaded NumPy reads regions below this size without it (:class:`_Newlines`),
#: up to :data:`PLAIN_BYTES` in all: a small tree's scan walks its logs in the main process, where
#: importing NumPy (~0.1 CPU-s) cost more than reading a few MB of lines in Python saves.
PLAIN_BELOW = 256 * 1024
PLAIN_BYTES = 8 * 1024 * 1024
_plain_left = [PLAIN_BYTES]


def _numpy_loaded() -> bool:
    return "numpy" in sys.modules


class _Newlines:
    """Newline counts over one region of a buffer, from one NumPy comparison (6x ``bytes.count``,
    which compares byte by byte; BENCHMARKS.md, core section). Line numbering and hourly counts both
    ask it, so a chunk is compared once whatever the number of candidate lines or hours. The
    comparison is written into a per-thread array, reused like the read buffer.

    Without NumPy loaded, a small region is counted with ``bytes.count`` instead (``mask`` None; see
    :data:`PLAIN_BELOW`): the fork server loads it for every worker, so only small trees, walked in
    the main process, read their logs this way (issue 18, session 15). Same counts either way."""

    __slots__ = ("buf", "count_nonzero", "lo", "mask")
    mask: Any  # the region's newline mask (NumPy bool array), or None: counted with bytes.count

    def __init__(self, buf: Buffer, lo: int, hi: int) -> None:
        self.lo = lo
        self.buf = buf
        if hi - lo < PLAIN_BELOW and not _numpy_loaded() and _plain_left[0] >= hi - lo:
            _plain_left[0] -= hi - lo
            self.mask = None
            return
        import numpy as np  # here, not at module import: the main process of a parallel scan never walks

        self.count_nonzero = np.count_nonzero
        out = getattr(_BUFFERS, "mask", None)
        if out is None or len(out) < hi - lo:
            out = np.empty(max(hi - lo, CHUNK), dtype=np.bool_)
            if hi - lo <= CHUNK:
                _BUFFERS.mask = out
        self.mask = np.equal(np.frombuffer(buf, dtype=np.uint8, count=hi - lo, offset=lo), 0x0A, out=out[: hi - lo])

    def count(self, a: int, b: int) -> int:
        if self.mask is None:
            return self.buf.count(b"\n", a, b)
        return int(self.count_nonzero(self.mask[a - self.lo : b - self.lo]))

    def positions(self, a: int, b: int) -> Any:
        """Offsets of the newlines in ``[a, b)``, as a NumPy array."""
        found = _nonzero(self.mask[a - self.lo : b - self.lo])
        if a:
            found += a
        return found

    def starts(self, a: int, b: int) -> Any:
        """Offsets of the lines that start in ``[a, b)`` (``a`` a line start, ``b`` just after a
        newline), as a NumPy array."""
        import numpy as np

        found = _nonzero(self.mask[a - self.lo : b - self.lo - 1])
        out = np.empty(len(found) + 1, dtype=np.intp)
        out[0] = a
        np.add(found, a + 1, out=out[1:])
        return out


#: Masks of at least this many bytes are read 8 bytes at a time by :func:`_nonzero`; below, its
#: ~10 NumPy calls cost more than ``flatnonzero`` saves (the two cost the same near 32 KiB).
_WORDS_FROM = 64 * 1024
#: Byte k of this is 7 - k: multiplied by ``1 << 8k`` its top byte is k (see :func:`_nonzero`).
_BYTE_INDEX = 0x0001020304050607


def _nonzero(mask: Any) -> Any:
    """``np.flatnonzero(mask)`` of a boolean mask (NumPy ``bool_``: bytes 0 or 1) with few true
    bytes, as newlines in a log: the mask is read as 8-byte words, only the words holding a true
    byte are looked at, and a word holding one (the usual case: log lines are longer than 8 bytes)
    gives its byte's index from one multiplication: the word is ``1 << 8k`` for byte k. A word
    holding two or more (blank lines, short lines) sends the whole mask to ``flatnonzero``. Same
    array as ``flatnonzero`` for every mask; half its time on the masks of log chunks (it reads the
    mask byte by byte; BENCHMARKS.md, issue 18, session 15)."""
    import numpy as np

    n = len(mask)
    if n < _WORDS_FROM:
        return _flatnonzero(mask)
    full = n & ~7
    words = mask[:full].view("<u8")
    at = _flatnonzero(words != 0)
    found = words[at]
    if np.count_nonzero(found & (found - np.uint64(1))):
        return _flatnonzero(mask)
    at <<= 3
    at += ((found * np.uint64(_BYTE_INDEX)) >> np.uint64(56)).astype(np.intp)
    if full < n:
        tail = _flatnonzero(mask[full:])
        if len(tail):
            return np.concatenate((at, tail + full))
    return at


def _flatnonzero(mask: Any) -> Any:
    """``np.flatnonzero`` of a 1-D array: its ``nonzero()[0]``, without NumPy's Python wrappers
    (dispatch, ravel, ``nonzero``'s wrapper: ~2 us a call, once or twice a log; session 20)."""
    return mask.nonzero()[0]


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


@dataclass(slots=True)
class LongPiece:
    """Bytes of an over-long line past its first :data:`MAX_LINE` (junk, a NUL-less damaged region,
    records run together): the walk looks for prefilter hits ending in ``data[lo:hi]`` and cuts the
    record around each one out of ``data`` (which holds up to :data:`WINDOW` bytes of context on
    both sides). ``base``: offset of ``data[0]`` in the line."""

    data: bytes
    lo: int
    hi: int
    base: int
    final: bool


#: Context kept around a hit in an over-long line to find the start and end of its record.
WINDOW = 64 * 1024
#: Damaged byte ranges listed per file (the rest are counted).
MAX_RANGES = 200
#: NUL runs closer than this are one damaged range (binary junk holds NULs every few hundred bytes).
_MERGE_GAP = 512
_NUL_RUN = re.compile(rb"\x00+")
#: NUL runs looked at one by one per chunk; past this the rest of the chunk is one damaged range.
_MAX_RUNS = 2000


def _mark_damage(st: WalkStats, start: int, end: int, kind: str) -> None:
    """Add ``[start, end)`` to the damaged ranges, merged with the last one when they touch."""
    if st.damage and start - st.damage[-1][1] <= _MERGE_GAP:
        last = st.damage[-1]
        st.damage_bytes += max(0, end - last[1])  # the junk between two runs is damage too
        last[1] = max(last[1], end)
        if last[2] != kind:
            last[2] = "binary"
        return
    st.damage_bytes += end - start
    st.damage_ranges += 1
    if len(st.damage) < MAX_RANGES:
        st.damage.append([start, end, kind])
    elif st.damage_ranges == MAX_RANGES + 1:
        st.damage.append([start, end, kind])  # the last list entry tracks merges past the cap
    else:
        st.damage[-1] = [start, end, kind]


def _strip_nuls(chunk: Buffer, size: int, offset: int, st: WalkStats) -> bytes:
    """``chunk[:size]`` with every run of NUL bytes shrunk to one NUL, the runs recorded as damage
    at file offset ``offset``. A NUL block of any size (an unclean shutdown's pre-allocated zeros, a
    sparse hole) thus never makes an over-long line, line numbers stay those of the file, and the
    one NUL left marks the line as damaged: the walk cuts the records after it out of the line."""
    view = bytes(chunk[:size])
    for i, m in enumerate(_NUL_RUN.finditer(view)):
        a, b = m.span()
        if i == _MAX_RUNS:  # hostile (NUL every other byte): the rest of the chunk is one range
            _mark_damage(st, offset + a, offset + view.rfind(b"\x00") + 1, "binary")
            break
        _mark_damage(st, offset + a, offset + b, "NUL-filled" if b - a >= 64 else "binary")
    st.nul_bytes += view.count(b"\x00")
    # bytes.replace, not re.sub: a match object per run made a NUL every other byte cost seconds
    for k in (65536, 512, 16):
        pattern = b"\x00" * k
        if pattern in view:
            view = view.replace(pattern, b"\x00")
    while b"\x00\x00" in view:
        view = view.replace(b"\x00\x00", b"\x00")
    return view


def _regions(stream: Readable, st: WalkStats, primed: int = 0
             ) -> Iterator[tuple[bytes | bytearray, int, int] | bytes | LongPiece]:
    """Split ``stream`` into regions of whole lines ``(buf, lo, hi)`` without copying chunks.

    A line across two chunks is joined into a small buffer of its own; a line longer than
    :data:`MAX_LINE` is yielded as its first MAX_LINE bytes (a ``bytes`` item) and the rest as
    :class:`LongPiece` items, searched but never held whole. Damage is repaired here, on the few
    chunks that show it: NUL runs shrink to one NUL (:func:`_strip_nuls`), and a file whose
    chunk holds CRs but no LF is read with CR (and CRLF) as line ends from there on.
    """
    pending = b""
    skipping = False
    cr_mode = False
    prev_cr = False
    ctx = b""  # long line: context before the unsearched bytes
    new = b""  # long line: bytes whose hits are not searched yet
    base = 0

    def long_piece(piece: Buffer, final: bool) -> Iterator[LongPiece]:
        nonlocal ctx, new, base
        data = ctx + new + bytes(piece)
        lo = len(ctx)
        hi = len(data) if final else max(lo, len(data) - WINDOW)
        if hi > lo:
            yield LongPiece(data, lo, hi, base, final)
        if final:
            ctx, new, base = b"", b"", 0
            return
        keep = max(0, hi - WINDOW)
        ctx, new = data[keep:hi], data[hi:]
        base += keep

    def start_long(line: bytes) -> Iterator[bytes | LongPiece]:
        nonlocal ctx, new, base
        yield line[:MAX_LINE]
        ctx, new, base = line[MAX_LINE - WINDOW : MAX_LINE], b"", MAX_LINE - WINDOW
        yield from long_piece(line[MAX_LINE:], final=False)

    for chunk, size, offset in _chunks(stream, st, primed):
        if offset >= 0 and size and chunk.find(b"\x00", 0, size) >= 0:  # memchr: near free on clean logs
            chunk = _strip_nuls(chunk, size, offset, st)
            size = len(chunk)
        if not cr_mode and size and chunk.find(b"\n", 0, size) < 0 and chunk.find(b"\r", 0, size) >= 0:
            cr_mode = st.bare_cr = True  # classic Mac line ends, or an editor's re-save
        if cr_mode:
            data = bytes(chunk[:size])
            if prev_cr and data.startswith(b"\n"):
                data = data[1:]  # the LF of a CRLF cut between two chunks
            prev_cr = data.endswith(b"\r")
            chunk = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            size = len(chunk)
        start = 0
        if skipping:  # inside the rest of an over-long line
            nl = chunk.find(b"\n", 0, size)
            yield from long_piece(chunk[: nl if nl >= 0 else size], final=nl >= 0)
            if nl < 0:
                continue
            skipping = False
            start = nl + 1
        elif pending:
            nl = chunk.find(b"\n", 0, size)
            if nl < 0:
                pending += chunk[:size]
                if len(pending) > MAX_LINE:
                    yield from start_long(pending)
                    pending, skipping = b"", True
                continue
            joined = pending + chunk[: nl + 1]
            pending = b""
            if len(joined) > MAX_LINE + 1:
                yield from start_long(joined[:-1])
                yield from long_piece(b"", final=True)
            else:
                yield (joined, 0, len(joined))
            start = nl + 1
        cut = chunk.rfind(b"\n", start, size)
        if cut < 0:
            pending = bytes(chunk[start:size])
            if len(pending) > MAX_LINE:
                yield from start_long(pending)
                pending, skipping = b"", True
            continue
        if cut + 1 > start:
            yield (chunk, start, cut + 1)
        pending = bytes(chunk[cut + 1 : size])
    if skipping:
        yield from long_piece(b"", final=True)
    elif pending:
        yield (pending + b"\n", 0, len(pending) + 1)


_BUFFERS = threading.local()
_ZERO_LINE = b"\x00"


def _chunks(stream: Readable, st: WalkStats, primed: int = 0) -> Iterator[tuple[bytes | bytearray, int, int]]:
    """The stream's bytes as ``(buffer, size, offset)`` pieces of up to :data:`CHUNK` bytes.

    A stream with ``readinto`` is read into one buffer per thread, reused: a fresh 4 MB object per
    read cost more in allocation and page faults than the read itself (BENCHMARKS.md, core
    section). ``primed``: the first bytes are already in that buffer (:func:`read_head`). A piece is
    only valid until the next one is read; :func:`walk` copies what it keeps. A stream that can
    skip the holes of a sparse file (``skip_hole``) skips them: a hole reads as one NUL (see
    :func:`_strip_nuls`) and is recorded as NUL-filled damage, its zeros never pass through Python."""
    readinto = getattr(stream, "readinto", None)
    if readinto is None:
        while chunk := stream.read(CHUNK):
            offset = st.bytes
            st.bytes += len(chunk)
            yield chunk, len(chunk), offset
        return
    skip_hole = getattr(stream, "skip_hole", None)
    buf = thread_buffer()
    if primed:
        st.bytes += primed
        yield buf, primed, 0
    view = memoryview(buf)
    try:
        while True:
            if skip_hole is not None and (hole := skip_hole()):
                at, length = hole
                _mark_damage(st, at, at + length, "NUL-filled")
                st.hole_bytes += length
                st.bytes += length
                yield _ZERO_LINE, 1, -1  # recorded above: not a NUL run of the data
            n = readinto(view)
            if not n:
                break
            offset = st.bytes
            st.bytes += n
            yield buf, n, offset
    finally:
        view.release()


#: Where a record starts, per family: the timestamp each data line opens with (IIS: ``date time``,
#: Exchange CSV and OABGenerator: ``DateTime`` ending in ``Z``). Used only on damaged lines.
_RECORD_START = {
    "w3c": re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "),
    "exchange_csv": re.compile(rb"\"?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,7})?Z[, ]"),
}
#: Bytes no text log line holds: C0 controls but TAB/LF, and DEL; a CR inside a line is a bare CR
#: line end (mixed CR/LF/CRLF files) when a record starts after it.
_DAMAGE = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
_FIRST_NAMES = ("date", "datetime", "timestamp")


def _record_start(family: str) -> re.Pattern[bytes]:
    return _RECORD_START["w3c" if syntax(family) == "w3c" else "exchange_csv"]


def _split_damaged(raw: bytes, family: str, names: list[str]) -> list[bytes] | None:
    """The records held by a damaged line, or None when the line looks whole (the common case).

    A line is damaged when it holds control bytes (junk, a bare CR) or, in a log whose lines open
    with their timestamp, does not start with one. It is then cut at bare CRs and at every record
    start; what stands before the first record start of a piece is junk and dropped (a piece
    without any record start is kept only when it holds no control byte)."""
    bad = _DAMAGE.search(raw) is not None
    if not bad:
        kind = syntax(family)
        if kind == "text" or (names and names[0].lower() not in _FIRST_NAMES):
            return None  # its lines need not open with a timestamp
        if _record_start(family).match(raw.lstrip(b"\xef\xbb\xbf")) is not None:
            return None
        if kind == "w3c" and not names and _TS_RE.match(raw) is not None:
            return None
    rx = _record_start(family)
    out: list[bytes] = []
    # a CR followed by a record start is a bare CR line end (mixed line ends); any other CR (inside
    # a quoted field) stays in its record
    for piece in re.split(b"\r+(?=" + rx.pattern + b")", raw):
        starts = [m.start() for m in rx.finditer(piece)]
        if not starts:
            if piece and _DAMAGE.search(piece) is None:
                out.append(piece)
            continue
        starts.append(len(piece))
        out.extend(piece[a:b].rstrip() for a, b in itertools.pairwise(starts))
    if out == [raw]:
        return None  # whole after all (e.g. a control byte inside one record)
    return out


def _mask(hits: list[tuple[int, int, int]]) -> int:
    """The patterns that hit a line, as one mask (the union of its hits' masks)."""
    mask = 0
    for _, _, m in hits:
        mask |= m
    return mask


def _parts_with_hits(parts: list[bytes], prefilter: Prefilter) -> Iterator[tuple[bytes, int]]:
    for part in parts:
        hits = prefilter.line_hits(part)
        if hits:
            yield part, _mask(hits)


def _records_in_long_line(piece: LongPiece, family: str, names: list[str], prefilter: Prefilter,
                          done: int) -> Iterator[Candidate]:
    """The records around the prefilter hits ending in ``piece.data[lo:hi]``: from the last record
    start before the hit (within :data:`WINDOW`) to the next one, the line's end or WINDOW bytes.
    A hit with no record start before it is junk that happens to match, and is passed over.
    ``Candidate.lineno`` carries the record's offset in ``piece.data`` (the caller sets the line)."""
    data = piece.data
    ends = [e for e in prefilter.match_ends(data) if piece.lo < e <= piece.hi]
    if not ends:
        return
    rx = _record_start(family)
    starts = [m.start() for m in rx.finditer(data)]
    if not starts:
        return
    k = 0
    while k < len(ends):
        e = ends[k]
        k += 1
        i = bisect.bisect_left(starts, e) - 1
        if i < 0:
            continue
        a = starts[i]
        if e - a > WINDOW or piece.base + a <= done:
            continue
        b = starts[i + 1] if i + 1 < len(starts) else len(data)
        b = min(b, a + WINDOW, len(data))
        k = bisect.bisect_right(ends, b, k)  # the other hits of this record: one record, one candidate
        record = data[a:b].rstrip()
        done = piece.base + a
        hits = prefilter.line_hits(record)
        if not hits:
            continue
        yield Candidate(a, record[:MAX_LINE], names, hits=_mask(hits))


def _long_head(head: bytes, lineno: int, family: str, names: list[str], prefilter: Prefilter,
               st: WalkStats) -> Iterator[Candidate]:
    """The candidates of an over-long line's first :data:`MAX_LINE` bytes (``head``): the head itself, or
    the records of a damaged one (the rest of the line is searched for records apart)."""
    head_hits = prefilter.line_hits(head)
    if not head_hits:
        return
    st.candidates += 1
    parts = _split_damaged(head, family, names)
    if parts is None:
        yield Candidate(lineno, head, names, truncated=True, hits=_mask(head_hits))
        return
    st.damaged_lines += 1
    for part, pmask in _parts_with_hits(parts, prefilter):
        st.recovered += 1
        yield Candidate(lineno, part, names, truncated=True, hits=pmask)


def walk(stream: Readable, family: str, prefilter: Prefilter, count_hours: bool = True,
         primed: int = 0) -> Iterator[Candidate | WalkStats]:
    """Yield the :class:`Candidate` lines of ``stream``, then one final :class:`WalkStats`.
    ``primed``: the stream's first bytes were read by :func:`read_head`.

    Chunks are never copied whole: each region of whole lines is searched, counted and sliced in
    place (only candidate lines and header lines become objects of their own)."""
    st = WalkStats()
    w3c_lines = syntax(family) == "w3c"
    hourly = count_hours and family in FAMILIES and FAMILIES[family].web_requests
    names: list[str] = []
    lineno = 0  # lines completed before the current region
    first_seen = False
    last_data = b""
    last_names: list[str] = []
    long_done = -1  # offset in the current over-long line of the last record cut out of it
    for region in _regions(stream, st, primed):
        if isinstance(region, LongPiece):
            for cand in _records_in_long_line(region, family, names, prefilter, long_done):
                long_done = region.base + cand.lineno  # lineno field carries the record's offset here
                cand.lineno = lineno
                st.candidates += 1
                st.recovered += 1
                yield cand
            if region.final:
                long_done = -1
            continue
        if isinstance(region, bytes):  # the head of an over-long line without its end
            lineno += 1
            st.long_lines.append(lineno)
            if region.lstrip(b"\xef\xbb\xbf").startswith(b"#"):
                # a header line over the bound: its first MAX_LINE bytes name the fields (the last,
                # cut name dropped); a data line is never taken for one
                cut = _names_from_header(decode(region), family)
                if cut and len(cut) > 1:
                    names = cut[:-1]
                    st.long_header = True
                continue
            yield from _long_head(region, lineno, family, names, prefilter, st)
            continue
        body, lo, hi = region
        # header lines in this region (rare): positions and the field list each one sets
        headers: list[tuple[int, list[str] | None]] = []
        # IIS rewrites #Fields mid-file; Exchange starts a new file instead, so its logs are searched
        # for header lines only in their head (the first HEADER_REGION bytes, up to the last whole
        # line there) until a data line has been seen: a whole-chunk pass saved
        limit = hi
        if w3c_lines:
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
            headers.append((start, _header_names(body[start:end], family)))
            start = _next_header(body, end, limit) + 1 or -1
        if not first_seen:
            # first data line: its time, and a bare CSV header line (Import-Csv layout) if any
            off = lo
            for _ in range(FIRST_LINES):
                end = body.find(b"\n", off, hi)
                if end < 0:
                    break
                kind = _first_byte_kind(body, off, end)
                if kind == _HEADER:
                    off = end + 1
                    continue
                line = body[off:end]
                if kind != _DATA:
                    stripped = line.lstrip(b"\xef\xbb\xbf")
                    if stripped.startswith(b"#") or not stripped.strip():
                        off = end + 1
                        continue
                    bare = _bare_header(line) if not w3c_lines else None
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
            if end - start > MAX_LINE:  # read as one cut across a chunk seam is (_regions): head, then records
                st.long_lines.append(base + 1)
                yield from _long_head(bytes(body[start : start + MAX_LINE]), base + 1, family, names, prefilter, st)
                rest = LongPiece(bytes(body[start + MAX_LINE - WINDOW : end]), WINDOW, end - start - MAX_LINE + WINDOW,
                                 MAX_LINE - WINDOW, True)
                for cand in _records_in_long_line(rest, family, names, prefilter, -1):
                    cand.lineno = base + 1
                    st.candidates += 1
                    st.recovered += 1
                    yield cand
                continue
            st.candidates += 1
            raw = bytes(body[start:end]).rstrip(b"\r")
            parts = _split_damaged(raw, family, names)
            if parts is None:
                yield Candidate(base + 1, raw, names, hits=mask)
                continue
            st.damaged_lines += 1
            for part, pmask in _parts_with_hits(parts, prefilter):
                st.recovered += 1
                yield Candidate(base + 1, part, names, hits=pmask)
        for _, hn in headers[hix:]:
            if hn:
                names = hn
        if hourly:
            n = _count_hours(body, lo, hi, st.hours, newlines)
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
