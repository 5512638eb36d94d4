"""The System block of ``.evtx`` records read from the parser's JSON texts, a batch at a time.

Why: decoding each record's JSON (``orjson``) and normalising it costs more than the parser itself,
yet most records of a server's log only add to the coverage (channel, time, computer, record id).
One regex pass over a batch's joined texts reads those fields for every record in the parser's own
spelling; a record whose System block is not in exactly that shape is marked not ``ok`` and must be
read the full way. For an ``ok`` record the columns hold exactly what :func:`evtx_file.record_from_json`
would put in its :class:`EventRecord` (provider, event id, UTC time, record id, channel, computer).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate

from extriage.formats.event_record import EPOCH_FLOOR, TIME_CEILING

# The parser writes compact JSON in the XML's element order. The match starts at the record's first
# byte and ends with the System object's closing brace, so every captured value is the System
# block's own (never an EventData field of the same name) and none is repeated. Strings are matched
# with ``[^"]*`` (sre's fastest loop): inside a JSON string every quote is escaped, and each quote the
# pattern expects next follows a character other than a backslash, so a match cannot end inside a
# string; a captured string holding a backslash or a line break (an escape: not the decoded value)
# makes its record not ``ok``. A record in another shape (an unusual element) does not match and is
# read the full way.
_S = rb'"[^"]*"'
SYSTEM = re.compile(
    rb'\n\{"Event":\{"#attributes":\{"xmlns":"http://schemas\.microsoft\.com/win/2004/08/events/event"\},'
    rb'"System":\{"Provider":\{"#attributes":\{"Name":"([^"]+)"(?:,"Guid":' + _S + rb")?(?:,\"EventSourceName\":" + _S + rb")?\}\},"
    rb'"EventID":(?P<q>\{"#attributes":\{"Qualifiers":\d{1,10}\},"#text":)?(\d{1,10})(?(q)\}),'
    rb'(?:"Version":\d{1,10},)?(?:"Level":\d{1,10},)?(?:"Task":\d{1,10},)?(?:"Opcode":\d{1,10},)?(?:"Keywords":' + _S + rb",)?"
    rb'"TimeCreated":\{"#attributes":\{"SystemTime":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)"\}\},'
    rb'"EventRecordID":([1-9]\d{0,18}),'
    rb'(?:"Correlation":(?:null|\{"#attributes":\{(?:"ActivityID":' + _S + rb")?(?:,?\"RelatedActivityID\":" + _S + rb")?\}\}),)?"
    rb'(?:"Execution":\{"#attributes":\{"ProcessID":\d{1,20},"ThreadID":\d{1,20}'
    rb'(?:,"(?:ProcessorID|SessionID|KernelTime|UserTime|ProcessorTime)":\d{1,20})*\}\},)?'
    rb'"Channel":"([^"]+)","Computer":"([^"]*)"(?:,"Security":(?:null|\{"#attributes":\{"UserID":' + _S + rb"\}\}))?\}"
)
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
    record_ids: tuple[bytes, ...]  # the digits as written
    channels: list[str]
    computers: list[str]
    _sizes: list[int]
    _starts: list[int] = field(default_factory=list)

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


_NOT_READ = (b"", b"", b"0", b"1971-01-01T00:00:00Z", b"0", b"", b"")
_ESCAPED = (b"\\", b"\n")


def system_columns(texts: list[str]) -> SystemColumns:
    """Read the System block of every text (one regex pass over the joined batch when all are in
    the parser's usual shape, record by record otherwise). The parser writes each key of an object
    once (a map per element, or ``_1``, ``_2``... suffixes for repeated elements), so the System
    block matched is the one a decoder reads."""
    n = len(texts)
    encoded = list(map(str.encode, texts))
    data = b"\n".join([b"", *encoded])
    found: list[tuple[bytes, ...]] = SYSTEM.findall(data)
    if len(found) == n:
        ok = [True] * n
        rows: list[tuple[bytes, ...]] = found
    else:  # some record is not in the usual shape
        matches = [SYSTEM.match(b"\n" + t) for t in encoded]
        ok = [m is not None for m in matches]
        rows = [m.groups() if m is not None else _NOT_READ for m in matches]
    (providers, _opener, event_ids, time_texts, record_ids, channels, computers) = (
        zip(*rows, strict=True) if rows else ((),) * 7
    )
    times = _times(list(map(bytes.decode, time_texts)), ok)
    sizes = list(map(len, encoded))
    if n and max(sizes) >= _LONG:
        for i in [i for i, size in enumerate(sizes) if size >= _LONG]:
            if encoded[i].count(b"{") + encoded[i].count(b"[") >= _DEPTH:
                ok[i] = False
    return SystemColumns(
        texts, data, ok, _decoded(providers, ok), list(event_ids), times, record_ids,
        _decoded(channels, ok), _decoded(computers, ok), sizes,
    )


def _decoded(column: tuple[bytes, ...], ok: list[bool]) -> list[str]:
    """A column of UTF-8 values as text, each distinct value decoded once; a record whose value holds
    an escape (its decoded value would differ) is marked not ok."""
    text = {v: v.decode() for v in set(column)}
    bad = {v for v in text if any(e in v for e in _ESCAPED)}
    if bad:
        for i, v in enumerate(column):
            if v in bad:
                ok[i] = False
    return list(map(text.__getitem__, column))


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
