"""Newline offsets read from the newline mask 8 bytes at a time (:func:`extriage.formats.logscan._nonzero`,
issue 18, session 15) are ``np.flatnonzero`` of the mask for every mask: words holding one newline,
words holding several (blank and short lines: the whole mask is read byte by byte), a mask not a
multiple of 8 long, a slice starting at any byte. Hours and line counts of whole walks, sorted and
shuffled, one region and cut into chunks, equal a per-line reading with the word path on and off."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.formats import logscan

from .hour_reference import per_line_hours as _reference
from .hour_reference import walk_stats as _stats


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.lists(st.integers(min_value=0, max_value=299), max_size=60),
       st.integers(min_value=0, max_value=9), st.sampled_from([0, 8, 16, 64]))
def test_word_offsets_equal_flatnonzero(size: int, trues: list[int], skip: int, words_from: int) -> None:
    mask = np.zeros(size + skip, dtype=np.bool_)
    for t in trues:
        if t < size:
            mask[skip + t] = True
    part = mask[skip:]  # a slice starting at any byte, as a region inside a chunk
    saved = logscan._WORDS_FROM
    logscan._WORDS_FROM = words_from
    try:
        got = logscan._nonzero(part)
    finally:
        logscan._WORDS_FROM = saved
    want = np.flatnonzero(part)
    assert got.dtype == want.dtype
    assert got.tolist() == want.tolist()


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lengths of the masks ``np.flatnonzero`` (the walk's own ``_flatnonzero``) is called on."""
    seen: list[int] = []
    real = logscan._flatnonzero

    def flatnonzero(a: Any) -> Any:
        seen.append(len(a))
        return real(a)

    monkeypatch.setattr(logscan, "_flatnonzero", flatnonzero)
    return seen


def test_one_newline_per_word_is_read_by_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path the speed comes from is taken: a mask of one newline every 300 bytes is never
    read byte by byte (only its 8-byte words and its tail); one blank line sends it to flatnonzero."""
    mask = np.zeros(200_003, dtype=np.bool_)
    mask[299::300] = True
    seen = _spy(monkeypatch)
    assert logscan._nonzero(mask).tolist() == list(range(299, 200_003, 300))
    assert seen == [200_000 // 8, 3]
    mask[300] = True  # a blank line: two newlines in one word
    seen.clear()
    assert logscan._nonzero(mask).tolist() == sorted([*range(299, 200_003, 300), 300])
    assert 200_003 in seen


def _hour_lines(n: int, hour: str, rng: random.Random) -> list[bytes]:
    return [f"{hour}:{i % 60:02d}:{i % 59:02d}.{i:07d}Z,10.0.0.{i % 250},GET,/owa/{'x' * rng.randrange(300)},200\n"
            .encode() for i in range(n)]


HEADER = [b"#Software: Microsoft Exchange Server\n", b"#Fields: DateTime,ClientIpAddress,Method,UrlStem,HttpStatus\n"]


@pytest.mark.parametrize("shape", ["one_hour", "sorted", "shuffled", "blank_lines", "short_lines"])
@pytest.mark.parametrize("words_from", [0, 1 << 40])
def test_walk_hours_with_word_offsets(shape: str, words_from: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logscan, "_WORDS_FROM", words_from)
    rng = random.Random(7)
    hours = [f"2021-03-02T{h:02d}" for h in range(10, 14)]
    if shape == "one_hour":
        lines = _hour_lines(1200, hours[0], rng)
    else:
        lines = [line for h in hours for line in _hour_lines(400, h, rng)]
    if shape == "shuffled":
        rng.shuffle(lines)
    elif shape == "blank_lines":
        for at in (5, 700, 1500):
            lines.insert(at, b"\n")
    elif shape == "short_lines":
        for at in (3, 800, 1200):
            lines.insert(at, b"2021\n")
    data = b"".join(HEADER + lines)
    want = _reference(data)
    for chunk in (1 << 22, 65536, 9999):
        monkeypatch.setattr(logscan, "CHUNK", chunk)
        stats = _stats(data)
        assert dict(stats.hours) == dict(want)
        assert stats.lines == data.count(b"\n")
