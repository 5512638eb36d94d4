"""``.evtx`` chunks read from their bytes without the parser (formats/evtx_raw.py, Screen.raw_skip,
EventCollector.raw_chunk) give exactly what the parser path gives: the whole collector state
(findings, timeline, channel spans, computers, time fields, IP index, identities) and the parser's
record/error counts, on the CC0 samples, files of repeated, dense, "benign" (event ids rewritten),
cut and damaged chunks, chunks whose strings hold rule words in every spelling, and fuzzed chunks
(each chunk read from its bytes must give the parser's records exactly, or be left to the parser)."""

from __future__ import annotations

import io
import random
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import evtx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.detections.events.collect import _NOT_REMOTE, IP_FIELDS, EventCollector
from extriage.detections.events.engine import default_rules, parse_condition, raw_word_options
from extriage.detections.events.screen import FOLDS_TO_ASCII, Screen, raw_checkable
from extriage.detections.rulelang import Where
from extriage.formats import evtx_raw
from extriage.formats.evtx_file import (
    CHUNK,
    HEADER,
    EvtxStats,
    _used_part,
    iter_evtx_batches,
    record_from_json,
)
from extriage.formats.evtx_raw import RawChunk, as_datetime, read_chunk

from .test_split_evtx import SAMPLES, _damaged, _state

# -- building chunks ------------------------------------------------------------------------------------


def fix_crcs(chunk: bytearray) -> None:
    """Recompute a chunk's record-data and header CRC32 (libyal's EVTX notes: offsets 52 and 124)."""
    free = struct.unpack_from("<I", chunk, 48)[0]
    struct.pack_into("<I", chunk, 52, zlib.crc32(chunk[512:free]))
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:512])))


def spans(chunk: bytes) -> list[tuple[int, int]]:
    free = struct.unpack_from("<I", chunk, 48)[0]
    out, pos = [], 512
    while pos < free:
        size = struct.unpack_from("<I", chunk, pos + 4)[0]
        out.append((pos, pos + size))
        pos += size
    return out


def _instances(chunk: bytes, a: int, b: int) -> list[tuple[int, int]]:
    """(where the template offset is, the offset) of each template instance in a record."""
    return [(a + m.start() + 10, struct.unpack_from("<I", chunk, a + m.start() + 10)[0])
            for m in re.finditer(rb"\x0f\x01\x01\x00\x0c\x01", chunk[a:b])]


def dense(chunk: bytes) -> bytes:
    """The chunk's records, then copies of those that only refer back to templates defined earlier
    (their offsets stay right anywhere later in the chunk) until the chunk is full: ~100 records."""
    ch = bytearray(chunk)
    sp = spans(ch)
    back = [(a, b) for a, b in sp if all(off < a for _, off in _instances(ch, a, b))]
    if not back:
        return chunk
    pos, last = sp[-1][1], sp[-1][0]
    rid = struct.unpack_from("<Q", ch, 32)[0]
    k = 0
    while True:
        a, b = back[k % len(back)]
        if pos + b - a > CHUNK:
            break
        rid += 1
        rec = bytearray(ch[a:b])
        struct.pack_into("<Q", rec, 8, rid)
        ch[pos : pos + b - a] = rec
        last, pos, k = pos, pos + b - a, k + 1
    struct.pack_into("<Q", ch, 16, struct.unpack_from("<Q", ch, 16)[0] + k)
    struct.pack_into("<Q", ch, 32, rid)
    struct.pack_into("<I", ch, 44, last)
    struct.pack_into("<I", ch, 48, pos)
    fix_crcs(ch)
    return bytes(ch)


def _value_offset(chunk: bytes, a: int, index: int) -> int:
    """Where substitution value ``index`` of a record's outer template instance starts."""
    here = a + 24 + 14
    if struct.unpack_from("<I", chunk, here - 4)[0] == here:
        here += 24 + struct.unpack_from("<I", chunk, here + 20)[0]
    n = struct.unpack_from("<I", chunk, here)[0]
    sizes = [struct.unpack_from("<H", chunk, here + 4 + 4 * i)[0] for i in range(n)]
    return here + 4 + 4 * n + sum(sizes[:index])


#: Event ids rewritten so that no rule fits (as bench/events/evtx_realistic.py does with the parser).
BENIGN = {4104: 4105, 4688: 4689, 4720: 4672, 4728: 4624, 4732: 4634, 4756: 4634, 6: 9}


def benign(chunk: bytes) -> bytes:
    ch = bytearray(chunk)
    for a, _ in spans(ch):
        at = _value_offset(ch, a, 3)  # EventID (the standard System template: index 3)
        eid = struct.unpack_from("<H", ch, at)[0]
        struct.pack_into("<H", ch, at, BENIGN.get(eid, eid))
    fix_crcs(ch)
    return bytes(ch)


def _sample_chunks() -> list[tuple[str, bytes, bytes]]:
    out = []
    for f in sorted(SAMPLES.glob("*.evtx")):
        data = f.read_bytes()
        out.append((f.name, data[:HEADER], data[HEADER : HEADER + CHUNK]))
    return out


def _file(head: bytes, chunks: list[bytes]) -> bytes:
    return head + b"".join(chunks)


# -- the collector with and without raw chunks ------------------------------------------------------------


def _collect(data: bytes, raw: bool, batch: int = 512) -> tuple[Any, Any, int]:
    coll = EventCollector(default_rules(), "x.evtx", "evtx", keep_ids=True)
    stats = EvtxStats()
    used = 0
    for b in iter_evtx_batches(io.BytesIO(data), len(data), "x.evtx", stats, batch=batch,
                               raw=coll.raw_chunk if raw else None):
        used += isinstance(b, RawChunk)
        coll.feed_batch(b)
    return _state(coll), (stats.records, stats.errors, stats.first_error, stats.padded), used


def _files() -> list[tuple[str, bytes, bool]]:
    """(name, file, whether some chunk must be read without the parser)."""
    samples = _sample_chunks()
    head = samples[0][1]
    plain = [c for _, _, c in samples]
    kind = [benign(c) for c in plain]
    thick = [dense(c) for c in kind]
    mixed = [c for i in range(12) for c in (thick if i % 5 else plain)]
    # (ID1, Sysmon 1: read raw since rule words keep their slash, "/add"; issue 18, E7)
    out = [(name, head + c, "ID11" in name or "ID1-" in name) for name, head, c in samples]
    big = _file(head, mixed)
    out += [
        ("benign", _file(head, kind * 3), True),
        ("dense", _file(head, thick * 2), True),
        ("mixed", big, True),
        ("cut", big[: len(big) - CHUNK - 20_000], True),
        ("cut-in-header", big[: HEADER + 3 * CHUNK + 300], True),
        ("damaged", _damaged(big), True),
        ("bad-crc", _bad_crc(big), True),
    ]
    return out


def _bad_crc(data: bytes) -> bytes:
    """A byte changed inside a record's strings of one chunk, its CRC left as it was (the parser
    reads the changed record; the raw reader must leave the chunk to it)."""
    out = bytearray(data)
    at = out.find("Security".encode("utf-16-le"), HEADER + 2 * CHUNK)
    out[at] = ord("X")
    return bytes(out)


@pytest.mark.parametrize("batch", [512, 7])
def test_raw_chunks_give_the_parser_paths_results(batch: int) -> None:
    for name, data, expect_raw in _files():
        parsed, parsed_stats, _ = _collect(data, raw=False, batch=batch)
        read, read_stats, used = _collect(data, raw=True, batch=batch)
        assert read_stats == parsed_stats, name
        assert read == parsed, name
        assert (used > 0) == expect_raw, name


def test_bad_crc_chunk_goes_to_the_parser() -> None:
    _head, chunk = _sample_chunks()[1][1:]
    assert read_chunk(chunk) is not None
    changed = bytearray(chunk)
    at = changed.find("Microsoft".encode("utf-16-le"), 600)
    changed[at] ^= 0x20
    assert read_chunk(bytes(changed)) is None  # CRC no longer right
    fix_crcs(changed)
    assert read_chunk(bytes(changed)) is not None
    header = bytearray(chunk)
    header[100] ^= 1  # a reserved header byte: the header CRC no longer right
    assert read_chunk(bytes(header)) is None


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=70_000), start=st.integers(0, 2**32 - 1))
def test_the_chunk_crc_is_zlibs(data: bytes, start: int) -> None:
    """The CRC32 the reader checks chunks with (ISA-L's, issue 18 E8) is zlib's, from any start value."""
    assert evtx_raw.crc32(data, start) == zlib.crc32(data, start)
    assert evtx_raw.crc32(data) == zlib.crc32(data)


def test_a_chunk_is_read_up_to_its_used_size_in_one_read(tmp_path: Any) -> None:
    """The raw reader is handed a chunk's header and used part, exactly the file's bytes (read at once,
    not joined), b"" for a chunk whose header gives no used size, and the same through a non-file
    stream."""
    chunks = [chunk for _name, _head, chunk in _sample_chunks()[:2]]
    empty = bytearray(chunks[0])
    struct.pack_into("<I", empty, 48, 0)  # no used size: not read raw
    data = b"\0" * HEADER + chunks[0] + chunks[1] + bytes(empty)
    path = tmp_path / "x.evtx"
    path.write_bytes(data)
    for fh in (open(path, "rb"), io.BufferedReader(io.BytesIO(data))):  # type: ignore[arg-type]
        with fh:
            fd = fh.fileno() if isinstance(fh.raw, io.FileIO) else None
            for k, chunk in enumerate(chunks):
                used = struct.unpack_from("<I", chunk, 48)[0]
                got = _used_part(fh, fd, HEADER + k * CHUNK)
                assert got == chunk[:used] and len(got) == used
            assert _used_part(fh, fd, HEADER + 2 * CHUNK) == b""


def _variants() -> list[tuple[str, bytes, bytes, bytes]]:
    """(what, file header, original chunk, chunk changed where the parser reads it otherwise), CRCs right."""
    out = []
    samples = {name[:6]: (head, chunk) for name, head, chunk in _sample_chunks()}
    head, chunk = samples["ID4756"]
    sp = spans(chunk)
    c = bytearray(chunk)
    struct.pack_into("<Q", c, sp[3][0] + 8, struct.unpack_from("<Q", chunk, 32)[0])
    out.append(("a record before the last has the last record id (the parser stops)", head, chunk, c))
    c = bytearray(chunk)
    struct.pack_into("<I", c, 128, 5000)
    out.append(("the header's string table points at no name", head, chunk, c))
    c = bytearray(chunk)
    struct.pack_into("<I", c, next(o for o in struct.unpack_from("<64I", chunk, 128) if o), 5000)
    out.append(("a name's next offset points at no name", head, chunk, c))
    c = bytearray(chunk)
    struct.pack_into("<Q", c, sp[2][0] + 16, 0xFFFF_0000_0000_0000)
    out.append(("a written time far out of range", head, chunk, c))
    head, chunk = samples["ID4688"]
    c = bytearray(chunk)
    for a, b in spans(chunk):  # SubjectLogonId (HexInt64, 8 bytes) made a FILETIME far out of range
        pos = c.find(b"\x08\x00\x15\x00", a, b)
        if pos != -1:
            c[pos + 2] = 0x11
            break
    out.append(("an event data FILETIME far out of range", head, chunk, c))
    head, chunk = samples["ID11-E"]
    c = bytearray(chunk)
    text = "exchange01.offsec.lan".encode("utf-16-le")
    at = c.find(b"\x05\x01\x15\x00" + text)  # the template's Computer text, as two text nodes
    c[at : at + 4 + len(text)] = b"\x05\x01\x08\x00" + text[:16] + b"\x05\x01\x0b\x00" + "01.corp.lan".encode("utf-16-le")
    out.append(("an element with two text nodes (the parser joins them)", head, chunk, c))
    c = bytearray(chunk)
    c[_value_offset(chunk, 512, 18)] = 0x04  # after the values, an end of element instead of the end of stream
    out.append(("no end of stream after the values", head, chunk, c))
    c = bytearray(chunk)
    at = c.find(text)
    c[at : at + len(text)] = text[:-2] + b"\x00\x00"  # the parser drops a NUL from the computer name
    out.append(("a NUL in the computer name", head, chunk, c))
    head, chunk = samples["ID4756"]
    for bad in ("\\", '"'):  # the parser writes names as they are: its JSON breaks
        c = bytearray(chunk)
        at = c.find("Security".encode("utf-16-le") + b"\x00\x00")  # the element name (not the channel value)
        c[at + 12 : at + 14] = bad.encode("utf-16-le")
        out.append((f"a {bad} in an element name", head, chunk, c))
    for _, _, _, made in out:
        fix_crcs(made)
    return [(what, h, original, bytes(made)) for what, h, original, made in out]


@pytest.mark.parametrize("case", range(10))
def test_chunks_the_parser_reads_otherwise_go_to_it(case: int) -> None:
    what, head, original, made = _variants()[case]
    assert _parser_rows(head, made) != _parser_rows(head, original), what  # the change matters to the parser
    assert _same_as_parser(head, made) is None, what


def _outer_table(chunk: bytes, a: int) -> list[tuple[int, int]]:
    """(size, type) of each substitution value of a record's outer template instance."""
    here = a + 24 + 14
    if struct.unpack_from("<I", chunk, here - 4)[0] == here:
        here += 24 + struct.unpack_from("<I", chunk, here + 20)[0]
    n = struct.unpack_from("<I", chunk, here)[0]
    return [struct.unpack_from("<HB", chunk, here + 4 + 4 * i) for i in range(n)]


@pytest.mark.parametrize("where", ["outer", "nested"])
def test_a_repeated_instance_is_still_checked_record_by_record(where: str) -> None:
    """The raw reader reads a template instance whose bytes up to its values repeat an earlier
    one's in the chunk only once (evtx_raw._read, ``seen``); the values after them are still checked
    in every record: the last copy of a dense chunk, its end of stream after the values (outer) or
    after the event data's values (nested) made an end of element, goes to the parser."""
    made_any = False
    for name, head, chunk in _sample_chunks():
        original = dense(benign(chunk))
        sp = spans(original)
        a, _ = sp[-1]
        if len(sp) < 3 or any(off > a for _, off in _instances(original, a, sp[-1][1])):
            continue  # (not a chunk of copies referring back)
        table = _outer_table(original, a)
        if where == "outer":
            at = _value_offset(original, a, len(table))
        else:
            k = next((i for i, (_, kind) in enumerate(table) if kind == 0x21), None)
            if k is None:
                continue
            at = _value_offset(original, a, k + 1) - 1
        assert original[at] == 0, name  # the end of stream
        c = bytearray(original)
        c[at] = 0x04
        fix_crcs(c)
        made = bytes(c)
        assert _same_as_parser(head, original) is True, name
        assert _parser_rows(head, made) != _parser_rows(head, original), name  # the change matters to the parser
        assert _same_as_parser(head, made) is None, name
        made_any = True
    assert made_any


# -- every chunk read from its bytes is the parser's ----------------------------------------------------


def _parser_rows(head: bytes, chunk: bytes) -> tuple[list[tuple[Any, ...]], int]:
    rows, errors = [], 0
    it = evtx.PyEvtxParser(io.BytesIO(head + chunk), number_of_threads=1).records_json()
    while True:
        try:
            r = next(it)
        except StopIteration:
            break
        except Exception:
            errors += 1
            continue
        try:
            rec = record_from_json(r["data"], r["event_record_id"])
        except ValueError:  # JSON the decoder refuses: the reader counts it as an error
            errors += 1
            continue
        rows.append(None if rec is None else (rec.provider, rec.event_id, rec.time, rec.record_id, rec.channel, rec.computer))
    return rows, errors


def _same_as_parser(head: bytes, chunk: bytes) -> bool | None:
    raw = read_chunk(chunk)
    if raw is None:
        return None
    rows, errors = _parser_rows(head, chunk)
    mine = [(p, int(e), as_datetime(t), r, ch, co) for p, e, t, r, ch, co in raw.rows]
    return errors == 0 and raw.records == len(rows) == len(mine) and mine == rows


def test_chunks_read_as_the_parser_reads_them() -> None:
    for name, head, chunk in _sample_chunks():
        for made in (chunk, benign(chunk), dense(chunk), dense(benign(chunk))):
            assert _same_as_parser(head, made) is True, name


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_chunks_are_read_as_the_parser_reads_them_or_left_to_it(seed: int) -> None:
    """Bytes changed anywhere in the records (CRCs made right again): every chunk the raw reader
    accepts gives the parser's records, with no parser error; the others go to the parser."""
    rng = random.Random(seed)
    samples = _sample_chunks()
    accepted = refused = 0
    for _ in range(250):
        _, head, chunk = rng.choice(samples)
        base = bytearray(dense(benign(chunk)) if rng.random() < 0.5 else chunk)
        free = struct.unpack_from("<I", base, 48)[0]
        for _ in range(rng.choice([1, 1, 2, 3])):
            at = rng.randrange(512, free)
            base[at] = rng.randrange(256) if rng.random() < 0.7 else base[at] ^ (1 << rng.randrange(8))
        fix_crcs(base)
        same = _same_as_parser(head, bytes(base))
        if same is None:
            refused += 1
        else:
            assert same, (seed, bytes(base)[:0])
            accepted += 1
    assert accepted and refused


# -- rule words in a chunk's bytes --------------------------------------------------------------------------


def _with_text(chunk: bytes, old: str, new: str) -> bytes:
    """``old`` (UTF-16) replaced by ``new`` of the same length in the chunk's strings, CRCs made right."""
    new = new.ljust(len(old), "x")
    assert len(old) == len(new)
    ch = bytes(chunk).replace(old.encode("utf-16-le"), new.encode("utf-16-le"))
    assert ch != chunk
    out = bytearray(ch)
    fix_crcs(out)
    return bytes(out)


def _sysmon11() -> tuple[bytes, bytes]:
    for name, head, chunk in _sample_chunks():
        if name.startswith("ID11"):
            return head, chunk
    raise AssertionError


@pytest.mark.parametrize(
    "old,new,word,found",
    [
        ("Exchange2016", "xx\\inetpub\\x", "inetpub", True),  # a rule word in a substitution string
        ("Exchange2016", "xx\\INETPUB\\x", "inetpub", True),  # in another case
        ("Exchange2016", "xx\\ineTpub\\x", "inetpub", True),
        ("Exchange2016", "xx\\ine\ufb05pub", "inetpub", True),  # a character folding to ASCII: every word counts
        ("Exchange2016", "xxxxxxx.a\u017fmx", ".asmx", True),  # .asmx with a long s (folds to s)
        ("Exchange2016", "xxxxxxx.A\u017fMX", ".asmx", True),
        ("Exchange2016", "xxxxxxx.\u00e1smx", ".asmx", False),  # not the word
        ("Exchange2016", "xxxx.a\u00dfhx", ".ashx", True),  # (sharp s folds to "ss": counted all the same)
        ("Exchange2016", "xxxxx\u00dfhx", ".ashx", True),
        ("Exchange2016", "xx\\ineTpub\\x", ".asmx", False),
        ("TargetFilename", "TargetInetpubX", "inetpub", True),  # a word in a name (the template)
        ("Exchange2016", "xxx.ashx\u212axx", ".ashx", True),
        ("Exchange2016", "xxx.as\u1e96xxx", ".ashx", True),  # U+1E96 folds to h + a combining mark
    ],
)
def test_rule_words_in_any_spelling_are_found(old: str, new: str, word: str, found: bool) -> None:
    head, chunk = _sysmon11()
    made = _with_text(chunk, old, new)
    raw = read_chunk(made)
    assert raw is not None
    screen = Screen(default_rules(), IP_FIELDS, _NOT_REMOTE)
    words = screen._raw_scan(raw.data, frozenset({word}))
    assert words is not None
    assert (word in words) is found
    if word == "inetpub" and found:
        assert not screen.raw_skip(raw)  # a Sysmon 11 rule holds for it
    parsed, parsed_stats, _ = _collect(head + made, raw=False)
    read, read_stats, _ = _collect(head + made, raw=True)
    assert (read, read_stats) == (parsed, parsed_stats)


def test_the_sample_chunk_is_read_without_the_parser() -> None:
    _head, chunk = _sysmon11()
    raw = read_chunk(chunk)
    assert raw is not None and Screen(default_rules(), IP_FIELDS, _NOT_REMOTE).raw_skip(raw)


@pytest.mark.parametrize("new_tables", [False, True])
def test_chunks_read_dearly_pause_raw_reading(new_tables: bool) -> None:
    """A chunk whose descriptor tables were mostly not seen before is used, but counts as a miss:
    after a few, chunks go to the parser without the attempt (results are the same either way);
    chunks whose tables repeat keep being read from their bytes."""
    _head, chunk = _sysmon11()
    coll = EventCollector(default_rules(), "x.evtx", "evtx", keep_ids=True)
    reads = []

    def read() -> bytes:
        reads.append(1)
        return chunk

    read_chunk(chunk)  # (its tables seen once)
    for _ in range(12):
        if new_tables:  # (tables and their types not seen: read the whole way)
            for shapes in evtx_raw._SHAPES.values():
                shapes.clear()
            for typed in evtx_raw._TYPED.values():
                typed.clear()
        raw = coll.raw_chunk(read)
        assert raw is None or raw.new_tables == (2 if new_tables else 0)
    assert len(reads) == (5 if new_tables else 12)  # 4 misses, a pause of 4, 1 more, a pause of 8


def test_remote_address_field_names_send_the_chunk_to_the_parser() -> None:
    _head, chunk = _sysmon11()
    made = _with_text(chunk, "RuleName", "IpAddres")  # not the name itself: still skipped
    raw = read_chunk(made)
    assert raw is not None and Screen(default_rules(), IP_FIELDS, _NOT_REMOTE).raw_skip(raw)
    made = _with_text(chunk, "TargetFilename", "IpAddress\x00\x00\x00\x00\x00")  # a value holding the name
    raw = read_chunk(made)
    assert raw is None or not Screen(default_rules(), IP_FIELDS, _NOT_REMOTE).raw_skip(raw)


def test_folds_to_ascii_is_complete() -> None:
    found = [chr(cp) for cp in range(0x80, 0x110000) if not 0xD800 <= cp < 0xE000
             and any(ch.isascii() for ch in chr(cp).casefold())]
    assert "".join(found) == FOLDS_TO_ASCII


@pytest.mark.parametrize("what,index,value", [
    ("a time before 1971", 6, 0),
    ("a time from 2100", 6, (datetime(2150, 1, 1, tzinfo=UTC) - datetime(1601, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 10),
    ("record id 0 (the parser's record number stands in)", 10, 0),
    ("a time from 2200 (a FILETIME the raw reader leaves to the parser: its time range covers it)", 6,
     (datetime(2300, 1, 1, tzinfo=UTC) - datetime(1601, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 10),
])
def test_system_values_the_json_path_takes_otherwise_give_the_same_results(what: str, index: int, value: int) -> None:
    head, chunk = _sysmon11()
    c = bytearray(chunk)
    struct.pack_into("<Q", c, _value_offset(chunk, 512, index), value)
    fix_crcs(c)
    assert read_chunk(bytes(c)) is None, what
    parsed, parsed_stats, _ = _collect(head + bytes(c), raw=False)
    read, read_stats, _ = _collect(head + bytes(c), raw=True)
    assert (read, read_stats) == (parsed, parsed_stats), what


def test_positional_data_under_a_layout_naming_an_address_goes_to_the_parser() -> None:
    screen = Screen(default_rules(), IP_FIELDS, _NOT_REMOTE)
    key = ("Microsoft-Windows-Security-Auditing", b"4624", "Security")
    assert screen._plan(key).ip_layout  # the layout of 4624 names IpAddress
    rows = [(key[0], key[1], 13_257_000_000_000_000, 7, key[2], "host")]
    assert screen.raw_skip(RawChunk(1, b"", rows))
    assert not screen.raw_skip(RawChunk(1, b"", rows, {key}))


def test_words_values_or_keys_can_hold_are_not_looked_for() -> None:
    for word in ("lsass", "powershell", "mailbox", "install-transportagent", "system32", ".aspx"):
        assert raw_checkable(word)
    # words that rendered values, generated text or a key suffix can hold; not lower-case ASCII
    for other in ("add", "4624", "0x8000", "true", "tributes", "data_1", "deeply", "Upper", "caf\u00e9"):
        assert not raw_checkable(other)


def test_files_read_from_their_path_give_the_same_results(tmp_path: Any) -> None:
    """With ``path`` (the scan's native read): a file whose chunks all go to the parser is read by
    it from the path, one with raw chunks in runs; both as without raw chunks."""
    for name, data, _ in [*_files()[:2], *_files()[6:9]]:  # ID1 and ID11: their chunk read raw
        f = tmp_path / "x.evtx"
        f.write_bytes(data)
        out = []
        for raw in (False, True):
            coll = EventCollector(default_rules(), "x.evtx", "evtx", keep_ids=True)
            stats = EvtxStats()
            with f.open("rb") as fh:
                for b in iter_evtx_batches(fh, len(data), "x.evtx", stats, path=str(f), raw=coll.raw_chunk if raw else None):
                    coll.feed_batch(b)
            out.append((_state(coll), stats.records, stats.errors, stats.first_error))
        assert out[0] == out[1], name


def _sysmon1() -> tuple[bytes, bytes]:
    for name, head, chunk in _sample_chunks():
        if name.startswith("ID1-"):
            return head, chunk
    raise AssertionError


_CMD = "/Q /c C:\\Windows\\TEMP\\execute.bat"  # (in the sample's CommandLine, and its parent's)


@pytest.mark.parametrize(
    "new,skips",
    [
        (None, True),  # the sample: "add" could come from a GUID or hex number, "/add" cannot
        ("net user eve pw /add", False),  # the rule's words, written: the parser reads it
        ("net user eve pw /ADD", False),  # in another case
        ("net user eve pw add", True),  # no slash: the rule cannot hold
        ("net user eve pw /ad", True),
    ],
)
def test_words_with_a_slash_are_looked_for_in_the_bytes(new: str | None, skips: bool) -> None:
    """Sysmon 1 chunks could never skip the parser: EVT-PROC-NET-USER-ADD needs ``user`` (a name in
    every Sysmon 1 template) and ``add``, a word a rendered hex value can hold; its needle is ``/add``,
    and no value the parser renders holds a slash (issue 18, helper E7)."""
    head, chunk = _sysmon1()
    made = chunk if new is None else _with_text(chunk, _CMD, new.ljust(len(_CMD)))
    raw = read_chunk(made)
    assert raw is not None
    assert Screen(default_rules(), IP_FIELDS, _NOT_REMOTE).raw_skip(raw) is skips
    parsed, parsed_stats, _ = _collect(head + made, raw=False)
    read, read_stats, used = _collect(head + made, raw=True)
    assert (read, read_stats) == (parsed, parsed_stats)
    assert used == skips
    found = {f["rule_id"] for f in parsed[0]}
    assert ("EVT-PROC-NET-USER-ADD" in found) is (new is not None and not skips)


def test_raw_rule_words_keep_slashes_json_words_do_not() -> None:
    rule = next(r for r in default_rules().by_event_id[1] if r.id == "EVT-PROC-NET-USER-ADD")
    assert set(rule.word_options) == {frozenset({"user"}), frozenset({"add"})}  # (JSON may write "\\/")
    assert set(rule.raw_options) == {frozenset({"user"}), frozenset({"/add"})}
    assert raw_checkable("/add") and not raw_checkable("add")
    node = parse_condition({"Image|contains": "\\windows\\x.exe", "CommandLine|contains": "-enc /c"}, {}, Where("t"))
    assert sorted(map(sorted, raw_word_options(node))) == [["-enc"], ["windows"]]  # no backslash, no space
    assert not raw_checkable("c:\\temp")


def _security4756() -> tuple[bytes, bytes]:
    for name, head, chunk in _sample_chunks():
        if name.startswith("ID4756"):
            return head, benign(chunk)  # (4634: no rule fits, no word to look for)
    raise AssertionError


@pytest.mark.parametrize(
    "old,new,skips",
    [
        (None, None, True),
        ("TargetSid", "IpAddress", False),  # a Data element's Name (literal text): a key of the JSON
        ("TargetSid", "ipaddress", True),  # (another case: looked through, and no key the collector reads)
        ("MemberName", "ClientIP", False),  # (as part of a name: counted all the same)
        ("Compliance Management", "IpAddress", True),  # in a value only: no key (results equal)
        ("TargetSid", "Ip-Addres", True),
    ],
)
def test_chunks_without_words_to_look_for_find_remote_address_keys(old: str | None, new: str | None, skips: bool) -> None:
    """A chunk whose records no rule fits needs no word looked for, only whether a record's JSON can
    have a remote-address key: the parser's keys are element and attribute names and a Data
    element's Name, all in the chunk's templates when no Name is a substitution (issue 18, E7)."""
    head, chunk = _security4756()
    made = chunk if old is None or new is None else _with_text(chunk, old, new)
    raw = read_chunk(made)
    assert raw is not None and not raw.keyed
    screen = Screen(default_rules(), IP_FIELDS, _NOT_REMOTE)
    assert screen.raw_skip(raw) is skips
    assert all(not p.options for p in screen._raw_plans.values())  # (no word to look for)
    assert screen._raw_db is None  # (the database of words, names and folding characters: not made)
    parsed, parsed_stats, _ = _collect(head + made, raw=False)
    read, read_stats, used = _collect(head + made, raw=True)
    assert (read, read_stats) == (parsed, parsed_stats)
    assert used == skips
    if new == "IpAddress":
        assert bool(parsed[4]) is not skips  # (the IP index: a key, or only a value)


def test_a_name_from_a_substitution_makes_the_chunk_looked_through() -> None:
    """When a Data element's Name is a substitution (its value becomes a key), the chunk's bytes are
    looked through for the names, as for any chunk before (issue 18, E7)."""
    key = ("Microsoft-Windows-Security-Auditing", b"4634", "Security")
    rows = [(key[0], key[1], 13_257_000_000_000_000, 7, key[2], "host")]
    data = "x IpAddress y".encode("utf-16-le")
    screen = Screen(default_rules(), IP_FIELDS, _NOT_REMOTE)
    names = [frozenset({"Event", "Data", "Name"})]
    assert screen.raw_skip(RawChunk(1, data, rows, texts=names))  # (the name in a value only: no key)
    assert not screen.raw_skip(RawChunk(1, data, rows, texts=names, keyed=True))
    named = [frozenset({"Event"}), frozenset({"Data", "Name", "xIpAddressx"})]
    assert not screen.raw_skip(RawChunk(1, data, rows, texts=named))


def _definition_bytes(name_value: str | None) -> tuple[bytes, int]:
    """A template definition ``<EventData><Data Name=...>%1</Data></EventData>`` at offset 16 of a
    buffer, its Name literal text (``name_value``) or substitution 0 (None), names defined inline."""
    out = bytearray(16)
    body = bytearray(b"\x0f\x01\x01\x00")
    start = 16 + 24  # where the body begins in the buffer

    def name(text: str) -> bytes:
        return struct.pack("<IHH", 0, 0, len(text)) + text.encode("utf-16-le") + b"\x00\x00"

    def element(token: int, text: str) -> None:
        at = start + len(body) + 11
        body.extend(struct.pack("<BHII", token, 0, 0, at) + name(text))
        if token == 0x41:
            body.extend(b"\x00\x00\x00\x00")

    element(0x01, "EventData")
    body.append(0x02)
    element(0x41, "Data")
    body.extend(struct.pack("<BI", 0x06, start + len(body) + 5) + name("Name"))
    if name_value is None:
        body.extend(b"\x0e\x00\x00\x01")
    else:
        body.extend(struct.pack("<BBH", 0x05, 0x01, len(name_value)) + name_value.encode("utf-16-le"))
    body.append(0x02)
    body.extend(b"\x0e\x01\x00\x01")
    body.extend(b"\x04\x04\x00")
    out.extend(struct.pack("<I16sI", 0, b"\x00" * 16, len(body)) + body)
    return bytes(out), 16


@pytest.mark.parametrize("name_value,keyed", [("TargetSid", False), (None, True)])
def test_templates_note_their_names_and_whether_a_data_name_is_a_value(name_value: str | None, keyed: bool) -> None:
    c, at = _definition_bytes(name_value)
    tmpl = evtx_raw._template(c, at, len(c), {}, {})
    assert tmpl.keyed is keyed and tmpl.positional is keyed
    assert tmpl.texts == {"EventData", "Data", "Name", *([name_value] if name_value else [])}


def test_event_id_strings_are_made_as_met_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """The event-id strings are no cost of importing the reader (every scan's main process imports it
    in ``plan()``) nor of its first read (65,536 of them took 7 ms): each is made when first met, a
    chunk read with none made gives the same rows, and the table stays bounded (issue 18, E10)."""
    import subprocess
    import sys

    fresh = subprocess.run(
        [sys.executable, "-c", "import extriage.formats.evtx_raw as r; print(len(r._DIGITS))"],
        capture_output=True, text=True, timeout=60,
    )
    assert fresh.stdout.strip() == "0", fresh.stderr
    _head, chunk = _sample_chunks()[1][1:]
    before = read_chunk(chunk)
    monkeypatch.setattr(evtx_raw, "_DIGITS", evtx_raw._Digits())
    after = read_chunk(chunk)
    assert before is not None and after is not None and after.rows == before.rows and after.rows
    assert all(eid == str(int(eid)).encode() for _, eid, *_ in after.rows)
    assert set(evtx_raw._DIGITS) == {int(eid) for _, eid, *_ in after.rows}
    digits = evtx_raw._Digits()
    assert [digits[i] for i in (0, 4624, 65535, 65536, 2**32 - 1)] == [b"0", b"4624", b"65535", b"65536", b"4294967295"]
    for i in range(70_000):
        assert digits[i] == str(i).encode()
    assert len(digits) == 65536


def test_a_chunk_is_handed_over_as_a_view_not_a_copy() -> None:
    """:attr:`RawChunk.data` is a view of the chunk read (no 64 KB copy a chunk), holding its bytes
    512..free-space offset, and the screen finds the same words in it (issue 18, E9)."""
    _head, chunk = _sysmon1()
    raw = read_chunk(chunk)
    assert raw is not None
    assert isinstance(raw.data, memoryview) and raw.data.obj is chunk
    free = struct.unpack_from("<I", chunk, 48)[0]
    assert bytes(raw.data) == chunk[512:free]
    screen = Screen(default_rules(), IP_FIELDS, _NOT_REMOTE)
    assert screen._raw_scan(raw.data, frozenset({"user", "/add"})) == screen._raw_scan(chunk[512:free], frozenset({"user", "/add"}))


def _forget_tables() -> None:
    """The reader's memory of descriptor tables emptied (their value types kept: ``_TYPED``)."""
    evtx_raw._ONCE.clear()
    for shapes in evtx_raw._SHAPES.values():
        shapes.clear()


@pytest.mark.parametrize("change", ["end", "grammar", None])
def test_event_data_of_a_table_met_once_is_checked_as_the_parser_reads_it(change: str | None) -> None:
    """Event data whose descriptor table the reader has not met (as a rule in a real log: its string
    sizes differ) but whose value types it knows is checked in place (``_ONCE``, E8's plain tables,
    inlined in the record walk by E9): its end of stream changed, or a descriptor breaking the
    grammar, the chunk is the parser's; unchanged, it is read as the parser reads it."""
    head, chunk = _sysmon1()
    assert _same_as_parser(head, chunk) is True  # (its value types now known)
    a, _ = spans(chunk)[0]
    table = _outer_table(chunk, a)
    k = max(i for i, (_, kind) in enumerate(table) if kind == 0x21)
    start, end = _value_offset(chunk, a, k), _value_offset(chunk, a, k + 1)
    c = bytearray(chunk)
    if change == "end":
        assert c[end - 1] == 0
        c[end - 1] = 0x04
    elif change == "grammar":
        here = start + 14
        if struct.unpack_from("<I", chunk, start + 10)[0] == here:  # (its template defined inline)
            here += 24 + struct.unpack_from("<I", chunk, here + 20)[0]
        assert struct.unpack_from("<I", chunk, here)[0] > 1 and c[here + 4 + 3] == 0
        c[here + 4 + 3] = 0x01  # (a descriptor's last byte is 0)
    fix_crcs(c)
    _forget_tables()
    assert _same_as_parser(head, bytes(c)) is (None if change else True)


@pytest.mark.parametrize("stale", ["fewer", "sid"])
def test_a_templates_last_value_types_are_used_only_for_a_table_they_fit(stale: str) -> None:
    """The reader tries the value types of a template's last event data table first (E10): types of
    one value fewer (whose grammar the table's first descriptors fit) or of another type in one value
    (a SID for a string) are not used; the table is read by its own types, as the parser reads it."""
    head, chunk = _sysmon1()
    assert _same_as_parser(head, chunk) is True  # (its value types now known)
    _forget_tables()
    for t in evtx_raw._DEFINITIONS.values():
        t.last = None
    assert _same_as_parser(head, chunk) is True  # (and tried first)
    used = [t for t in evtx_raw._DEFINITIONS.values() if t.last is not None and t.last.plain is not None]
    assert used
    for tmpl in used:
        last = tmpl.last
        assert last is not None
        kinds = next(k for k, v in tmpl.typed.items() if v is last)
        if stale == "fewer":
            kinds = kinds[:-1]
        else:
            i = kinds.index(0x01)
            kinds = kinds[:i] + bytes([0x13]) + kinds[i + 1 :]
        made = evtx_raw._typed(tmpl, kinds)
        assert made is not None and made.system is None and not made.nested
        tmpl.last = made
    _forget_tables()
    assert _same_as_parser(head, chunk) is True
    assert all(t.last is not None and t.last.count == len(next(k for k, v in t.typed.items() if v is t.last)) for t in used)


def test_a_templates_names_are_checked_as_dicts_unless_one_offset_is_named_twice() -> None:
    """A template met again in another chunk applies its inline names and checks the names it refers
    to with dict operations (E10); refs naming one offset with two names keep the one-by-one check."""
    def made(refs: tuple[tuple[int, str], ...]) -> evtx_raw._Template:
        return evtx_raw._Template(0, 0, 0, False, None, ((16, 40, "Data"),), refs)

    one = made(((16, "Data"), (40, "Name"), (40, "Name")))
    assert one.ref_map == {16: "Data", 40: "Name"} and one.inline_next == {16: 40} and one.inline_text == {16: "Data"}
    assert made(((40, "Name"), (40, "Other"))).ref_map is None


def test_records_are_read_the_same_whichever_lookup_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole instance bytes first (after a chunk of repeated records) or the bytes but the last
    descriptor first (E10, ``_exact``): the same rows, as the parser's; a chunk of copies sets it."""
    checked = 0
    for _name, head, chunk in _sample_chunks():
        for made in (chunk, dense(benign(chunk))):
            got = []
            for exact in (True, False):
                monkeypatch.setattr(evtx_raw, "_exact", exact)
                got.append(_same_as_parser(head, made))
            assert got[0] is got[1] and got[0] is not False
            checked += got[0] is True
    assert checked >= 8
    copies = next(dense(benign(c)) for _, _, c in _sample_chunks() if len(spans(dense(benign(c)))) > 10)
    monkeypatch.setattr(evtx_raw, "_exact", False)
    monkeypatch.setattr(evtx_raw, "_wait", 0)
    assert read_chunk(copies) is not None and evtx_raw._exact is True
    assert read_chunk(copies) is not None and evtx_raw._exact is True  # (its records found whole)


def test_whole_bytes_first_is_tried_again_later_each_time_it_was_of_no_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a chunk whose records were seldom found by their whole bytes, the reader waits 1, 2, 4 ...
    (at most 64) chunks whose event data tables repeat before it tries that again (E10)."""
    monkeypatch.setattr(evtx_raw, "_exact", True)
    monkeypatch.setattr(evtx_raw, "_wait", 0)
    monkeypatch.setattr(evtx_raw, "_backoff", 1)
    waits = []
    for _ in range(9):
        evtx_raw._next_mode(True, 10, 90, 100)  # (found whole: 10 of 100 records)
        assert evtx_raw._exact is False
        waits.append(evtx_raw._wait)
        for _ in range(evtx_raw._wait):
            evtx_raw._next_mode(False, 0, 20, 100)  # (tables not repeating: no count)
            evtx_raw._next_mode(False, 0, 90, 100)
            assert evtx_raw._exact is False
        evtx_raw._next_mode(False, 0, 90, 100)
        assert evtx_raw._exact is True
    assert waits == [1, 2, 4, 8, 16, 32, 64, 64, 64]
    evtx_raw._next_mode(True, 90, 90, 100)
    assert evtx_raw._exact is True and evtx_raw._backoff == 1
