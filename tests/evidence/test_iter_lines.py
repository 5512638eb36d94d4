"""Bounded line reading: over-long lines are cut and flagged wherever they fall in the stream."""

from __future__ import annotations

import io

from extriage.evidence.reading import CHUNK, iter_lines


def test_long_line_inside_one_chunk_is_cut_and_flagged() -> None:
    data = b"short\n" + b"x" * 5000 + b"\nlast\n"
    lines = list(iter_lines(io.BytesIO(data), max_line=1000))
    assert [(n, len(b), cut) for n, b, cut in lines] == [(1, 5, False), (2, 1000, True), (3, 4, False)]


def test_long_line_across_chunks_is_cut_once_and_numbering_continues() -> None:
    data = b"a\n" + b"y" * (CHUNK + 10) + b"\nb\nc"
    lines = list(iter_lines(io.BytesIO(data), max_line=1000))
    assert [(n, b if not cut else len(b), cut) for n, b, cut in lines] == [
        (1, b"a", False),
        (2, 1000, True),
        (3, b"b", False),
        (4, b"c", False),
    ]


def test_crlf_is_stripped() -> None:
    assert [b for _, b, _ in iter_lines(io.BytesIO(b"a\r\nb\r\n"))] == [b"a", b"b"]
