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
from collections import Counter
from collections.abc import Iterator
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

_HOUR_RE = re.compile(rb"(\d{4}-\d\d-\d\d)[T ](\d\d)")
_TS_RE = re.compile(rb"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d{1,7})?)")


class Readable(Protocol):
    def read(self, n: int = -1) -> bytes: ...


@dataclass(slots=True)
class Candidate:
    """One line the prefilter selected, with the field names in force where it stands."""

    lineno: int
    raw: bytes
    names: list[str]
    truncated: bool = False


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


def decode(raw: bytes) -> str:
    """Log bytes as text: UTF-8 (BOM dropped), undecodable bytes replaced, never an exception."""
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")


def line_time(raw: bytes, family: str, names: list[str] | None = None) -> datetime | None:
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


def _hour_of(body: bytes, pos: int) -> bytes | None:
    m = _HOUR_RE.match(body, pos)
    return m.group(1) + b"T" + m.group(2) if m else None


def _count_hours(body: bytes, lo: int, hi: int, out: Counter[str], depth: int = 0) -> int:
    """Add the lines of ``body[lo:hi]`` (complete lines, ``hi`` just after a newline) to ``out``.

    Returns the number of newlines in ``body[lo:hi]`` (the pieces partition the range), so the
    caller's line count needs no second pass over the chunk."""
    if lo >= hi:
        return 0
    last_start = body.rfind(b"\n", lo, hi - 1) + 1
    if last_start <= lo:
        last_start = lo
    h_first = _hour_of(body, lo)
    h_last = _hour_of(body, last_start)
    if h_first is not None and h_first == h_last:
        n = body.count(b"\n", lo, hi)
        out[h_first.decode()] += n
        return n
    if last_start == lo or depth > 60:  # a single line, or pathological input
        n = body.count(b"\n", lo, hi)
        if h_first is not None:
            out[h_first.decode()] += n
        return n
    mid = body.find(b"\n", (lo + hi) // 2 - 1)
    if mid < 0 or mid + 1 >= hi:
        mid = body.rfind(b"\n", lo, hi - 1)
    return _count_hours(body, lo, mid + 1, out, depth + 1) + _count_hours(body, mid + 1, hi, out, depth + 1)


def _data_line_within(body: bytes, region: int, family: str) -> bool:
    """Whether one of the first :data:`FIRST_LINES` lines of ``body[:region]`` is a data line (not a
    ``#`` directive, blank, or a bare CSV header line) — the test :func:`walk` uses for the first
    data line, so header lines are searched for until that line, exactly as before."""
    off = 0
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


def walk(stream: Readable, family: str, prefilter: Prefilter, count_hours: bool = True) -> Iterator[Candidate | WalkStats]:
    """Yield the :class:`Candidate` lines of ``stream``, then one final :class:`WalkStats`."""
    st = WalkStats()
    names: list[str] = []
    lineno = 0  # lines completed before the current buffer
    pending = b""
    skipping = False
    first_seen = False
    last_data = b""
    last_names: list[str] = []
    while True:
        chunk = stream.read(CHUNK)
        eof = not chunk
        st.bytes += len(chunk)
        if eof:
            if not pending or skipping:
                break
            body = pending + b"\n"
            pending = b""
        else:
            data = pending + chunk if pending else chunk
            cut = data.rfind(b"\n")
            if skipping:
                nl = data.find(b"\n")
                if nl < 0:
                    pending = b""
                    continue
                skipping = False
                data = data[nl + 1 :]
                cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE:
                    lineno += 1
                    st.long_lines.append(lineno)
                    head = data[:MAX_LINE]
                    if prefilter.line_spans(head):
                        st.candidates += 1
                        yield Candidate(lineno, head, names, truncated=True)
                    pending = b""
                    skipping = True
                else:
                    pending = data
                continue
            body, pending = data[: cut + 1], data[cut + 1 :]
        if b"\x00" in body:  # memchr: near free when absent
            st.nul_bytes += body.count(b"\x00")
        # header lines in this body (rare): positions and the field list each one sets
        headers: list[tuple[int, list[str] | None]] = []
        # IIS rewrites #Fields mid-file; Exchange starts a new file instead, so its logs are searched
        # for header lines only in their head (the first HEADER_REGION bytes, up to the last whole
        # line there) until a data line has been seen: a whole-chunk pass saved
        limit = len(body)
        if family == "iis":
            search = True
        elif lineno == 0 and not first_seen:
            search = True
            region = body.rfind(b"\n", 0, HEADER_REGION) + 1
            if region > 0 and _data_line_within(body, region, family):
                limit = region
        else:
            search = not first_seen
        if search:
            pos = 0 if body.startswith((b"#", b"\xef\xbb\xbf#")) else body.find(b"\n#", 0, limit)
        else:
            pos = -1
        while pos >= 0:
            start = pos if pos == 0 else pos + 1
            end = body.find(b"\n", start)
            headers.append((start, _names_from_header(decode(body[start:end]), family)))
            pos = body.find(b"\n#", end, limit)
        if not first_seen:
            # first data line: its time, and a bare CSV header line (Import-Csv layout) if any
            off = 0
            for _ in range(FIRST_LINES):
                end = body.find(b"\n", off)
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
        spans = prefilter.line_spans(body)
        hi = 0
        prev = 0
        base = lineno
        for start, end in spans:
            while hi < len(headers) and headers[hi][0] <= start:
                if headers[hi][1]:
                    names = headers[hi][1] or names
                hi += 1
            base += body.count(b"\n", prev, start)
            prev = start
            raw = body[start:end]
            if raw.startswith(b"#"):
                continue
            if any(h[0] == start for h in headers):
                continue
            st.candidates += 1
            if len(raw) > MAX_LINE:  # keep memory per line bounded; the cut is reported
                st.long_lines.append(base + 1)
                yield Candidate(base + 1, raw[:MAX_LINE], names, truncated=True)
                continue
            yield Candidate(base + 1, raw.rstrip(b"\r"), names)
        for _, hn in headers[hi:]:
            if hn:
                names = hn
        if count_hours and family in ("httpproxy", "iis"):
            n = _count_hours(body, 0, len(body), st.hours)
        else:
            n = body.count(b"\n")
        lineno += n
        last_start = body.rfind(b"\n", 0, len(body) - 1) + 1
        tail = body[last_start:-1]
        if tail and not tail.startswith(b"#"):
            last_data, last_names = tail, names
        if eof:
            break
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
