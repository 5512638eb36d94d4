"""The System fields of an ``.evtx`` chunk's records read from its bytes, without the ``evtx`` parser.

Why: rendering every record to JSON is most of the parser's cost, yet on a server's log almost every
chunk holds nothing a rule, the IP index or the cleared-log notes can use: its records only add to
the coverage (channel, time, computer, record id). :func:`read_chunk` reads those fields straight
from the binary XML for a chunk in exactly the shape Windows writes, so such a chunk need not be
parsed at all (the consumer decides whether the chunk can skip the parser: ``screen.Screen.raw_skip``).

A chunk is read only when all of this holds, otherwise :func:`read_chunk` returns None and the chunk
goes to the parser as before, so damaged, cut or odd chunks are counted exactly as the parser counts
them (issue 18, area E4, BENCHMARKS.md):

* the header's and the records' CRC32 are right (libyal's EVTX format notes: header bytes 0..120 and
  128..512 at offset 124, bytes 512..free-space offset at offset 52) — the parser does not check them,
  so a chunk changed after it was written is left to the parser;
* records follow each other from byte 512 to the free-space offset, each with its magic and a
  written time the parser can turn into a date, and only the last one has the header's last record
  id (the parser stops after it);
* every record is one template instance (``0f 01 01 00 0c``), every template and name it uses is
  defined inline earlier in the chunk (the header's string table and each name's next offset point
  only at those: the parser follows them before reading any record),
  every template is well formed with known tokens only and at most one text or substitution per
  element, and every substitution value has a type the parser renders without fail (null, UTF-16
  string or string array, integers, hex integers, GUID, FILETIME, SID, binary, nested binary XML
  read the same way)
  and the size that type takes;
* the root element is ``Event`` with one ``System`` child holding one each of ``Provider`` (its
  ``Name``), ``EventID``, ``TimeCreated`` (``SystemTime``), ``EventRecordID``, ``Channel`` and
  ``Computer``, whose values are literal text or UTF-16 strings without NUL (the parser drops it),
  an unsigned integer (a record id not 0) and a FILETIME from 1971 to 2099, as the JSON path takes
  them (:func:`evtx_file.record_from_json`).

The values returned are those :func:`evtx_file.record_from_json` would give for the parser's JSON of
each record (tested against the parser, also on fuzzed chunks). Format facts (record header, template
instance and definition layout, token numbers, value types) are from libyal's EVTX documentation and
checked against the parser's output; no code is taken from either.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from extriage.formats.event_record import EPOCH_FLOOR, TIME_CEILING

try:  # ISA-L's CRC32 (the same checksum, ~12x zlib's speed on a 64 KB chunk: issue 18, E8)
    from isal.isal_zlib import crc32
except ImportError:  # pragma: no cover - isal is a dependency; zlib gives the same values
    from zlib import crc32

CHUNK = 65536
_MAGIC = b"ElfChnk\x00"
_RECORD_MAGIC = b"**\x00\x00"
_FRAGMENT = b"\x0f\x01\x01\x00"
_CHUNK_HEAD = struct.Struct("<QQQQIIII")  # first/last record number, first/last record id, header size, last record offset, free space, data CRC
#: A record header (magic as a number, size, record id, written time), then its template instance's
#: value count (after its first 14 bytes).
_RECORD_HEAD = struct.Struct("<IIQQ14xI")
_RECORD_MAGIC_U32 = int.from_bytes(_RECORD_MAGIC, "little")
_INSTANCE = struct.Struct("<4sBBII")  # fragment header, template-instance token, unknown, template id, definition offset
#: The same (fragment header as a number, the token, the definition offset), then the value count
#: (when the definition is elsewhere).
_NESTED_HEAD = struct.Struct("<IB5xII")
_FRAGMENT_U32 = int.from_bytes(_FRAGMENT, "little")
_DEFINITION = struct.Struct("<I16sI")  # next definition offset, GUID, data size
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_OPEN = struct.Struct("<HII")  # dependency id, data size, name offset
_NAME = struct.Struct("<IHH")  # next name offset, hash, characters
_SUB = struct.Struct("<HB")  # substitution index, value type
_STRING_TABLE = struct.Struct("<64I")  # the header's string offset table (at 128)
_ZERO = frozenset({0})
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
#: The times the JSON path takes as they are (1971 to 2099, :func:`evtx_file._utc_system_time`), in
#: microseconds since 1601 (the parser writes a FILETIME to the microsecond, dropping the rest).
_FLOOR_US = (EPOCH_FLOOR - _FILETIME_EPOCH) // timedelta(microseconds=1)
_CEILING_US = (TIME_CEILING - _FILETIME_EPOCH) // timedelta(microseconds=1)
#: FILETIMEs from this one (2200-01-01) on are left to the parser, which turns every FILETIME into a
#: date and fails on some far in the future (an out-of-range date).
_FILETIME_MAX = (datetime(2200, 1, 1, tzinfo=UTC) - _FILETIME_EPOCH) // timedelta(microseconds=1) * 10

#: Substitution descriptors (size u16, type u8, 0) whose size fits the type. Strings and string
#: arrays (0x81, NUL-separated): an even size;
#: SIDs: 8 + 4 n bytes (their count byte is checked too); binary and nested binary XML: any size.
_FIXED = {0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0A: 8, 0x0F: 16, 0x11: 8, 0x14: 4, 0x15: 8}
_DESCRIPTOR = re.compile(
    b"(?:"
    + b"|".join(re.escape(_U16.pack(size) + bytes([kind, 0])) for kind, size in _FIXED.items())
    + rb"|\x00\x00\x00\x00|[\x00\x02\x04\x06\x08\x0a\x0c\x0e\x10\x12\x14\x16\x18\x1a\x1c\x1e"
    rb"\x20\x22\x24\x26\x28\x2a\x2c\x2e\x30\x32\x34\x36\x38\x3a\x3c\x3e\x40\x42\x44\x46\x48\x4a\x4c\x4e"
    rb"\x50\x52\x54\x56\x58\x5a\x5c\x5e\x60\x62\x64\x66\x68\x6a\x6c\x6e\x70\x72\x74\x76\x78\x7a\x7c\x7e"
    rb"\x80\x82\x84\x86\x88\x8a\x8c\x8e\x90\x92\x94\x96\x98\x9a\x9c\x9e\xa0\xa2\xa4\xa6\xa8\xaa\xac\xae"
    rb"\xb0\xb2\xb4\xb6\xb8\xba\xbc\xbe\xc0\xc2\xc4\xc6\xc8\xca\xcc\xce\xd0\xd2\xd4\xd6\xd8\xda\xdc\xde"
    rb"\xe0\xe2\xe4\xe6\xe8\xea\xec\xee\xf0\xf2\xf4\xf6\xf8\xfa\xfc\xfe].[\x01\x81]\x00"
    rb"|..[\x0e\x13\x21]\x00"
    b")*",
    re.DOTALL,
)
_STRING, _FILETIME, _SID, _BINXML = 0x01, 0x11, 0x13, 0x21
#: Types a template's substitution may declare here (the value's own type is what is rendered;
#: Windows declares e.g. size_t for a HexInt64 value, but the parser refuses an unknown type).
_DECLARED = frozenset({*_FIXED, 0x00, 0x01, 0x0E, 0x10, 0x13, 0x21, 0x81})
_UNSIGNED = frozenset({0x04, 0x06, 0x08, 0x0A})
#: System children read, by name (the others are checked for shape only).
_WANTED = ("Provider", "EventID", "TimeCreated", "EventRecordID", "Channel", "Computer")


class _Bail(Exception):
    """The chunk is not in the shape read here: the parser reads it."""


@dataclass(slots=True)
class _Template:
    """What a template definition holds: how many substitutions it uses, whether it has positional
    event data (``Data`` without ``Name``), and for an ``Event`` template where each System field
    comes from: ``("s", index)`` a substitution or ``("t", text)`` literal text."""

    end: int  # offset after the definition
    next: int
    subs: int
    positional: bool
    system: dict[str, tuple[str, int | str]] | None
    #: Names defined inside it (offset, next offset, name) and names it refers to (offset, name).
    inline: tuple[tuple[int, int, str], ...] = ()
    refs: tuple[tuple[int, str], ...] = ()

    #: What the descriptor tables' meaning depends on (equal for equal templates anywhere).
    sig: tuple[object, ...] = ()
    #: Descriptor tables seen under templates of this ``sig`` and what they mean (shared by them).
    shapes: dict[bytes, _Shape | None] = field(default_factory=dict)
    #: Per the tables' value *types* (``table[2::4]``), what their meaning is made from (shared too).
    typed: dict[bytes, _Typed | None] = field(default_factory=dict)
    #: Its element and attribute names and literal text: where a key of the parser's JSON can come
    #: from, but for a ``Data`` element's ``Name`` given by a substitution (``keyed``).
    texts: frozenset[str] = frozenset()
    keyed: bool = False
    #: The value types of the last event data table met under it (no System, no nested value), tried
    #: first for the next: its grammar holds every value's type byte (issue 18, E10).
    last: _Typed | None = None
    #: ``inline`` and ``refs`` as dicts, for :func:`_definition` to apply and check them in C (None:
    #: ``refs`` names one offset twice; then it is checked one by one).
    inline_next: dict[int, int] = field(init=False)
    inline_text: dict[int, str] = field(init=False)
    ref_map: dict[int, str] | None = field(init=False)

    def __post_init__(self) -> None:
        self.inline_next = {off: nxt for off, nxt, _ in self.inline}
        self.inline_text = {off: name for off, _, name in self.inline}
        refs = dict(self.refs)
        self.ref_map = refs if len(refs) == len(set(self.refs)) else None


@dataclass(slots=True)
class RawChunk:
    """The records of one chunk as :func:`read_chunk` read them, in order: per record its provider,
    event id (digits as the parser writes them), time (microseconds since 1601, UTC: see
    :func:`as_datetime`), System record id, channel and computer."""

    records: int
    #: The chunk's bytes 512..free-space offset (for literal scans): a view of the chunk read, not a
    #: 64 KB copy of it (issue 18, E9).
    data: bytes | memoryview
    rows: list[tuple[str, bytes, int, int, str, str]] = field(default_factory=list)
    #: (provider, event id, channel) of the records whose event data is positional.
    positional: set[tuple[str, bytes, str]] = field(default_factory=set)
    #: Descriptor tables the reader had not seen before (each costs ~10 µs of Python, several records'
    #: worth of the parser: a log whose tables keep changing - their string sizes do - is cheaper
    #: read by the parser; BENCHMARKS.md, issue 18, E5).
    new_tables: int = 0
    #: Per template of the chunk, its names and literal text (:attr:`_Template.texts`): unless
    #: ``keyed``, every key the parser's JSON of its records can hold is one of them.
    texts: list[frozenset[str]] = field(default_factory=list)
    #: Whether a template of the chunk has a ``Data`` element whose ``Name`` is a substitution (the
    #: parser makes that value a key).
    keyed: bool = False



def as_datetime(micros: int) -> datetime:
    """A row's time as the JSON path reads it (``datetime.fromisoformat`` of the parser's text)."""
    return _FILETIME_EPOCH + timedelta(microseconds=micros)


#: ``as_datetime(m).timestamp() == (m - UNIX_US) / 1_000_000`` (both divide whole microseconds).
UNIX_US = (datetime(1970, 1, 1, tzinfo=UTC) - _FILETIME_EPOCH) // timedelta(microseconds=1)


def used_size(head: bytes) -> int:
    """How many bytes of a chunk :func:`read_chunk` needs, from its first 512 (0: none, it is not
    a chunk read here), so that a reader can leave its free space unread."""
    if len(head) < 512 or not head.startswith(_MAGIC):
        return 0
    free = _U32.unpack_from(head, 48)[0]
    return free if 512 < free <= CHUNK else 0


def read_chunk(chunk: bytes) -> RawChunk | None:
    """The records of one whole 64 KB chunk (its bytes up to the free-space offset at least; see
    :func:`used_size`), or None when it must be read by the parser."""
    if not chunk.startswith(_MAGIC) or len(chunk) < used_size(chunk) or not used_size(chunk):
        return None
    try:
        return _read(chunk)
    except (_Bail, struct.error, IndexError, UnicodeDecodeError, OverflowError, ValueError, KeyError):
        return None


def _read(c: bytes) -> RawChunk:
    digits = _DIGITS
    from_bytes = int.from_bytes
    _, _, _, last_id, header_size, _, free, data_crc = _CHUNK_HEAD.unpack_from(c, 8)
    if header_size != 128 or not 512 < free <= CHUNK:
        raise _Bail
    view = memoryview(c)
    data = view[512:free]  # (not copied: checked here, kept for the screen's literal scan)
    if crc32(data) != data_crc or crc32(view[128:512], crc32(view[:120])) != _U32.unpack_from(c, 124)[0]:
        raise _Bail
    if len(_ONCE) >= _REMEMBER_SHAPES:  # (bounded here, once a chunk: at most a chunk's records more)
        _ONCE.clear()
    names: dict[int, int] = {}  # name offset -> next name offset
    templates: dict[int, _Template] = {}
    text: dict[int, str] = {}  # name offset -> name
    #: Records' outer instances seen in this chunk that refer to a template defined earlier in it,
    #: by their bytes up to the values (fragment header, token, template id and offset, value
    #: count, descriptor table) -> what the table means, its nested values, their end. The same
    #: bytes elsewhere in the chunk are the same reference and table (an inline definition cannot
    #: have them: its offset would point before the instance), so they are read once.
    outer: dict[bytes, tuple[_Shape, tuple[tuple[int, int], ...], int]] = {}
    #: Of those, the Event instances whose last value is nested, by their bytes but the last
    #: descriptor (see below): their shape, nested values but the last, and where the last starts.
    tails: dict[bytes, tuple[_Shape, tuple[tuple[int, int], ...], int]] = {}
    out = RawChunk(0, data)
    rows = out.rows
    made = _made
    exact = _exact
    hits = 0  # records found by their whole instance bytes (when ``exact``)
    reuse = 0  # event data tables met before (by their shape): records that may repeat
    pos = 512
    while pos < free:
        # (the record header and the 18 bytes after it, where its template instance starts: a chunk
        # cut there fails here, as the instance's own reading would)
        magic, size, rid, written, n = _RECORD_HEAD.unpack_from(c, pos)
        end = pos + size
        if magic != _RECORD_MAGIC_U32 or size < 32 or end > free:
            raise _Bail
        if written >= _FILETIME_MAX:  # the parser turns it into a date (and stops the chunk at one out of range)
            raise _Bail
        if rid == last_id and end != free:  # the parser stops after the header's last record id
            raise _Bail
        # the record: one template instance (its System fields), then its values
        p = pos + 24
        values = p + 18 + 4 * n
        # (the whole bytes looked up first only where records repeat: see _exact)
        if exact and (hit := outer.get(c[p:values])) is not None:
            shape, nested, stop = hit
            hits += 1
        # an instance of this chunk with the same bytes but its last descriptor - the nested event
        # data's, whose size is what differs from record to record in a real log - means the same
        # but for that value's end
        elif (tail := tails.get(c[p : values - 4])) is not None and (last := _U32.unpack_from(c, values - 4)[0]) >> 16 == _BINXML:
            shape, lead, start = tail
            stop = start + (last & 0xFFFF)
            nested = lead + ((start, stop),)  # noqa: RUF005 (no list built: ~30 % faster than unpacking)
            if exact:
                outer[c[p:values]] = (shape, nested, stop)
        else:
            inst = c[p:values]
            hit = outer.get(inst)
            if hit is None:
                tmpl, here, n = _instance(c, p, end - 4, names, text, templates)
                values = here + 4 + 4 * n
                table = c[here + 4 : values]
                found = tmpl.shapes.get(table, _UNSEEN)
                if found is _UNSEEN:
                    found = _remember(tmpl, table, _fresh(tmpl, table, n))
                if found is None or found.fields is None:
                    raise _Bail
                hit = (found, found.nested, found.stop)
                if here == p + 14:
                    outer[inst] = hit
                    if found.nested and found.nested[-1][1] == found.stop and table[-2] == _BINXML:
                        tails[inst[:-4]] = (found, found.nested[:-1], found.nested[-1][0])
            shape, nested, stop = hit
        stop += values
        if stop >= end - 4 or c[stop] != 0:  # then the end of stream; what follows is the record's padding
            raise _Bail
        if shape.checks:
            for off, count in shape.sids:
                if c[values + off] != count:
                    raise _Bail
            for off in shape.filetimes:
                if _U64.unpack_from(c, values + off)[0] >= _FILETIME_MAX:
                    raise _Bail
        positional = shape.positional
        for a, b in nested:  # _nested, inlined for the usual one nested value
            start, stop = values + a, values + b
            frag, token, offset, n = _NESTED_HEAD.unpack_from(c, start)
            here = start + 14
            if frag != _FRAGMENT_U32 or token != 0x0C:
                raise _Bail
            if offset == here:  # (its template defined here, inline)
                inner, here, n = _instance(c, start, stop, names, text, templates)
            else:
                inner = templates[offset]  # (defined earlier in this chunk, else KeyError: the parser reads it)
            at = here + 4 + 4 * n
            table = c[here + 4 : at]
            # event data of value types seen, its table not met (as a rule in a real log: its string
            # sizes differ): the types of the template's last such table when the table fits their
            # grammar (which holds every value's type byte; else they are looked up), its values
            # checked here and the table remembered only when it comes again (then by its shape)
            typed = None
            if table not in _ONCE:
                typed = inner.last
                if typed is not None and (typed.count != n or from_bytes(table, "little") & typed.mask != typed.want):
                    typed = None
            if typed is None:
                sub: _Shape | None = inner.shapes.get(table, _UNSEEN)
                if sub is _UNSEEN:
                    typed = inner.typed.get(table[2::4]) if len(table) == 4 * n else None
                    if typed is not None and typed.system is None and not typed.nested and table not in _ONCE:
                        if from_bytes(table, "little") & typed.mask != typed.want:
                            raise _Bail  # (the descriptor grammar: as _DESCRIPTOR.fullmatch)
                        inner.last = typed
                    else:
                        typed = None
                        sub = _remember(inner, table, _fresh(inner, table, n))
            if typed is not None:
                _ONCE.add(table)
                if typed.plain is not None:  # a plain table (most of a real log's): only its end
                    at += sum(typed.sizes.unpack(table))
                    if at + 1 != stop or c[at] != 0:
                        raise _Bail
                else:  # SIDs or FILETIMEs among the values (a Security log's): each checked as its shape would
                    sizes = typed.sizes.unpack(table)
                    starts = list(accumulate(sizes, initial=0))
                    if at + starts[-1] + 1 != stop or c[at + starts[-1]] != 0:
                        raise _Bail
                    at1 = at + 1
                    for i in typed.sids:  # (a size below 8 gives a negative count: no byte equals it)
                        if c[at1 + starts[i]] != sizes[i] - 8 >> 2:
                            raise _Bail
                    for i in typed.filetimes:
                        if _U64.unpack_from(c, at + starts[i])[0] >= _FILETIME_MAX:
                            raise _Bail
                if typed.positional:
                    positional = True
                continue
            if sub is None or sub.fields is not None or at + sub.stop + 1 != stop or c[at + sub.stop] != 0:
                raise _Bail
            reuse += 1
            if sub.positional:
                positional = True
            if sub.checks:
                for off, count in sub.sids:
                    if c[at + off] != count:
                        raise _Bail
                for off in sub.filetimes:
                    if _U64.unpack_from(c, at + off)[0] >= _FILETIME_MAX:
                        raise _Bail
                for a2, b2 in sub.nested:
                    if _nested(c, at + a2, at + b2, names, text, templates):
                        positional = True
        if shape.whole is not None:
            eid, ticks, rid, key = shape.whole.unpack_from(c, values)
        else:
            fields = shape.fields
            assert fields is not None  # (an Event's shape: only those are in ``outer``)
            eid, ticks, rid = fields.unpack_from(c, values)
            lo, hi = shape.span
            key = c[values + lo : values + hi]
        strings = shape.names.get(key)
        if strings is None:
            strings = _strings(shape, key)
        micros = ticks // 10
        if not _FLOOR_US <= micros < _CEILING_US or not rid:
            raise _Bail
        eid_b = digits[eid]
        rows.append((strings[0], eid_b, micros, rid, strings[1], strings[2]))
        if positional:
            out.positional.add((strings[0], eid_b, strings[1]))
        pos = end
    out.records = len(rows)
    out.new_tables = _made - made
    _next_mode(exact, hits, reuse, out.records)
    out.texts = [t.texts for t in templates.values()]
    out.keyed = any(t.keyed for t in templates.values())
    # the parser fills its string cache from the header's table, following each name's next offset
    known = names.keys() | _ZERO
    if not known.issuperset(_STRING_TABLE.unpack_from(c, 128)) or not known.issuperset(names.values()):
        raise _Bail
    return out


#: Whether a record's instance is looked up by its whole bytes first (one lookup for a record that
#: repeats an earlier one of its chunk: a log of copies), else by them but the last descriptor first
#: (in a real log the event data's size differs from record to record: the whole bytes are seldom
#: met twice, while event data tables may repeat all the same). Speed only: both give the same
#: (issue 18, E10). Set by the chunks read (:func:`_next_mode`).
_exact = False
_wait = 0  # chunks before the whole bytes are tried again after they were of no use
_backoff = 1


def _next_mode(exact: bool, hits: int, reuse: int, records: int) -> None:
    """After a chunk: keep looking up whole bytes first while half its records were found so; try it
    (again) after a chunk half of whose event data tables were met before, waiting twice as many
    chunks each time it was of no use (at most 64)."""
    global _exact, _wait, _backoff
    if exact:
        if hits * 2 > records:
            _backoff = 1
        else:
            _exact, _wait, _backoff = False, _backoff, min(2 * _backoff, 64)
    elif reuse * 2 > records:
        if _wait:
            _wait -= 1
        else:
            _exact = True


def in_text(data: bytes | memoryview, ends: list[int]) -> bool:
    """Whether a two-byte unit ending at one of ``ends`` (offsets in :attr:`RawChunk.data` of a chunk
    :func:`read_chunk` read) may be a character of text the parser writes: a UTF-16 unit of a string
    value (from its start: strings are decoded so), or a byte of it in a template definition (names,
    literal text). Not: record headers, template instances' heads and descriptor tables, values the
    parser writes as numbers, hex, GUIDs, SIDs or times (where any two bytes turn up in a real log:
    its ids, GUIDs and times), end-of-stream and padding bytes."""
    pos = 0
    for unit in sorted(set(ends)):
        t = unit - 2
        while True:  # the record holding byte t
            size = _U32.unpack_from(data, pos + 4)[0]
            if t < pos + size:
                break
            pos += size
        if t + 1 >= pos + 24 and _instance_text(data, pos + 24, t):
            return True
    return False


def _instance_text(data: bytes | memoryview, p: int, t: int) -> bool:
    """Whether unit ``t``, ``t + 1`` is text of the template instance at ``p`` (a byte of it in its
    inline definition; a unit of one of its string values or of its nested instances')."""
    here = p + 14
    if _U32.unpack_from(data, p + 10)[0] == here + 512:  # (offsets in the chunk: data starts at 512)
        end = here + 24 + _U32.unpack_from(data, here + 20)[0]
        if t + 1 >= here and t < end:
            return True
        here = end
    n = _U32.unpack_from(data, here)[0]
    at = here + 4 + 4 * n
    for i in range(n):
        if at > t + 1:
            break
        size, kind = _SUB.unpack_from(data, here + 4 + 4 * i)
        if t < at + size:
            if kind == _STRING or kind == 0x81:  # (a character of it: one of its two-byte units)
                if at <= t and t + 2 <= at + size and not (t - at) % 2:
                    return True
            elif kind == _BINXML and _instance_text(data, at, t):
                return True
        at += size
    return False


def _strings(shape: _Shape, key: bytes) -> tuple[str, str, str]:
    """Provider, channel and computer of a record whose System strings' bytes are ``key``."""
    lo = shape.span[0]
    got = [v if isinstance(v, str) else _string(key[v[0] - lo : v[1] - lo]) for v in shape.strings]
    if not got[0] or not got[1]:
        raise _Bail
    found = (got[0], got[1], got[2])
    if len(shape.names) >= 64:  # (one or two per table in a log)
        shape.names.clear()
    shape.names[key] = found
    return found


class _Digits(dict[int, bytes]):
    """``str(n).encode()`` per event id, each made when first met (one lookup a record; none built at
    import, which every scan's main process pays in ``plan()``, nor 65,536 of them at the first read:
    a log has a few dozen ids; issue 18, E10)."""

    def __missing__(self, eid: int) -> bytes:
        found = str(eid).encode()
        if len(self) < 65536:  # (bounded, whatever the file)
            self[eid] = found
        return found


_DIGITS = _Digits()


def _instance(c: bytes, pos: int, end: int, names: dict[int, int], text: dict[int, str],
              templates: dict[int, _Template]) -> tuple[_Template, int, int]:
    """A template instance at ``pos``: its template, where its value count is, and the count."""
    frag, token, _, _, offset = _INSTANCE.unpack_from(c, pos)
    if frag != _FRAGMENT or token != 0x0C:
        raise _Bail
    here = pos + 14
    if offset == here:  # defined inline, here
        tmpl = _definition(c, here, end, names, text)
        templates[here] = tmpl
        here = tmpl.end
    else:
        tmpl = templates[offset]  # defined earlier in this chunk (else KeyError: the parser reads it)
    return tmpl, here, _U32.unpack_from(c, here)[0]


def _nested(c: bytes, start: int, end: int, names: dict[int, int], text: dict[int, str],
            templates: dict[int, _Template]) -> bool:
    """Check a nested binary XML value (one template instance, then the end of stream filling the
    value exactly); whether it holds positional event data."""
    tmpl, here, n = _instance(c, start, end, names, text, templates)
    table = c[here + 4 : here + 4 + 4 * n]
    shape: _Shape | None = tmpl.shapes.get(table, _UNSEEN)
    if shape is _UNSEEN:
        shape = _remember(tmpl, table, _fresh(tmpl, table, n))
    if shape is None or shape.fields is not None:
        raise _Bail
    values = here + 4 + 4 * n
    stop = values + shape.stop
    if stop + 1 != end or c[stop] != 0:
        raise _Bail
    for off, count in shape.sids:
        if c[values + off] != count:
            raise _Bail
    for off in shape.filetimes:
        if _U64.unpack_from(c, values + off)[0] >= _FILETIME_MAX:
            raise _Bail
    positional = shape.positional
    for a, b in shape.nested:
        if _nested(c, values + a, values + b, names, text, templates):
            positional = True
    return positional


@dataclass(slots=True)
class _Shape:
    """What one descriptor table under one template means (remembered per distinct pair)."""

    stop: int  # the size of all values
    nested: tuple[tuple[int, int], ...]  # nested binary XML values (start, end), from the first value
    sids: tuple[tuple[int, int], ...]  # SIDs: where their sub-authority count is and what it must be
    positional: bool
    filetimes: tuple[int, ...]  # FILETIME values (each must be before _FILETIME_MAX)
    #: An Event template: event id, FILETIME and record id read with one unpack at the values,
    #: and provider, channel and computer (literal text, or where the UTF-16 string is).
    fields: struct.Struct | None = None
    strings: tuple[str | tuple[int, int], ...] = ()
    span: tuple[int, int] = (0, 0)  # the bytes holding the strings read (from the first value)
    names: dict[bytes, tuple[str, str, str]] = field(default_factory=dict)  # those bytes, read
    #: ``fields`` and then the ``span`` bytes with one unpack, when the span follows the three values.
    whole: struct.Struct | None = None
    checks: bool = False  # whether there are SIDs, FILETIMEs or nested values to check


def _shape(tmpl: _Template, table: bytes, n: int) -> _Shape | None:
    """Check a descriptor table against its template; None when the parser must read it."""
    if len(table) != 4 * n or _DESCRIPTOR.fullmatch(table) is None:
        return None
    sizes = memoryview(table).cast("H")[::2].tolist()
    types = table[2::4]
    starts = list(accumulate(sizes, initial=0))
    # (most tables hold no nested value, SID or FILETIME of some kind: looked for only when there)
    nested = tuple((starts[i], starts[i + 1]) for i, k in enumerate(types) if k == _BINXML) if _BINXML in types else ()
    sids: tuple[tuple[int, int], ...] = ()
    if _SID in types:
        if any(sizes[i] < 8 for i, k in enumerate(types) if k == _SID):
            return None
        sids = tuple((starts[i] + 1, (sizes[i] - 8) // 4) for i, k in enumerate(types) if k == _SID)
    filetimes = tuple(starts[i] for i, k in enumerate(types) if k == _FILETIME) if _FILETIME in types else ()
    system = tmpl.system
    if system is None:
        return _Shape(starts[-1], nested, sids, tmpl.positional, filetimes, checks=bool(sids or filetimes or nested))
    layout: list[tuple[int, str]] = []
    for name, kinds in (("EventID", _UNSIGNED), ("TimeCreated", (_FILETIME,)), ("EventRecordID", _UNSIGNED)):
        where, value = system[name]
        if where != "s" or types[int(value)] not in kinds:
            return None
        layout.append((starts[int(value)], _FORMATS[sizes[int(value)]]))
    fields = _unpacker(layout)
    if fields is None:
        return None
    # TimeCreated need not be checked against _FILETIME_MAX as well: the record's time range
    # (1971 to 2099, checked for every record) is narrower, and either way the chunk goes to the parser
    filetimes = tuple(f for f in filetimes if f != layout[1][0])
    texts = _system_strings(system, types)
    if texts is None:
        return None
    strings = [v if isinstance(v, str) else (starts[v], starts[v + 1]) for v in texts]
    located = [v for v in strings if not isinstance(v, str)]
    span = (min(v[0] for v in located), max(v[1] for v in located)) if located else (0, 0)
    after = fields.size  # where the three values end (the Struct starts at the first value)
    whole = _struct(f"{fields.format}{'x' * (span[0] - after)}{span[1] - span[0]}s") if located and span[0] >= after else None
    return _Shape(starts[-1], nested, sids, tmpl.positional, filetimes, fields, tuple(strings), span, whole=whole,
                  checks=bool(sids or filetimes or nested))


_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _system_strings(system: dict[str, tuple[str, int | str]], types: bytes) -> list[str | int] | None:
    """Provider, Channel and Computer of a template's System: each the text the template writes, or
    the index of the string value holding it; None when one is not read here (an empty provider or
    channel, text that is not plain, a value of another type)."""
    out: list[str | int] = []
    for name in ("Provider", "Channel", "Computer"):
        where, value = system[name]
        if where == "t":
            text = str(value)
            if (not text and name != "Computer") or not _plain(text):
                return None
            out.append(text)
        else:
            i = int(value)
            if types[i] != _STRING:
                return None
            out.append(i)
    return out


def _fresh(tmpl: _Template, table: bytes, n: int) -> _Shape | None:
    """What a descriptor table not seen before under ``tmpl`` means: made from what tables of the same
    value types mean (:class:`_Typed`, learnt once per types: a log's tables differ with its string
    sizes, seldom with its types), else the whole way (:func:`_shape`, counted in ``new_tables``)."""
    global _made
    if len(table) != 4 * n:
        return None  # (cut short by the chunk's end: as _shape)
    kinds = table[2::4]  # (n of them: the types say how many values)
    typed = tmpl.typed.get(kinds, _UNSEEN)
    if typed is _UNSEEN:
        _made += 1
        typed = _typed(tmpl, kinds)
        if len(tmpl.typed) >= _REMEMBER:
            tmpl.typed.clear()
        tmpl.typed[kinds] = typed
        return _shape(tmpl, table, n)
    if typed is None:
        return None
    if typed.heads is None:
        return _from_typed(typed, table)
    # an Event whose last value is its nested event data: in a log of one kind of event, as a rule
    # only that value's size differs from table to table (the System strings and user SID repeat)
    head = table[:-4]
    base = typed.heads.get(head)
    if base is None:
        base = _from_typed(typed, table)
        if base is not None:
            if len(typed.heads) >= 64:
                typed.heads.clear()
            typed.heads[head] = base
        return base
    if table[-1]:
        return None  # (the descriptor grammar: its last byte is 0)
    start = base.nested[-1][0]
    stop = start + _U16.unpack_from(table, 4 * n - 4)[0]
    return _Shape(stop, (*base.nested[:-1], (start, stop)), base.sids, base.positional, base.filetimes, base.fields,
                  base.strings, base.span, base.names, base.whole, base.checks)


@dataclass(slots=True)
class _Typed:
    """What every descriptor table with one list of value types under one template ``sig`` shares:
    the descriptor grammar as a mask over the table's bytes (sizes of fixed-size types, strings' even
    sizes, the zero bytes), which values are nested, SIDs and FILETIMEs, and for an ``Event``
    template where its System fields are, by value index. Only the offsets (from the sizes) are left
    to each table; :func:`_from_typed` gives the :class:`_Shape` :func:`_shape` gives."""

    mask: int
    want: int
    count: int  # values (a table of 4 bytes each)
    positional: bool
    nested: tuple[int, ...]
    sids: tuple[int, ...]
    filetimes: tuple[int, ...]  # (not TimeCreated's)
    system: tuple[tuple[int, str], ...] | None = None  # EventID, TimeCreated, EventRecordID: index, format
    strings: tuple[str | int, ...] = ()  # provider, channel, computer: literal text or value index
    #: The System strings read (``_Shape.names``), per their places relative to the span's start.
    names: dict[tuple[tuple[int, int], ...], dict[bytes, tuple[str, str, str]]] = field(default_factory=dict)
    #: For an Event whose last value is nested: shapes by their table without its last descriptor
    #: (every offset but the end's is theirs; see :func:`_fresh`). None for other templates.
    heads: dict[bytes, _Shape] | None = None
    #: For tables without SIDs, FILETIMEs and nested values (outside an Event): shapes by values' size.
    plain: dict[int, _Shape] | None = None
    #: The values' sizes of such a table, in one unpack (its descriptors' first two bytes).
    sizes: struct.Struct = field(default_factory=lambda: _struct("<"))


#: Per value type, the descriptor's mask and wanted bits (size u16, type, 0 as a little-endian u32)
#: as :data:`_DESCRIPTOR` takes them: a fixed size, an even size (strings), any size.
_GRAMMAR = {
    **{kind: (0xFFFFFFFF, size | kind << 16) for kind, size in _FIXED.items()},
    0x00: (0xFFFFFFFF, 0),
    **{kind: (0xFFFF0001, kind << 16) for kind in (0x01, 0x81)},
    **{kind: (0xFFFF0000, kind << 16) for kind in (0x0E, 0x13, 0x21)},
}


def _typed(tmpl: _Template, kinds: bytes) -> _Typed | None:
    """What tables of these value types share (None: no such table is read here, whatever its sizes;
    an index of the System layout beyond the values fails as in :func:`_shape`)."""
    if any(k not in _GRAMMAR for k in kinds):
        return None
    mask = want = 0
    for i, k in enumerate(kinds):
        m, w = _GRAMMAR[k]
        mask |= m << (32 * i)
        want |= w << (32 * i)
    nested = tuple(i for i, k in enumerate(kinds) if k == _BINXML)
    sids = tuple(i for i, k in enumerate(kinds) if k == _SID)
    filetimes = tuple(i for i, k in enumerate(kinds) if k == _FILETIME)
    system = tmpl.system
    sizes = _struct("<" + "H2x" * len(kinds))
    if system is None:
        return _Typed(mask, want, len(kinds), tmpl.positional, nested, sids, filetimes,
                      plain=None if nested or sids or filetimes else {}, sizes=sizes)
    layout: list[tuple[int, str]] = []
    for name, allowed in (("EventID", _UNSIGNED), ("TimeCreated", (_FILETIME,)), ("EventRecordID", _UNSIGNED)):
        where, value = system[name]
        if where != "s" or kinds[int(value)] not in allowed:
            return None
        layout.append((int(value), _FORMATS[_FIXED[kinds[int(value)]]]))
    strings = _system_strings(system, kinds)
    if strings is None:
        return None
    time = layout[1][0]
    return _Typed(mask, want, len(kinds), tmpl.positional, nested, sids, tuple(i for i in filetimes if i != time), tuple(layout),
                  tuple(strings), heads={} if kinds[-1] == _BINXML else None, sizes=sizes)


def _from_typed(t: _Typed, table: bytes) -> _Shape | None:
    """:func:`_shape` of ``table`` (of ``t``'s types, 4 bytes a value) from what its types share."""
    if int.from_bytes(table, "little") & t.mask != t.want:
        return None  # (the descriptor grammar: as _DESCRIPTOR.fullmatch)
    if t.plain is not None:  # (only the values' size differs)
        stop = sum(memoryview(table).cast("H")[::2])
        found = t.plain.get(stop)
        if found is None:
            if len(t.plain) >= 256:
                t.plain.clear()
            found = t.plain[stop] = _Shape(stop, (), (), t.positional, ())
        return found
    sizes = memoryview(table).cast("H")[::2].tolist()
    starts = list(accumulate(sizes, initial=0))
    nested = tuple((starts[i], starts[i + 1]) for i in t.nested) if t.nested else ()
    sids: tuple[tuple[int, int], ...] = ()
    if t.sids:
        if any(sizes[i] < 8 for i in t.sids):
            return None
        sids = tuple((starts[i] + 1, (sizes[i] - 8) // 4) for i in t.sids)
    filetimes = tuple(starts[i] for i in t.filetimes) if t.filetimes else ()
    checks = bool(sids or filetimes or nested)
    if t.system is None:
        return _Shape(starts[-1], nested, sids, t.positional, filetimes, checks=checks)
    fields = _unpacker([(starts[i], code) for i, code in t.system])
    if fields is None:
        return None
    strings = tuple(v if isinstance(v, str) else (starts[v], starts[v + 1]) for v in t.strings)
    located = [v for v in strings if not isinstance(v, str)]
    span = (min(v[0] for v in located), max(v[1] for v in located)) if located else (0, 0)
    after = fields.size
    whole = _struct(f"{fields.format}{'x' * (span[0] - after)}{span[1] - span[0]}s") if located and span[0] >= after else None
    places = tuple((a - span[0], b - span[0]) for a, b in located)
    names = t.names.get(places)
    if names is None:
        if len(t.names) >= 64:
            t.names.clear()
        names = t.names[places] = {}
    return _Shape(starts[-1], nested, sids, t.positional, filetimes, fields, strings, span, names, whole, checks)


def _unpacker(layout: list[tuple[int, str]]) -> struct.Struct | None:
    """One Struct reading the three values at their offsets, in the order given (overlaps: None)."""
    key = tuple(layout)
    found = _UNPACKERS.get(key, _UNSEEN)
    if found is _UNSEEN:
        if len(_UNPACKERS) >= _REMEMBER:
            _UNPACKERS.clear()
        found = _UNPACKERS[key] = _make_unpacker(layout)
    return found  # type: ignore[no-any-return]


def _make_unpacker(layout: list[tuple[int, str]]) -> struct.Struct | None:
    order = sorted(range(len(layout)), key=lambda k: layout[k][0])
    if order != list(range(len(layout))):
        return None  # not in the usual order: not read here
    fmt, at = "<", 0
    for off, code in layout:
        if off < at:
            return None
        fmt += "x" * (off - at) + code
        at = off + struct.calcsize("<" + code)
    return _struct(fmt)


def _struct(fmt: str) -> struct.Struct:
    """A Struct for ``fmt``, made once (a log's descriptor tables differ with its string sizes, but the
    layouts they give repeat)."""
    found = _STRUCTS.get(fmt)
    if found is None:
        if len(_STRUCTS) >= _REMEMBER:
            _STRUCTS.clear()
        found = _STRUCTS[fmt] = struct.Struct(fmt)
    return found


_STRUCTS: dict[str, struct.Struct] = {}
_UNPACKERS: dict[tuple[tuple[int, str], ...], struct.Struct | None] = {}


def _plain(text: str) -> bool:
    """A value the parser writes as it is (it drops NUL characters; quotes, backslashes, line
    breaks and other letters come back from its JSON unchanged)."""
    return "\x00" not in text


_STRINGS: dict[bytes, str] = {}


def _string(raw: bytes) -> str:
    """A UTF-16 System value, checked as :func:`_plain` (empty for a computer only: the caller)."""
    found = _STRINGS.get(raw)
    if found is None:
        found = raw.decode("utf-16-le")
        if not _plain(found):
            raise _Bail
        if len(_STRINGS) >= _REMEMBER:
            _STRINGS.clear()
        _STRINGS[raw] = found
    return found


_REMEMBER = 4096
_UNSEEN: Any = object()
#: Per template ``sig``, the descriptor tables seen and what they mean (see :attr:`_Template.shapes`).
_SHAPES: dict[tuple[object, ...], dict[bytes, _Shape | None]] = {}


_K = TypeVar("_K")
_V = TypeVar("_V")


def _per_template(store: dict[tuple[object, ...], dict[_K, _V]], sig: tuple[object, ...]) -> dict[_K, _V]:
    """The table ``store`` keeps for template ``sig`` (made empty when new; at most :data:`_REMEMBER`
    templates kept, all forgotten when one more comes)."""
    found = store.get(sig)
    if found is None:
        if len(store) >= _REMEMBER:
            store.clear()
        found = store[sig] = {}
    return found


def _remember(tmpl: _Template, table: bytes, shape: _Shape | None) -> _Shape | None:
    global _remembered
    _remembered += 1
    if _remembered > _REMEMBER_SHAPES:  # bounded memory, whatever the file: forget them all
        for shapes in _SHAPES.values():
            shapes.clear()
        _remembered = 1
    tmpl.shapes[table] = shape
    return shape


#: Descriptor tables remembered in all (each ~0.2-1 KB with its shape).
_REMEMBER_SHAPES = 20_000
_remembered = 0
_made = 0  # descriptor tables read the whole way in all (RawChunk.new_tables)
#: Event data tables checked once without a shape (by their value types, in the record walk): the second time one is met
#: (a log of repeated records), its shape is made and remembered.
_ONCE: set[bytes] = set()
_TYPED: dict[tuple[object, ...], dict[bytes, _Typed | None]] = {}



# -- template definitions -------------------------------------------------------------------------------


def _definition(c: bytes, here: int, limit: int, names: dict[int, int], text: dict[int, str]) -> _Template:
    """The template defined at ``here``: walked once per distinct definition and place (a chunk
    repeated, or the first template of every chunk of a log), its names noted in this chunk."""
    size = _U32.unpack_from(c, here + 20)[0]
    key = (here, c[here : here + 24 + size])
    tmpl = _DEFINITIONS.get(key)
    if tmpl is None:
        tmpl = _template(c, here, limit, names, text)
        if len(_DEFINITIONS) >= _REMEMBER_DEFINITIONS:
            _DEFINITIONS.clear()
        if size <= 16_384:
            _DEFINITIONS[key] = tmpl
        return tmpl
    if tmpl.end > limit:
        raise _Bail
    names.update(tmpl.inline_next)
    text.update(tmpl.inline_text)
    if tmpl.ref_map is not None:
        if not tmpl.ref_map.items() <= text.items():
            raise _Bail
    else:
        for off, name in tmpl.refs:
            if text.get(off) != name:
                raise _Bail
    return tmpl


_DEFINITIONS: dict[tuple[int, bytes], _Template] = {}
#: Definitions remembered (each at most 16 KB: at most ~16 MB).
_REMEMBER_DEFINITIONS = 1024


def _name(c: bytes, pos: int, offset: int, names: dict[int, int], text: dict[int, str],
          seen: tuple[list[tuple[int, int, str]], list[tuple[int, str]]]) -> tuple[str, int]:
    """The name at ``offset``; when it is defined inline at ``pos`` it is read and skipped.
    ``seen`` collects the names defined inline and those referred to."""
    if offset != pos:
        name = text[offset]  # defined earlier in this chunk (else KeyError)
        seen[1].append((offset, name))
        return name, pos
    nxt, _, count = _NAME.unpack_from(c, pos)
    start = pos + 8
    stop = start + 2 * count
    if c[stop : stop + 2] != b"\x00\x00":
        raise _Bail
    name = c[start:stop].decode("utf-16-le")
    if not name or not name.isascii() or not name.isprintable() or '"' in name or "\\" in name:
        raise _Bail  # (the parser writes names into its JSON as they are: a quote or backslash breaks it)
    names[offset] = nxt
    text[offset] = name
    seen[0].append((offset, nxt, name))
    return name, stop + 2


def _template(c: bytes, pos: int, limit: int, names: dict[int, int], text: dict[int, str]) -> _Template:
    """Walk a template definition at ``pos`` (next offset, GUID, size, then its binary XML)."""
    nxt, _, size = _DEFINITION.unpack_from(c, pos)
    start = pos + 24
    end = start + size
    if end > limit or c[start : start + 4] != _FRAGMENT:
        raise _Bail
    p = start + 4
    # per open element: its name, attribute values by name, content nodes, child element names
    stack: list[tuple[str, dict[str, _Node], list[_Node], list[str]]] = []
    in_start = False  # between an element's name and the end of its start tag (attributes)
    pending = ""  # the attribute whose value comes next
    subs = -1
    positional = False
    system: dict[str, _Node] = {}
    root = ""
    system_children: list[str] = []
    event_children: list[str] = []
    declared: list[tuple[int, int]] = []  # each substitution's index and the type it declares (in sig)
    seen: tuple[list[tuple[int, int, str]], list[tuple[int, str]]] = ([], [])
    literals: list[str] = []
    keyed = False
    while True:
        if p >= end:
            raise _Bail
        t = c[p]
        if t == 0x01 or t == 0x41:
            if in_start:
                raise _Bail
            noff = _OPEN.unpack_from(c, p + 1)[2]
            name, p = _name(c, p + 11, noff, names, text, seen)
            if t == 0x41:
                p += 4
            if stack:
                parent = stack[-1]
                if parent[2]:
                    raise _Bail  # an element after the text of its parent
                parent[3].append(name)
            elif root:
                raise _Bail
            else:
                root = name
            stack.append((name, {}, [], []))
            in_start = True
        elif t == 0x06 or t == 0x46:
            if not in_start or pending:
                raise _Bail
            pending, p = _name(c, p + 5, _U32.unpack_from(c, p + 1)[0], names, text, seen)
            if pending in stack[-1][1]:
                raise _Bail
        elif t == 0x05 or t == 0x45 or t == 0x0D or t == 0x0E:
            node: _Node
            if t == 0x05 or t == 0x45:
                if c[p + 1] != _STRING:
                    raise _Bail
                count = _U16.unpack_from(c, p + 2)[0]
                node = ("t", c[p + 4 : p + 4 + 2 * count].decode("utf-16-le"))
                literals.append(node[1])
                p += 4 + 2 * count
            else:
                index, kind = _SUB.unpack_from(c, p + 1)
                if kind not in _DECLARED:
                    raise _Bail
                subs = max(subs, index)
                declared.append((index, kind))
                node = ("s", index)
                p += 4
            top = stack[-1] if stack else None
            if top is None:
                raise _Bail
            if pending:
                top[1][pending] = node
                pending = ""
            elif in_start or top[2] or (top[3] and node[0] != "s"):
                raise _Bail  # a value outside an attribute, a second text node, or text among elements
            else:
                top[2].append(node)  # (after child elements: a substitution, e.g. nested binary XML)
        elif t == 0x02 or t == 0x03 or t == 0x04:
            if (t == 0x04) == in_start or pending or not stack:
                raise _Bail
            in_start = False
            p += 1
            if t == 0x02:
                continue
            name, attrs, nodes, kids = stack.pop()
            if name == "Data" and ("Name" not in attrs or attrs["Name"][0] != "t"):
                positional = True  # (a Name from a substitution may be null: then positional too)
                keyed = keyed or "Name" in attrs
            if len(stack) == 2 and stack[0][0] == "Event" and stack[1][0] == "System":
                _system_field(name, attrs, nodes, system)
            elif len(stack) == 1 and name == "System" and stack[0][0] == "Event":
                system_children = kids
            elif not stack and name == "Event":
                event_children = kids
        elif t == 0x00:
            if stack or p + 1 != end:
                raise _Bail
            break
        else:
            raise _Bail  # CDATA, character or entity references, processing instructions: not read here
    texts = frozenset([*(n for _, _, n in seen[0]), *(n for _, n in seen[1]), *literals])
    if root != "Event":
        sig: tuple[object, ...] = (subs + 1, positional, tuple(declared), None)
        return _Template(end, nxt, subs + 1, positional, None, tuple(seen[0]), tuple(seen[1]), sig,
                         _per_template(_SHAPES, sig), _per_template(_TYPED, sig), texts, keyed)
    if event_children.count("System") != 1 or len(set(event_children)) != len(event_children):
        raise _Bail
    if len(set(system_children)) != len(system_children) or any(w not in system for w in _WANTED):
        raise _Bail
    sig = (subs + 1, positional, tuple(declared), tuple(sorted(system.items())))
    return _Template(end, nxt, subs + 1, positional, system, tuple(seen[0]), tuple(seen[1]), sig,
                     _per_template(_SHAPES, sig), _per_template(_TYPED, sig), texts, keyed)


_Node = tuple[str, int | str]


def _system_field(name: str, attrs: dict[str, _Node], nodes: list[_Node], system: dict[str, _Node]) -> None:
    """Note where a System field comes from (``("s", index)`` or ``("t", text)``)."""
    if name == "Provider":
        if "Name" not in attrs:
            raise _Bail
        system[name] = attrs["Name"]
    elif name == "TimeCreated":
        if "SystemTime" not in attrs:
            raise _Bail
        system[name] = attrs["SystemTime"]
    elif name in ("EventID", "EventRecordID", "Channel", "Computer"):
        if (attrs and name != "EventID") or (not nodes and name != "Computer"):
            raise _Bail
        system[name] = nodes[0] if nodes else ("t", "")
