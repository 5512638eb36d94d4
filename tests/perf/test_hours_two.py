"""A small region of two hours is counted by two substring counts, one per hour written at its two
ends, when every line after the first starts with one of them (issue 18, session 20): an hourly log
holding its next hour's first lines, a log cut across an hour. Anything else on a line start (a third
hour, a header line, a blank or damaged line) leaves the count to the line-by-line reading, so every
region is counted as the per-line reading counts it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .hour_reference import assert_region_counted
from .hour_reference import per_line_hours as _reference
from .test_hours_small_regions import _count as count_hours

HEADER = b"#Software: Microsoft Exchange\n#Fields: DateTime,ClientIp,UrlStem\n"
A = b"2021-02-24T10:59:58.000Z,10.20.0.20,/owa/\n"
B = b"2021-02-24T11:00:01.000Z,10.20.0.21,/ecp/\n"


def _count(body: bytes) -> tuple[int, dict[str, int], int]:
    """``_count_hours`` of ``body`` as the walk calls it, and how many regions it read line by line."""
    n, out, seen = count_hours(body)
    return n, out, len(seen)


@pytest.mark.parametrize("body", [
    HEADER + A * 20 + B * 3,  # an hourly log with its next hour's first lines
    HEADER + A * 5 + B + A * 4 + B,  # the two hours interleaved (merged logs)
    A + B,
    HEADER + A + B * 30,
    HEADER + A * 3 + B.replace(b"T11", b" 11") * 2,  # the last hour written with a space
])
def test_two_hours_by_two_counts(body: bytes) -> None:
    n, hours, by_line = _count(body)
    assert by_line == 0  # fails before: read line by line
    assert n == body.count(b"\n")
    assert hours == dict(_reference(body))


@pytest.mark.parametrize("middle", [
    b"2021-02-24T12:00:00.000Z,10.20.0.22,/owa/\n",  # a third hour
    b"#Fields: DateTime,ClientIp\n",  # a header line
    b"\n",  # a blank line
    b"junk\n",
    b"2021-02-24T1\n",  # a cut line
    b"2021-02-24T10:59:59\x00\n"[:5] + b"\n",
])
def test_anything_else_is_read_line_by_line(middle: bytes) -> None:
    body = HEADER + A * 4 + middle + A + B * 2
    n, hours, by_line = _count(body)
    assert by_line == 1
    assert n == body.count(b"\n")
    assert hours == dict(_reference(body))


def test_the_last_line_without_an_hour_is_read_line_by_line() -> None:
    body = HEADER + A * 4 + B + b"2021-02-24T1\n"
    assert _count(body)[2] == 1
    assert_region_counted(body, 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([A, B, B.replace(b"T11", b" 11"), b"2021-02-24T12:00:00Z,c\n", b"#Fields: x\n",
                                 b"\n", b"junk\n", b"2021-02-24T1\n", b"2021-03-24T10:00:00Z,d\n"]),
                min_size=1, max_size=60),
       st.sampled_from([b"", HEADER, b"x\n"]))
def test_every_region_gives_the_per_line_reading(lines: list[bytes], head: bytes) -> None:
    assert_region_counted(head + b"".join(lines), 0)
    assert_region_counted(b"pad\n" + head + b"".join(lines), 4)
