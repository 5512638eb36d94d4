"""The System block of ``.evtx`` records read from the parser's JSON texts, a batch at a time.

Why: decoding each record's JSON (``orjson``) and normalising it costs more than the parser itself,
yet most records of a server's log only add to the coverage (channel, time, computer, record id).
The parser writes the System block as compact JSON with its keys in the XML's element order, so
each record is cut at three of its keys with :meth:`bytes.partition` (C fastsearch, one ``map``
over the batch per step) instead of a regex walking every byte (sre: ~20 instructions per byte,
~18 k per record; BENCHMARKS.md, issue 18, area E3). Every piece is checked against the grammar the
parser writes (:data:`SYSTEM`): the pieces that repeat from record to record (provider, GUID, event
id, version ... keywords; record id, correlation and execution with their digits set to zero;
channel, computer and user id) once per distinct value, remembered in a bounded table; the times
in one comparison per batch. A record that is not in exactly that shape is marked not ``ok`` and
must be read the full way.
For an ``ok`` record the columns hold exactly what :func:`evtx_file.record_from_json` would put in
its :class:`EventRecord` (provider, event id, UTC time, record id, channel, computer).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate, repeat
from operator import contains, itemgetter
from typing import Any

from extriage.formats.event_record import EPOCH_FLOOR, TIME_CEILING

# The grammar of the System block as the parser writes it (compact JSON in the XML's element order),
# from the record's first byte to the System object's closing brace: every value read is the System
# block's own (never an EventData field of the same name) and none is repeated. Strings are matched
# with ``[^"]*``: inside a JSON string every quote is escaped, and each quote the grammar expects
# next follows a character other than a backslash, so a match cannot end inside a string. The values
# read may hold no backslash or line break (an escape: not the decoded value).
#
# A record's first bytes are cut at three separators, each the first occurrence after the previous
# one (:meth:`bytes.partition`); each piece must fit its part of the grammar, so together they fit
# the whole (:data:`SYSTEM`, the reference the tests compare with) and every separator found is the
# System block's own key:
#
#   head: _HEAD provider .. "SystemTime":" + time (27 bytes) | "}},"EventRecordID":
#   | middle: record id, correlation, execution | "Channel":" | names: channel, computer, security | }
_S = rb'"[^"]*"'
_HEAD = b'{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"'
_PLAIN = rb'[^"\\\n]'  # a value read as it is written
_HEAD_PIECE = re.compile(
    re.escape(_HEAD) + b"(" + _PLAIN + rb'+)"(?:,"Guid":' + _S + rb')?(?:,"EventSourceName":' + _S + rb')?\}\},"EventID":'
    rb'(?:\{"#attributes":\{"Qualifiers":\d{1,10}\},"#text":(\d{1,10})\}|(\d{1,10})),'
    rb'(?:"Version":\d{1,10},)?(?:"Level":\d{1,10},)?(?:"Task":\d{1,10},)?(?:"Opcode":\d{1,10},)?(?:"Keywords":' + _S + rb",)?"
    rb'"TimeCreated":\{"#attributes":\{"SystemTime":"'
)
#: The parser writes every time with microseconds (``2021-04-26T15:03:05.992230Z``); a record with
#: a time in another spelling is read the full way.
_TIME = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
_TIME_SIZE = 27
_RECORD_KEY = b'"}},"EventRecordID":'
_RECORD = rb"[1-9]\d{0,18}"
#: After the record id: the optional correlation and execution elements.
_ELEMENTS = (
    rb'(?:"Correlation":(?:null|\{"#attributes":\{(?:"ActivityID":' + _S + rb")?(?:,?\"RelatedActivityID\":" + _S + rb")?\}\}),)?"
    rb'(?:"Execution":\{"#attributes":\{"ProcessID":\d{1,20},"ThreadID":\d{1,20}'
    rb'(?:,"(?:ProcessorID|SessionID|KernelTime|UserTime|ProcessorTime)":\d{1,20})*\}\},)?'
)
#: The record id (its digits: see :func:`system_columns`), then those elements (up to ``"Channel":"``).
_MIDDLE = re.compile(rb"\d{1,19}," + _ELEMENTS)
_CHANNEL_KEY = b'"Channel":"'
_COMPUTER_KEY = b'","Computer":"'
#: After the channel key, up to the first ``}``: channel, computer and the optional security element
#: (its user id: then the System object ends with two more braces, else with that one).
_NAMES = re.compile(
    b"(" + _PLAIN + b"+)" + re.escape(_COMPUTER_KEY) + b"(" + _PLAIN + b'*)"'
    rb'(?:,"Security":null|,"Security":\{"#attributes":\{"UserID":"[^"}]*(")|)'
)
#: The whole grammar in one pattern: what the pieces together must fit (the tests check they do).
SYSTEM = re.compile(
    _HEAD_PIECE.pattern + b"(" + _TIME + b")" + re.escape(_RECORD_KEY)
    + b"(" + _RECORD + b")," + _ELEMENTS + re.escape(_CHANNEL_KEY) + b"(" + _PLAIN + b"+)" + re.escape(_COMPUTER_KEY)
    + b"(" + _PLAIN + rb'*)"(?:,"Security":(?:null|\{"#attributes":\{"UserID":' + _S + rb"\}\}))?\}"
)
_ONE_TIME = re.compile(_TIME)
#: Digits do not change whether a middle piece fits (``\d`` and ``[^"]`` take any of them, and its
#: literal text holds none): its record, process and thread ids are set to zero before it is looked up.
_ZEROS = bytes.maketrans(b"123456789", b"000000000")
#: A record's first bytes hold its System block (~0.4-0.7 KB; one longer is read the full way): the
#: pieces are looked for there, so that each partition copies at most this much.
_FIRST_BYTES = itemgetter(slice(0, 1536))
_BEFORE_TIME, _TIME_OF = itemgetter(slice(0, -_TIME_SIZE)), itemgetter(slice(-_TIME_SIZE, None))
_TWO = itemgetter(slice(0, 2))
#: Pieces seen and what they hold (False: not in the grammar); emptied when they grow this large.
_REMEMBER = 4096
_heads: dict[bytes, tuple[str, bytes] | bool] = {}
_middles: dict[bytes, bool] = {}
_names: dict[bytes, tuple[str, str, bytes] | bool] = {}
#: JSON deeper than this is refused by orjson (a record the full path counts as an error).
_DEPTH = 1000
_LONG = 2 * _DEPTH


@dataclass(slots=True)
class SystemColumns:
    """Per record of a batch (index i): whether its System block was read (``ok``) and its fields,
    and the texts as UTF-8, each after a line break (no record holds a raw one), for byte scans."""

    texts: list[str]
    data: bytes
    ok: list[bool]
    providers: list[str]
    event_ids: list[bytes]  # the digits as written
    times: list[datetime]  # UTC, from 1971 to 2099 (the placeholder EPOCH_FLOOR where not ok)
    _middles: list[bytes]  # the record id and what follows it up to the Channel key
    channels: list[str]
    computers: list[str]
    _sizes: list[int]
    _starts: list[int] = field(default_factory=list)
    _record_ids: list[bytes] = field(default_factory=list)

    @property
    def record_ids(self) -> list[bytes]:
        """The record ids, digits as written (taken when first asked: only identities need them)."""
        if not self._record_ids and self._middles:
            self._record_ids = list(map(_FIRST, map(bytes.partition, self._middles, repeat(b","))))
        return self._record_ids

    def index_at(self, offset: int) -> int:
        """The record whose text holds byte ``offset`` of :attr:`data`."""
        return bisect_right(self._line_starts(), offset) - 1

    def raw(self, i: int) -> bytes:
        """Record ``i``'s text as UTF-8 (a slice of :attr:`data`)."""
        start = self._line_starts()[i] + 1
        return self.data[start : start + self._sizes[i]]

    def _line_starts(self) -> list[int]:
        if not self._starts:
            self._starts = list(accumulate(map((1).__add__, self._sizes), initial=0))
        return self._starts


def _head(piece: bytes) -> tuple[str, bytes] | bool:
    m = _HEAD_PIECE.fullmatch(piece)
    return (m.group(1).decode(), m.group(2) or m.group(3)) if m else False


def _middle(piece: bytes) -> bool:
    return _MIDDLE.fullmatch(piece) is not None


def _names_of(piece: bytes) -> tuple[str, str, bytes] | bool:
    m = _NAMES.fullmatch(piece)
    return (m.group(1).decode(), m.group(2).decode(), b"}}" if m.group(3) else b"") if m else False


#: What a table gives for a piece not seen yet (false, as False is for a piece that does not fit).
_UNSEEN = 0


def _look_up(cache: dict[bytes, Any], pieces: list[bytes], check: Callable[[bytes], Any]) -> list[Any]:
    """What each piece holds (a true value, or False when it does not fit): from ``cache``, pieces
    not seen before checked once and remembered."""
    found = list(map(cache.get, pieces, repeat(_UNSEEN)))
    if not all(found):
        for i, value in enumerate(found):
            if value is _UNSEEN:
                piece = pieces[i]
                value = cache.get(piece, _UNSEEN)  # seen earlier in this batch
                if value is _UNSEEN:
                    if len(cache) >= _REMEMBER:
                        cache.clear()
                    value = cache[piece] = check(piece)
                found[i] = value
    return found


def _fail(ok: list[bool], checks: Iterable[object]) -> None:
    """Mark not ok the records whose check is false (the rare path)."""
    for i, good in enumerate(checks):
        if not good:
            ok[i] = False


def _split(texts: Iterable[bytes], sep: bytes) -> tuple[list[bytes], list[bytes]]:
    """Each text's :meth:`bytes.partition` at ``sep``, as two columns (before it, after it)."""
    parts = list(map(bytes.partition, texts, repeat(sep)))
    return list(map(_FIRST, parts)), list(map(_THIRD, parts))


_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)


def system_columns(texts: list[str]) -> SystemColumns:
    """Read the System block of every text, one step at a time over the whole batch (each step one
    C-level pass — ``map`` of :meth:`bytes.partition`, a dict lookup...; no Python per record).
    The parser writes each key of an object once (a map per element, or ``_1``, ``_2``... suffixes
    for repeated elements), so the System block read is the one a decoder reads."""
    n = len(texts)
    enc = list(map(str.encode, texts))
    data = b"\n".join([b"", *enc])
    ok = [True] * n
    if not n:
        return SystemColumns(texts, data, ok, [], [], [], [], [], [], [])
    # Each partition finds the first occurrence of its separator after the previous one; when one is
    # missing, the pieces after it are empty and the last check fails.
    heads, rest = _split(map(_FIRST_BYTES, enc), _RECORD_KEY)
    found = _look_up(_heads, list(map(_BEFORE_TIME, heads)), _head)
    if not all(found):
        _fail(ok, found)
        found = [h or ("", b"0") for h in found]
    time_texts = list(map(_TIME_OF, heads))
    middles, rest = _split(rest, _CHANNEL_KEY)
    fits = _look_up(_middles, list(map(bytes.translate, middles, repeat(_ZEROS))), _middle)
    if not all(fits):
        _fail(ok, fits)
    if b'"EventRecordID":0' in data:  # a record id 0 (or written with a leading zero)
        _fail(ok, [not m.startswith(b"0") for m in middles])
    parts = list(map(bytes.partition, rest, repeat(b"}")))
    names = _look_up(_names, list(map(_FIRST, parts)), _names_of)
    ends = list(map(_SECOND, parts))
    if not all(names) or not all(ends):
        _fail(ok, map(all, zip(names, ends, strict=True)))
        names = [v or ("", "", b"") for v in names]
    closing = list(map(_THIRD, names))
    if any(closing):  # the security element's two closing braces after the first
        closed = list(map(contains, map(_TWO, map(_THIRD, parts)), closing))
        if not all(closed):
            _fail(ok, closed)
    # the times, checked in one pass
    if not _all_times(time_texts):
        _fail(ok, [_ONE_TIME.fullmatch(t) for t in time_texts])
        time_texts = [t if good else _NOT_READ for t, good in zip(time_texts, ok, strict=True)]
    times = _times(list(map(bytes.decode, time_texts)), ok)
    sizes = list(map(len, enc))
    if max(sizes) >= _LONG:
        for i in [i for i, size in enumerate(sizes) if size >= _LONG]:
            if enc[i].count(b"{") + enc[i].count(b"[") >= _DEPTH:
                ok[i] = False
    return SystemColumns(
        texts, data, ok, list(map(_FIRST, found)), list(map(_SECOND, found)), times, middles,
        list(map(_FIRST, names)), list(map(_SECOND, names)), sizes,
    )


_NOT_READ = b"1971-01-01T00:00:00Z"
#: The parser's usual spelling of a time, digits set to zero (checked for a whole batch at once).
_USUAL_TIME = b"0000-00-00T00:00:00.000000Z\n"


def _all_times(column: list[bytes]) -> bool:
    """Whether every value is a time in the grammar's form (:data:`_TIME`)."""
    joined = b"\n".join(column) + b"\n"
    return joined.translate(_ZEROS) == _USUAL_TIME * len(column)


def _times(texts: list[str], ok: list[bool]) -> list[datetime]:
    """``SystemTime`` values as :func:`evtx_file._utc_system_time` takes them; a record whose time it
    would not take (unparsable, before 1971, from 2100) is marked not ok."""
    parse = datetime.fromisoformat
    try:
        times = list(map(parse, texts))
    except ValueError:
        times = []
        for i, t in enumerate(texts):
            try:
                times.append(parse(t))
            except ValueError:
                times.append(EPOCH_FLOOR)
                ok[i] = False
    if times and (min(times) < EPOCH_FLOOR or max(times) >= TIME_CEILING):
        for i, ts in enumerate(times):
            if not EPOCH_FLOOR <= ts < TIME_CEILING:
                times[i] = EPOCH_FLOOR
                ok[i] = False
    return times
