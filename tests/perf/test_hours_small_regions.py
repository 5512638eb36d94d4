"""Small regions of more than one hour are counted line by line (:func:`extriage.formats.logscan._count_lines`)
rather than by NumPy's reading of their line starts, which cost ~25 us whatever the lines (issue 18,
session 17): the hundreds of short multi-hour logs a server holds (Rps_Http, a quiet hour's HttpProxy log).
The bound is in lines, so a small region of many blank lines still goes to NumPy; every path gives the
per-line reading's hours and the region's newline count."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.formats import logscan

from .hour_reference import assert_region_counted
from .hour_reference import per_line_hours as _reference
from .hour_reference import walk_stats as _stats

HEADER = b"#Software: Microsoft Exchange\n#Fields: DateTime,ClientIp,UrlStem\n"


def _rps(hours: int) -> bytes:
    """A short log of several hours, as Rps_Http writes: one probe every four hours."""
    return HEADER + b"".join(f"2021-02-24T{h:02d}:50:40.000Z,10.20.0.20,/powershell\n".encode()
                             for h in range(0, 4 * hours, 4))


def _count(body: bytes, lo: int = 0) -> tuple[int, dict[str, int], list[int]]:
    """``_count_hours`` of ``body[lo:]`` as the walk calls it (NumPy loaded), and the line reads it made."""
    seen: list[int] = []
    real = logscan._count_lines

    def spy(b: logscan.Buffer, a: int, z: int, out: Counter[str]) -> int:
        seen.append(z - a)
        return real(b, a, z, out)

    out: Counter[str] = Counter()
    old = logscan._count_lines
    logscan._count_lines = spy
    try:
        n = logscan._count_hours(body, lo, len(body), out, logscan._Newlines(body, lo, len(body)))
    finally:
        logscan._count_lines = old
    return n, dict(out), seen


def test_a_short_log_of_several_hours_is_read_line_by_line() -> None:
    pytest.importorskip("numpy")
    body = _rps(6)
    n, hours, seen = _count(body)
    assert seen == [len(body)]  # fails before: NumPy's line starts read it
    assert n == body.count(b"\n")
    assert hours == dict(_reference(body)) == {f"2021-02-24T{h:02d}": 1 for h in range(0, 24, 4)}


def test_more_lines_than_the_bound_stay_in_numpy() -> None:
    pytest.importorskip("numpy")
    body = _rps(6) + b"\n" * (logscan._LINES_BELOW + 1)  # blank lines: small in bytes, many lines
    n, hours, seen = _count(body)
    assert seen == []
    assert n == body.count(b"\n")
    assert hours == dict(_reference(body))
    one_hour = HEADER + b"2021-02-24T10:00:00Z,a,/owa\n" * 3  # one hour: the substring count, as before
    assert _count(one_hour)[2] == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"2021-03-02T10:00:00Z,a", b"2021-03-02T11:00:00Z,b", b"#Fields: x", b"", b"junk",
                                 b"2021-03-02 12:00:00,c", b"2021-03-02T1", b"2021-04-02T10"]), min_size=1, max_size=70),
       st.integers(min_value=0, max_value=3), st.sampled_from([0, 48, 1 << 30]))
def test_every_bound_gives_the_per_line_reading(parts: list[bytes], pad: int, bound: int) -> None:
    body = b"x\n" * pad + b"\n".join(parts) + b"\n"
    lo = 2 * pad
    old = logscan._LINES_BELOW
    logscan._LINES_BELOW = bound
    try:
        assert_region_counted(body, lo)
        stats = _stats(body[lo:])
        assert dict(stats.hours) == dict(_reference(body[lo:]))
        assert stats.lines == body.count(b"\n", lo)
    finally:
        logscan._LINES_BELOW = old


def _iis_day(hours: int, per_hour: int, width: int = 0) -> bytes:
    pad = b"x" * width
    return b"#Fields: date time c-ip cs-uri-stem\n" + b"".join(
        f"2021-03-02 {h:02d}:{m % 60:02d}:00 10.0.0.1 /owa/".encode() + pad + b"\n"
        for h in range(hours) for m in range(per_hour))


def test_a_big_region_of_several_hours_counts_its_newlines_once() -> None:
    """A region of 48 KiB or more reads its line starts; their number is its line count, so its newlines are
    not counted apart (fails before: the mask's count of the whole region came first)."""
    pytest.importorskip("numpy")
    body = _iis_day(6, 300)
    assert len(body) >= logscan._OFFSETS_FROM
    nl = logscan._Newlines(body, 0, len(body))
    counted: list[tuple[int, int]] = []
    real = logscan._Newlines.count

    def spy(self: logscan._Newlines, a: int, b: int) -> int:
        counted.append((a, b))
        return real(self, a, b)

    logscan._Newlines.count = spy  # type: ignore[method-assign]
    try:
        out: Counter[str] = Counter()
        n = logscan._count_hours(body, 0, len(body), out, nl)
    finally:
        logscan._Newlines.count = real  # type: ignore[method-assign]
    assert counted == []
    assert n == body.count(b"\n")
    assert dict(out) == dict(_reference(body)) == {f"2021-03-02T{h:02d}": 300 for h in range(6)}


def test_a_big_region_of_few_long_lines_is_read_line_by_line() -> None:
    """The bound stays in lines for big regions too: few lines of 2 KB each go line by line, as before."""
    pytest.importorskip("numpy")
    body = _iis_day(3, 10, width=2048)
    assert len(body) >= logscan._OFFSETS_FROM and body.count(b"\n") <= logscan._LINES_BELOW
    n, hours, seen = _count(body)
    assert seen == [len(body)]
    assert n == body.count(b"\n")
    assert hours == dict(_reference(body)) == {f"2021-03-02T{h:02d}": 10 for h in range(3)}
