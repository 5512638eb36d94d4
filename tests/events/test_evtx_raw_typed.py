"""Descriptor tables of value types already seen are read from what those types share
(formats/evtx_raw.py ``_fresh``, ``_Typed``; issue 18, helper E6): a real log's tables differ from
record to record with its string sizes, and reading each the whole way cost several times the parser.
What they mean must be exactly what reading them the whole way (``_shape``) gives, and chunks of
records with distinct values (``bench/events/evtx_varied.py``) are read as the parser reads them."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

from extriage.formats import evtx_raw
from extriage.formats.evtx_file import CHUNK, HEADER
from extriage.formats.evtx_raw import read_chunk

from .test_evtx_raw import _collect, _same_as_parser, _sample_chunks, benign, dense

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "events"))
from evtx_varied import Varier, varied_chunk  # (the bench writer of real-shaped chunks)


def _empty() -> None:
    for shapes in evtx_raw._SHAPES.values():
        shapes.clear()
    for typed in evtx_raw._TYPED.values():
        typed.clear()


def _meaning(shape: Any) -> Any:
    if shape is None:
        return None
    return (shape.stop, shape.nested, shape.sids, shape.positional, shape.filetimes,
            shape.fields.format if shape.fields else None, shape.strings, shape.span,
            shape.whole.format if shape.whole else None, shape.checks)


def _tables(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, bytes, int]]:
    """(template, table, value count) of every record's outer and nested instance in the samples."""
    seen: list[tuple[Any, bytes, int]] = []
    fresh = evtx_raw._fresh

    def spy(tmpl: Any, table: bytes, n: int) -> Any:
        seen.append((tmpl, table, n))
        return fresh(tmpl, table, n)

    monkeypatch.setattr(evtx_raw, "_fresh", spy)
    _empty()
    for _, _, chunk in _sample_chunks():
        assert read_chunk(chunk) is not None
    monkeypatch.setattr(evtx_raw, "_fresh", fresh)
    assert seen
    return seen


def _variant(rng: random.Random, table: bytes) -> bytes:
    t = bytearray(table)
    n = len(t) // 4
    for _ in range(rng.choice([1, 2, 3, 5])):
        i = rng.randrange(n)
        kind = t[4 * i + 2]
        how = rng.random()
        if how < 0.6 and kind in (0x01, 0x81, 0x0E, 0x13, 0x21):  # a new size, as a real log's
            size = rng.randrange(0, 600)
            if kind in (0x01, 0x81) and rng.random() < 0.9:
                size &= ~1
            if kind == 0x13 and rng.random() < 0.9:
                size = 8 + 4 * rng.randrange(0, 6)
            t[4 * i : 4 * i + 2] = size.to_bytes(2, "little")
        elif how < 0.8:  # any byte of a descriptor (sizes of fixed types, types, the zero byte)
            t[4 * i + rng.randrange(4)] = rng.randrange(256)
        else:
            t[4 * i + rng.randrange(2)] ^= 1 << rng.randrange(8)
    return bytes(t)


@pytest.mark.parametrize("seed", range(3))
def test_a_table_of_known_types_means_what_reading_it_the_whole_way_gives(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    tables = _tables(monkeypatch)
    kinds_known = same_meaning = refused = 0
    for _ in range(3000):
        tmpl, table, n = rng.choice(tables)
        made = _variant(rng, table)
        if rng.random() < 0.3:  # only the last value's size changed (an Event's nested event data)
            made = table[:-4] + rng.randrange(65536).to_bytes(2, "little") + bytes([table[-2], rng.choice([0, 0, 0, 1])])
        evtx_raw._fresh(tmpl, table, n)  # (its types learnt; an Event's table head too)
        kinds_known += made[2::4] in tmpl.typed
        got = evtx_raw._fresh(tmpl, made, n)
        want = evtx_raw._shape(tmpl, made, n)
        assert _meaning(got) == _meaning(want), (table.hex(), made.hex())
        same_meaning += want is not None
        refused += want is None
    assert kinds_known > 2000 and same_meaning > 600 and refused > 300


def test_tables_of_known_types_are_not_read_the_whole_way_again() -> None:
    """In a chunk of records with distinct values (string sizes differ: almost every table is new),
    only the first tables of each kind of record are read the whole way."""
    _empty()
    samples = _sample_chunks()
    var = Varier(7)
    made_before = evtx_raw._made
    records = 0
    for _, _, chunk in samples * 2:
        for attack in (False, True):
            raw = read_chunk(varied_chunk(chunk, var, benign=not attack)[0])
            assert raw is not None
            records += raw.records
    assert evtx_raw._made - made_before < 60 < 1000 < records, (evtx_raw._made - made_before, records)


def test_chunks_of_distinct_values_are_read_as_the_parser_reads_them() -> None:
    var = Varier(11)
    for cold in (True, False):
        if cold:
            _empty()
        for name, head, chunk in _sample_chunks():
            for attack in (False, True):
                made, n = varied_chunk(chunk, var, benign=not attack)
                assert n > 10
                assert _same_as_parser(head, made) is True, name


def test_a_log_of_distinct_values_gives_the_parser_paths_results() -> None:
    var = Varier(5)
    samples = _sample_chunks()
    head = samples[0][1]
    chunks = [varied_chunk(chunk, var, benign=k % 7 != 3)[0] for k in range(4) for _, _, chunk in samples]
    data = head + b"".join(chunks)
    for batch in (512, 7):
        parsed, parsed_stats, _ = _collect(data, raw=False, batch=batch)
        read, read_stats, used = _collect(data, raw=True, batch=batch)
        assert read_stats == parsed_stats
        assert read == parsed
        assert used >= 8  # (the Security and PowerShell chunks at least: their tables new, their types not)


def test_the_dense_copies_still_read_as_the_parser_reads_them() -> None:
    _empty()
    for name, head, chunk in _sample_chunks():
        for made in (dense(benign(chunk)), dense(chunk)):
            assert _same_as_parser(head, made) is True, name
    assert len(made) == CHUNK and HEADER
