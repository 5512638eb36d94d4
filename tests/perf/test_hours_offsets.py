"""The one-hour test of :func:`extriage.formats.logscan._count_hours` from newline offsets (regions
of ``_OFFSETS_FROM`` bytes or more, session 7) gives the same hours and line counts as the substring
count it replaced and as a plain per-line reading: a line of another hour anywhere (differing in
either 8-byte half of ``YYYY-MM-DDTHH``), a short last line, header lines first, a region cut
inside a chunk."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.formats import logscan

from .hour_reference import assert_region_counted
from .hour_reference import per_line_hours as _reference
from .hour_reference import walk_stats as _stats


def _hour_lines(n: int, hour: str = "2021-03-02T10") -> list[bytes]:
    return [f"{hour}:{i % 60:02d}:{i % 59:02d}.{i:07d}Z,10.0.0.{i % 250},GET,/owa/{'x' * (i % 300)},200\n".encode()
            for i in range(n)]


HEADER = [b"#Software: Microsoft Exchange Server\n", b"#Log-type: HttpProxy Logs\n",
          b"#Fields: DateTime,ClientIpAddress,Method,UrlStem,HttpStatus\n"]
ODD = [
    b"2021-03-02T11:00:00Z,other hour\n",  # differs in byte 12 (the second 8-byte read)
    b"2021-04-02T10:00:00Z,other month\n",  # differs in byte 6 (the first read)
    b"2021-03-02 10:00:00,space separator\n",
    b"2021-03-02T1\n",  # shorter than an hour
    b"\n",
    b"#Fields: DateTime,Method\n",
]


@pytest.mark.parametrize("where", ["none", "start", "middle", "end"])
@pytest.mark.parametrize("odd", range(len(ODD)))
@pytest.mark.parametrize("offsets_from", [0, 48 * 1024, 1 << 40])
def test_one_hour_regions(where: str, odd: int, offsets_from: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logscan, "_OFFSETS_FROM", offsets_from)
    lines = _hour_lines(600)
    if where != "none":
        at = {"start": 0, "middle": 300, "end": len(lines)}[where]
        lines.insert(at, ODD[odd])
    data = b"".join(HEADER + lines)
    stats = _stats(data)
    assert dict(stats.hours) == dict(_reference(data))
    assert stats.lines == data.count(b"\n")


@pytest.mark.parametrize("chunk", [4096, 50_000, 97])
def test_regions_cut_by_chunks(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logscan, "CHUNK", chunk)
    monkeypatch.setattr(logscan, "_OFFSETS_FROM", 0)
    lines = [*_hour_lines(400), b"2021-03-02T11:00:00Z,next hour\n", *_hour_lines(400, "2021-03-02T11")]
    data = b"".join(HEADER + lines)
    stats = _stats(data)
    assert dict(stats.hours) == dict(_reference(data)) == {"2021-03-02T10": 400, "2021-03-02T11": 401}
    assert stats.lines == len(HEADER) + 801


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([b"2021-03-02T10:00:00Z,a", b"2021-03-02 10:00:00,b", b"2021-03-02T11", b"",
                                 b"#Fields: x", b"2021-03-02T1", b"2021-03-02T10", b"2021-03-02X10:00"]),
                max_size=30))
def test_offsets_equal_a_per_line_reading(parts: list[bytes]) -> None:
    for threshold in (0, 1 << 40):
        logscan._OFFSETS_FROM = threshold
        try:
            data = b"\n".join(parts) + b"\n"
            assert dict(_stats(data).hours) == dict(_reference(data))
        finally:
            logscan._OFFSETS_FROM = 48 * 1024


@pytest.mark.parametrize("last", [b"2021-03-02T1", b"2021", b"x"])
def test_short_last_line_at_the_end_of_the_buffer(last: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """CR line ends: the walk hands over a converted copy whose region ends where the buffer does,
    so a short last line's hour bytes would be read past the buffer's end."""
    monkeypatch.setattr(logscan, "_OFFSETS_FROM", 0)
    data = b"".join(_hour_lines(300)).replace(b"\n", b"\r") + last + b"\r"
    stats = _stats(data)
    assert stats.bare_cr
    assert dict(stats.hours) == dict(_reference(data.replace(b"\r", b"\n"))) == {"2021-03-02T10": 300}
    assert stats.lines == 301


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"2021-03-02T10:00:00Z,a", b"2021-03-02T11:00:00Z,b", b"#Fields: x", b"", b"junk",
                                 b"2021-03-02 10:00:00,c", b"2021-03-02T1"]), min_size=1, max_size=40),
       st.integers(min_value=0, max_value=3))
def test_count_hours_returns_the_newlines_of_its_region(parts: list[bytes], pad: int) -> None:
    """The line count _count_hours returns comes from the offsets each of its paths reads (the one-hour
    test's newline offsets plus the skipped header lines, the line starts of the per-line path) or a
    count of its own (small regions): every path gives the region's newline count, whatever stands
    before ``lo`` in the buffer (session 14)."""
    body = b"x\n" * pad + b"\n".join(parts) + b"\n"
    lo = 2 * pad
    for threshold in (0, 1 << 40):
        logscan._OFFSETS_FROM = threshold
        try:
            assert_region_counted(body, lo)
        finally:
            logscan._OFFSETS_FROM = 48 * 1024


def _lines(hours: list[str], each: int) -> list[bytes]:
    return [line for h in hours for line in _hour_lines(each, h)]


@pytest.mark.parametrize("shape", ["sorted", "header_between", "odd_lines", "interleaved", "alternating",
                                   "few_changes_late"])
def test_runs_of_one_hour_count_as_every_line(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A multi-hour region whose lines come in runs of one hour is read a run at a time
    (logscan._runs, session 14); regions whose lines change hour too often are read line by line.
    Both give the per-line reading's hours and line count, in one region and cut into chunks."""
    monkeypatch.setattr(logscan, "_OFFSETS_FROM", 0)
    hours = [f"2021-03-02T{h:02d}" for h in range(10, 16)]
    if shape == "sorted":
        lines = _lines(hours, 300)
    elif shape == "header_between":
        lines = [*_lines(hours[:3], 300), *HEADER, *_lines(hours[3:], 300)]
    elif shape == "odd_lines":
        lines = _lines(hours, 300)
        for i, odd in enumerate(ODD):
            lines.insert(150 + 211 * i, odd)
    elif shape == "interleaved":  # every line another hour than the one before: read line by line
        lines = [line for pair in zip(*(_hour_lines(300, h) for h in hours), strict=True) for line in pair]
    elif shape == "alternating":  # runs of 5: more runs than one in eight lines, after a sorted probe
        lines = _lines(hours[:1], 300) + [line for k in range(120) for line in _hour_lines(5, hours[k % 6])]
    else:  # a probe of one run, then a change every 9 lines: just under the share
        lines = _lines(hours[:1], 300) + [line for k in range(200) for line in _hour_lines(9, hours[k % 6])]
    data = b"".join(HEADER + lines)
    for chunk in (1 << 22, 65536, 9999):
        monkeypatch.setattr(logscan, "CHUNK", chunk)
        stats = _stats(data)
        assert dict(stats.hours) == dict(_reference(data))
        assert stats.lines == data.count(b"\n")
