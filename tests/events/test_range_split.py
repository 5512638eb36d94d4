"""Reading one JSON-lines export in byte ranges gives exactly the lines of a whole-file read."""

from __future__ import annotations

import io
import itertools
import random

import pytest

from extriage.evidence.reading import iter_lines
from extriage.formats import event_export
from extriage.formats.event_export import _range_lines


@pytest.mark.parametrize("chunk", [3, 7, 4 * 1024 * 1024])
def test_ranges_cover_every_line_once(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(event_export, "CHUNK_BYTES", chunk)
    rnd = random.Random(chunk)
    for _ in range(300):
        lines = [b"x" * rnd.randint(0, 30) for _ in range(rnd.randint(0, 40))]
        data = b"\n".join(lines) + (b"\n" if rnd.random() < 0.5 else b"")
        ref = list(iter_lines(io.BytesIO(data)))  # type: ignore[arg-type]
        n = len(data)
        cuts = sorted({0, n, *[rnd.randint(0, n) for _ in range(rnd.randint(0, 4))]})
        got = []
        for a, b in itertools.pairwise(cuts):
            got += list(_range_lines(io.BytesIO(data), a, b))
        assert got == ref, (data, cuts)
