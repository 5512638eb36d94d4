"""``.evtx`` chunks of records with distinct values, as a real log holds (issue 18, helper E6).

* Descriptor tables of value types already seen are read from what those types share
  (formats/evtx_raw.py ``_fresh``, ``_Typed``): a real log's tables differ from record to record with
  its string sizes, and reading each the whole way cost several times the parser. What they mean must
  be exactly what reading them the whole way (``_shape``) gives, and chunks of records with distinct
  values (``bench/events/evtx_varied.py``) are read as the parser reads them.
* A character folding to ASCII letters counts only where it can be text (``evtx_raw.in_text``): in a
  real log's GUIDs, ids and times such two-byte units turn up by chance, and every word then counted
  as present sent the chunk to the parser."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.events.collect import _NOT_REMOTE, IP_FIELDS
from extriage.detections.events.engine import default_rules
from extriage.detections.events.screen import Screen
from extriage.formats import evtx_raw
from extriage.formats.evtx_file import CHUNK, HEADER
from extriage.formats.evtx_raw import read_chunk

from .test_evtx_raw import (
    _collect,
    _same_as_parser,
    _sample_chunks,
    _sysmon11,
    _with_text,
    benign,
    dense,
    fix_crcs,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "events"))
from evtx_varied import Varier, varied_chunk  # (the bench writer of real-shaped chunks)


def _forget_tables() -> None:
    """Tables not seen (their types still known)."""
    for shapes in evtx_raw._SHAPES.values():
        shapes.clear()
    evtx_raw._ONCE.clear()


def _empty() -> None:
    _forget_tables()
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


@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_chunks_of_distinct_values_are_read_as_the_parser_reads_them_or_left_to_it(seed: int) -> None:
    """Bytes changed in the records of chunks whose tables are new but their types known (the paths of
    ``_fresh`` and the check by value types in the record walk), CRCs made right: every chunk the raw reader accepts gives the
    parser's records with no parser error; the others go to the parser."""
    rng = random.Random(seed)
    var = Varier(100 + seed)
    samples = [s for s in _sample_chunks() if not s[0].startswith("ID1-")]  # (one record of 2.9 KB a chunk)
    for _, _, chunk in samples:  # (the types known)
        assert read_chunk(varied_chunk(chunk, var, benign=True)[0]) is not None
    judged: list[bool | None] = []
    for _ in range(200):
        _, head, chunk = rng.choice(samples)
        judged.append(_judged(head, _damaged(varied_chunk(chunk, var, benign=rng.random() < 0.8)[0], rng), seed))
    _both_paths_taken(judged)


def _judged(head: bytes, made: bytes, seed: int) -> bool | None:
    """Whether the raw reader accepted the fuzzed chunk ``made`` (then its records must be the parser's), or None
    when it left the chunk to the parser."""
    same = _same_as_parser(head, made)
    assert same is None or same, seed
    return same


def _both_paths_taken(judged: list[bool | None]) -> None:
    """The fuzz reached both outcomes often enough to mean something: chunks read raw and chunks refused."""
    assert judged.count(True) > 20 and judged.count(None) > 20


def _damaged(chunk: bytes | bytearray, rng: random.Random) -> bytes:
    """``chunk`` with 1-3 of its record bytes changed (past its first record: the sample's definitions),
    its CRCs made right again so that the reader looks inside."""
    made = bytearray(chunk)
    free = int.from_bytes(made[48:52], "little")
    first = 512 + int.from_bytes(made[516:520], "little")
    for _ in range(rng.choice([1, 1, 2, 3])):
        at = rng.randrange(first, free)
        made[at] = rng.randrange(256) if rng.random() < 0.7 else made[at] ^ (1 << rng.randrange(8))
    fix_crcs(made)
    return bytes(made)


def _event_data(chunk: bytes | bytearray, a: int) -> tuple[int, int, list[tuple[int, int]]]:
    """A re-encoded record's nested instance (its outer instance refers back: no definition): where its
    table and values start, and each value's (size, type)."""
    here = a + 24 + 14
    n = int.from_bytes(chunk[here : here + 4], "little")
    sizes = [int.from_bytes(chunk[here + 4 + 4 * i : here + 6 + 4 * i], "little") for i in range(n)]
    start = here + 4 + 4 * n + sum(sizes[:-1])
    inner = start + 14
    n2 = int.from_bytes(chunk[inner : inner + 4], "little")
    table = inner + 4
    kinds = [(int.from_bytes(chunk[table + 4 * i : table + 4 * i + 2], "little"), chunk[table + 4 * i + 2]) for i in range(n2)]
    return table, table + 4 * n2, kinds


def _security_chunk(change: str) -> tuple[bytes, bytes]:
    """A 4756 chunk of distinct values whose event data's SubjectLogonId (HexInt64) is written as a
    FILETIME in every re-encoded record (a value's type is the table's, whatever the template declares),
    then in one late record ``change``: a FILETIME from 2300, a SID's count, a descriptor's zero byte."""
    head, chunk = next((h, c) for name, h, c in _sample_chunks() if name.startswith("ID4756"))
    made = bytearray(varied_chunk(chunk, Varier(21), benign=True)[0])
    records = spans_of(made)[15:]  # (the sample's own records first: they hold the definitions)
    when = (2026 - 1601) * 365 * 86_400 * 10_000_000
    for k, (a, _) in enumerate(records):
        table, values, kinds = _event_data(made, a)
        assert kinds[8] == (8, 0x15)
        made[table + 4 * 8 + 2] = 0x11
        at = values + sum(size for size, _ in kinds[:8])
        made[at : at + 8] = (when + k).to_bytes(8, "little")
        if k == len(records) - 5:
            if change == "filetime":
                made[at : at + 8] = ((2300 - 1601) * 365 * 86_400 * 10_000_000).to_bytes(8, "little")
            elif change == "sid":
                sid = values + sum(size for size, _ in kinds[:1])
                assert kinds[1][1] == 0x13
                made[sid + 1] += 1
            elif change == "zero byte":
                made[table + 4 * 3 + 3] = 1
    fix_crcs(made)
    return head, bytes(made)


def spans_of(chunk: bytes | bytearray) -> list[tuple[int, int]]:
    free = int.from_bytes(chunk[48:52], "little")
    out, pos = [], 512
    while pos < free:
        size = int.from_bytes(chunk[pos + 4 : pos + 8], "little")
        out.append((pos, pos + size))
        pos += size
    return out


@pytest.mark.parametrize("change", ["", "filetime", "sid", "zero byte"])
def test_event_data_of_known_types_is_checked_value_by_value(change: str) -> None:
    """Event data whose table is new but its types known (checked by its value types in the record walk): a FILETIME the parser
    cannot take, a SID whose count does not fit its size, a descriptor out of the grammar - the chunk
    goes to the parser; else it is read as the parser reads it."""
    _empty()
    head, made = _security_chunk(change)
    if not change:
        assert _same_as_parser(head, made) is True
        return
    assert read_chunk(made) is None, change
    parsed, parsed_stats, _ = _collect(head + made, raw=False)
    read, read_stats, used = _collect(head + made, raw=True)
    assert (read, read_stats, used) == (parsed, parsed_stats, 0)


@pytest.mark.parametrize("change", ["", "type", "zero byte", "size"])
def test_an_event_whose_table_differs_only_in_its_event_data_size(change: str) -> None:
    """Records of one kind whose outer tables differ only in the nested event data's size are read
    from the first one's shape (``tails`` in ``_read``); a last descriptor of another type or out of
    the grammar, or a size past the record, is read the whole way (then the parser reads the chunk)."""
    _empty()
    head, chunk = next((h, c) for name, h, c in _sample_chunks() if name.startswith("ID4756"))
    made = bytearray(varied_chunk(chunk, Varier(31), benign=True)[0])
    a, _ = spans_of(made)[-3]
    here = a + 24 + 14
    n = int.from_bytes(made[here : here + 4], "little")
    last = here + 4 + 4 * (n - 1)
    assert made[last + 2] == 0x21
    if change == "type":
        made[last + 2] = 0x0E
    elif change == "zero byte":
        made[last + 3] = 1
    elif change == "size":
        made[last : last + 2] = (int.from_bytes(made[last : last + 2], "little") + 8).to_bytes(2, "little")
    fix_crcs(made)
    if not change:
        assert _same_as_parser(head, bytes(made)) is True
        return
    assert read_chunk(bytes(made)) is None or change == "type"
    assert _same_as_parser(head, bytes(made)) is not False, change


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


@pytest.mark.parametrize("forget", ["tables and types", "tables"])
def test_the_dense_copies_still_read_as_the_parser_reads_them(forget: str) -> None:
    """Records repeated in a chunk (the bench files'): with types known and tables not, the first of
    each is checked value by value, the next ones through the table's shape, then remembered."""
    _empty()
    for name, head, chunk in _sample_chunks():
        for made in (dense(benign(chunk)), dense(chunk)):
            assert len(made) == CHUNK and HEADER
            if forget == "tables":
                assert read_chunk(made) is not None
                _forget_tables()
            assert _same_as_parser(head, made) is True, name


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_dense_copies_with_types_known_are_read_as_the_parser_reads_them_or_left_to_it(seed: int) -> None:
    rng = random.Random(seed)
    samples = [(head, dense(benign(chunk))) for _, head, chunk in _sample_chunks()]
    samples = [(head, chunk) for head, chunk in samples if len(spans_of(chunk)) > 20]  # (copies in them)
    judged: list[bool | None] = []
    for _ in range(150):
        head, base = rng.choice(samples)
        assert read_chunk(base) is not None
        _forget_tables()  # (types known, tables not)
        judged.append(_judged(head, _damaged(base, rng), seed))
    _both_paths_taken(judged)


# -- characters folding to ASCII, by chance in values the parser writes as numbers --------------------------

#: The sample Sysmon 11 record's ProcessGuid (6D3C60FE-F13D-60B9-22E2-010000001D00) as it is stored.
_GUID = bytes.fromhex("fe603c6d3df1b96022e2010000001d00")


def _with_bytes(chunk: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and chunk.count(old) == 1
    out = bytearray(chunk.replace(old, new))
    fix_crcs(out)
    return bytes(out)


@pytest.mark.parametrize("what,made,skips", [
    ("U+FB00 twice in a GUID, one of them at an even offset", lambda c: _with_bytes(c, _GUID, b"\x00\xfb" * 8), True),
    ("U+00DF and U+212A in a GUID", lambda c: _with_bytes(c, _GUID, b"\xdf\x00\x2a\x21" * 4), True),
    ("a unit made of a string's last byte and the GUID's first", lambda c: _with_bytes(c, _GUID, b"\xfb" + _GUID[1:]), True),
    ("a unit across two characters of a string (A, U+00FB)", lambda c: _with_text(c, "Exchange2016", "xxxxxA\u00fbxxxxx"), True),
    ("U+FB00 as a character of a string", lambda c: _with_text(c, "Exchange2016", "xxxxxA\ufb00xxxxx"), False),
    ("U+017F as a character of a string", lambda c: _with_text(c, "Exchange2016", "xxxxx\u017fxxxxxx"), False),
    ("U+212A in a name of a template", lambda c: _with_text(c, "TargetFilename", "Target\u212ailename"), False),
])
def test_a_character_folding_to_ascii_counts_only_where_text_can_be(what: str, made: Any, skips: bool) -> None:
    head, chunk = _sysmon11()
    changed = made(chunk)
    raw = read_chunk(changed)
    assert raw is not None, what
    screen = Screen(default_rules(), IP_FIELDS, _NOT_REMOTE)
    assert screen.raw_skip(raw) is skips, what  # (a Sysmon 11 rule has words: all present when one folds)
    parsed, parsed_stats, _ = _collect(head + changed, raw=False)
    read, read_stats, used = _collect(head + changed, raw=True)
    assert (read, read_stats) == (parsed, parsed_stats), what
    assert used == skips, what


def test_a_log_of_random_guids_is_read_without_the_parser() -> None:
    """Sysmon 11 chunks of distinct values (random GUIDs, times, ids): every one of them skips the
    parser (before, about a quarter did: a folding character by chance in almost every chunk)."""
    var = Varier(3)
    _, _, chunk = next(s for s in _sample_chunks() if s[0].startswith("ID11"))
    screen = Screen(default_rules(), IP_FIELDS, _NOT_REMOTE)
    chunks = [varied_chunk(chunk, var, benign=True)[0] for _ in range(40)]
    assert all(screen.raw_skip(raw) for raw in map(read_chunk, chunks) if raw is not None)
    assert sum(1 for c in chunks if b"\x00\xfb" in c or b"\xdf\x00" in c) > 10
