"""Windows ``.evtx`` files through the ``evtx`` package (the Rust parser, records as JSON).

Why this wrapper: the parser refuses a file whose last chunk is cut short (a copy interrupted, a
collection that hit a size cap) and stops at the first broken chunk's records. We present such a
file padded with zeros to a whole chunk, so the records written before the cut are recovered, and we
count the records the parser could not read instead of stopping. Dirty files (header not updated
since the last write) are read chunk by chunk by the parser itself.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import islice, repeat
from operator import itemgetter
from typing import Any, BinaryIO

import evtx

from extriage.formats.event_record import (
    EPOCH_FLOOR,
    TIME_CEILING,
    EventRecord,
    as_int,
    as_text,
    cap,
    finish,
    name_positional,
    pick_time,
)
from extriage.formats.evtx_raw import RawChunk, used_size
from extriage.formats.evtx_system import SystemColumns, system_columns

try:  # orjson parses event JSON ~4x faster; the standard library is the fallback
    import orjson

    fast_loads: Callable[[str | bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    fast_loads = json.loads

MAGIC = b"ElfFile\x00"
HEADER = 4096
CHUNK = 65536


__all__ = [
    "SYSTEM_TIME", "ChunkView", "EvtxBatch", "EvtxError", "EvtxStats", "fast_loads", "iter_evtx", "iter_evtx_batches",
    "record_from_event_doc", "record_from_json",
]


class EvtxError(ValueError):
    """The file is not a readable EVTX file at all (one-line reason)."""


@dataclass(slots=True)
class EvtxStats:
    records: int = 0
    errors: int = 0  # records or chunks the parser reported as unreadable
    first_error: str = ""
    padded: bool = False  # the file ended inside a chunk; the tail was padded to recover records
    notes: list[str] = field(default_factory=list)


class ChunkView(io.RawIOBase):
    """A read-only view of an ``.evtx`` stream: its file header, then chunks ``[first, end)``, with
    zero bytes where the stream ends before a whole chunk (a file cut short: the records before the
    cut are recovered). Each chunk of an ``.evtx`` file is self-contained (its own string and template
    tables), so a view of some chunks parses to exactly those chunks' records."""

    def __init__(self, raw: BinaryIO, size: int, first: int, end: int) -> None:
        self._raw = raw
        self._size = size
        self._shift = first * CHUNK  # view offset HEADER + i -> stream offset HEADER + first*CHUNK + i
        self._total = HEADER + (end - first) * CHUNK
        self._pos = 0
        self._fd: int | None = None
        if isinstance(raw, io.BufferedReader) and isinstance(raw.raw, io.FileIO) and hasattr(os, "pread"):
            self._fd = raw.fileno()  # a plain file: read at an offset, no seek and no buffer copy

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._total}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        want = self._total - self._pos if size is None or size < 0 else min(size, max(0, self._total - self._pos))
        src = self._pos + self._shift
        if self._pos >= HEADER and src + want <= self._size:  # the common case: one piece, no copy
            if self._fd is not None:
                data = os.pread(self._fd, want, src)
            else:
                self._raw.seek(src)
                data = self._raw.read(want)
            if len(data) == want:
                self._pos += want
                return data
        buf = bytearray(want)
        return bytes(buf[: self.readinto(buf)])

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf).cast("B")
        want = min(len(view), max(0, self._total - self._pos))
        got = 0
        while got < want:
            pos = self._pos + got
            # one piece at a time: the header maps to itself, the chunks are shifted
            piece = min(want - got, HEADER - pos) if pos < HEADER else want - got
            src = pos if pos < HEADER else pos + self._shift
            have = max(0, min(piece, self._size - src))
            if have:
                self._raw.seek(src)
                have = _read_into(self._raw, view[got : got + have])
            if have < piece:
                view[got + have : got + piece] = bytes(piece - have)
            got += piece
        self._pos += got
        return got


def _read_into(raw: BinaryIO, buf: memoryview) -> int:
    """Fill ``buf`` from ``raw`` (fewer bytes only at its end), without an intermediate copy."""
    readinto = getattr(raw, "readinto", None)
    if readinto is None:  # a stream without readinto (any BinaryIO will do)
        data = raw.read(len(buf))
        buf[: len(data)] = data
        return len(data)
    got = 0
    while got < len(buf):
        n = readinto(buf[got:])
        if not n:
            break
        got += n
    return got


def check_header(head: bytes, name: str) -> None:
    if len(head) == 0:
        raise EvtxError(f"{name} is empty (0 bytes): no events")
    if not head.startswith(MAGIC):
        raise EvtxError(f"{name} is not an EVTX file (no 'ElfFile' signature)")
    if len(head) < HEADER:
        raise EvtxError(f"{name} is cut short inside its file header ({len(head)} bytes): no events can be read")


def padded_size(size: int) -> int:
    body = size - HEADER
    if body <= 0 or body % CHUNK == 0:
        return size
    return HEADER + (body // CHUNK + 1) * CHUNK


def chunk_count(size: int) -> int:
    """How many chunks a file of ``size`` bytes holds (a last chunk cut short counts)."""
    return max(0, padded_size(size) - HEADER) // CHUNK


def iter_evtx(
    stream: BinaryIO,
    size: int,
    name: str,
    stats: EvtxStats,
    path: str | None = None,
    chunks: tuple[int, int] | None = None,
) -> Iterator[EventRecord]:
    """Yield every readable record of an open, seekable ``.evtx`` stream as an :class:`EventRecord`.

    Raises :class:`EvtxError` when the file is not EVTX at all; problems inside are counted in ``stats``.
    ``path`` (a real file on disk) lets the parser read it natively when no padding is needed.
    ``chunks`` = ``(first, end)`` reads only those chunks (the file header, then chunks
    ``first..end-1``), so several workers can share one large file; the records and problems of all
    parts, in order, are those of the whole file.
    """
    for batch in iter_evtx_batches(stream, size, name, stats, path, chunks):
        if isinstance(batch, RawChunk):  # pragma: no cover - only with raw=
            continue
        for i in range(len(batch.texts)):
            rec = batch.record(i)
            if rec is not None:
                yield rec


#: Records handed over per batch (one join and one System-block scan each; ~1 MB of JSON text).
BATCH = 512


def iter_evtx_batches(
    stream: BinaryIO,
    size: int,
    name: str,
    stats: EvtxStats,
    path: str | None = None,
    chunks: tuple[int, int] | None = None,
    batch: int = BATCH,
    raw: Callable[[Callable[[], bytes]], RawChunk | None] | None = None,
) -> Iterator[EvtxBatch | RawChunk]:
    """The records of :func:`iter_evtx` as :class:`EvtxBatch` es of the parser's JSON texts, decoded only
    when asked (:meth:`EvtxBatch.record`), so a consumer can screen a whole batch with one C-level
    pass and decode only the records that matter. A parser error ends the batch before it, so errors
    are counted in ``stats`` in the order :func:`iter_evtx` counts them.

    ``raw`` (``EventCollector.raw_chunk``) is offered each whole chunk first (a function reading its
    used bytes, called only if it wants them): what it returns (a chunk read without the parser, :mod:`evtx_raw`) is yielded in the chunk's place and
    its records counted; the chunks it declines are parsed, runs of them by one parser each, so the
    records come in file order and the parser reads each chunk as it reads it in the whole file."""
    stream.seek(0)
    check_header(stream.read(HEADER), name)
    stream.seek(0)
    total = padded_size(size)
    count = chunk_count(size)
    first, end = chunks if chunks is not None else (0, count)
    first, end = max(0, first), min(end, count)
    source: Any = path if path is not None else stream
    if total != size and end == count:
        stats.padded = True
        stats.notes.append(f"file ends inside a chunk ({size:,} bytes); records before the cut were recovered")
    if raw is not None:
        if end <= first:
            return
        _parser(ChunkView(stream, size, first, end), name)  # a file the parser refuses is refused before any record
        whole = path if path is not None and (first, end) == (0, count) and total == size else None
        yield from _mixed(stream, size, name, stats, first, end, batch, raw, whole)
        return
    if (first, end) != (0, count) or total != size:
        if end <= first:
            return
        # unbuffered: the parser reads a chunk in four pieces (8, 8, 16, 32 KB), each one read here
        source = ChunkView(stream, size, first, end)
    yield from _parsed(_parser(source, name), stats, batch)


def _parser(source: Any, name: str = "") -> Any:
    try:
        return evtx.PyEvtxParser(source, number_of_threads=1)
    except (OSError, RuntimeError, ValueError) as exc:
        raise EvtxError(f"{name} cannot be parsed as EVTX: {exc}") from None


def _mixed(stream: BinaryIO, size: int, name: str, stats: EvtxStats, first: int, end: int, batch: int,
           raw: Callable[[Callable[[], bytes]], RawChunk | None], whole: str | None = None) -> Iterator[EvtxBatch | RawChunk]:
    """Chunks ``first..end-1``: each offered to ``raw``, the runs it declines parsed (``whole``: the
    file's path, read natively by the parser when one run is the whole file, as without ``raw``)."""
    fd: int | None = None
    if isinstance(stream, io.BufferedReader) and isinstance(stream.raw, io.FileIO) and hasattr(os, "pread"):
        fd = stream.fileno()
    run = -1  # the first chunk of the run the parser is to read
    for i in range(first, end):
        at = HEADER + i * CHUNK
        got = raw(partial(_used_part, stream, fd, at)) if at + CHUNK <= size else None
        if got is None:
            if run < 0:
                run = i
            continue
        if run >= 0:
            yield from _parsed(_parser(ChunkView(stream, size, run, i), name), stats, batch)
            run = -1
        stats.records += got.records
        yield got
    if run >= 0:
        source: Any = whole if whole is not None and run == first else ChunkView(stream, size, run, end)
        yield from _parsed(_parser(source, name), stats, batch)


def _used_part(stream: BinaryIO, fd: int | None, at: int) -> bytes:
    """A whole chunk's header, then only its used part (b"" when it is not a chunk read raw): the
    header read to learn the used size, then the chunk up to it in one read (no copy joining them)."""
    want = used_size(_read_at(stream, fd, at, 512))
    return _read_at(stream, fd, at, want) if want else b""


def _read_at(stream: BinaryIO, fd: int | None, at: int, size: int) -> bytes:
    if fd is not None:
        return os.pread(fd, size, at)
    stream.seek(at)
    return stream.read(size)


def _parsed(parser: Any, stats: EvtxStats, batch: int) -> Iterator[EvtxBatch]:
    """The parser's records in batches, its errors counted in order (see :func:`iter_evtx_batches`)."""
    it = parser.records_json()
    items: list[Any] = []  # the parser's records: {"event_record_id", "timestamp", "data"}
    while True:
        try:
            # records taken in C (list.extend keeps those read before an error is raised)
            items.extend(islice(it, batch - len(items)))
        except Exception as exc:  # the parser reports a broken chunk/record and goes on
            if items:  # the records before it first (their own problems are counted before this one)
                stats.records += len(items)
                yield _batch(items, stats)
                items = []
            stats.errors += 1
            if not stats.first_error:
                stats.first_error = str(exc).splitlines()[0][:300]
            if stats.errors > 100_000:
                break
            continue
        if len(items) < batch:  # the parser's records ended
            break
        stats.records += len(items)
        yield _batch(items, stats)
        items = []
    if items:
        stats.records += len(items)
        yield _batch(items, stats)


_DATA = itemgetter("data")


def _batch(items: list[Any], stats: EvtxStats) -> EvtxBatch:
    return EvtxBatch(list(map(_DATA, items)), list(map(dict.get, items, repeat("event_record_id"))), stats)


class EvtxBatch:
    """Consecutive records as the parser renders them (JSON texts and its record numbers)."""

    __slots__ = ("ids", "stats", "texts")

    def __init__(self, texts: list[str], ids: list[Any], stats: EvtxStats) -> None:
        self.texts = texts
        self.ids = ids
        self.stats = stats

    def record(self, i: int) -> EventRecord | None:
        """Record ``i`` decoded and normalised (None when it is not an event); a record that cannot
        be decoded is counted in the stats, as :func:`iter_evtx` counts it."""
        try:
            return record_from_json(self.texts[i], int(self.ids[i] or 0))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError) as exc:
            self.stats.errors += 1
            if not self.stats.first_error:
                self.stats.first_error = f"record {self.ids[i]}: {exc}"
            return None

    def system(self) -> SystemColumns:
        """The System fields of every record, read from the JSON texts without decoding them."""
        return system_columns(self.texts)


def record_from_json(text: str, record_id: int) -> EventRecord | None:
    """Normalise one record as the ``evtx`` package renders it to JSON."""
    return record_from_event_doc(fast_loads(text), record_id, text)


def record_from_event_doc(doc: Any, record_id: int, text: str) -> EventRecord | None:
    """Normalise ``{"Event": {"System": ..., "EventData": ...}}`` (evtx / ``evtx_dump`` JSON)."""
    event = doc.get("Event") if isinstance(doc, dict) else None
    if not isinstance(event, dict):
        return None
    system: dict[str, Any] = event.get("System") or {}
    provider_node = system.get("Provider") or {}
    attrs = provider_node.get("#attributes", {}) if isinstance(provider_node, dict) else {}
    provider = as_text(attrs.get("Name") or attrs.get("EventSourceName") or "")
    channel = as_text(system.get("Channel"))
    event_id = as_int(system.get("EventID"))
    tc = system.get("TimeCreated") or {}
    sys_time = tc.get("#attributes", {}).get("SystemTime") if isinstance(tc, dict) else None
    ts = _utc_system_time(sys_time)
    if ts is not None:  # the parser's usual spelling, as pick_time would take it
        ts_field = SYSTEM_TIME
    else:
        ts, ts_field = pick_time([(SYSTEM_TIME, sys_time)])
    data = _event_data(event, provider, channel, event_id)
    message = ""
    rendered = event.get("RenderingInfo")
    if isinstance(rendered, dict):
        message = as_text(rendered.get("Message"))
    rec = EventRecord(
        channel=channel,
        provider=provider,
        event_id=event_id,
        level=as_int(system.get("Level")),
        record_id=as_int(system.get("EventRecordID")) or record_id,
        computer=as_text(system.get("Computer")),
        time=ts,
        time_field=ts_field,
        data=data,
        message=message,
        position=record_id,
        raw=cap(text),
    )
    return finish(rec)


SYSTEM_TIME = "System.TimeCreated.SystemTime"


def _utc_system_time(value: Any) -> datetime | None:
    """``SystemTime`` as the parser writes it (``2021-04-26T15:03:05.992230Z``) when it is a UTC time
    from 1971 to 2099 — exactly when :func:`pick_time` would take it as is; else None (ask pick_time)."""
    if type(value) is not str or len(value) > 32 or not value[:4].isdigit() or value[-1:] != "Z":
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return None
    return ts if ts.tzinfo is UTC and EPOCH_FLOOR <= ts < TIME_CEILING else None


def _event_data(event: dict[str, Any], provider: str, channel: str, event_id: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ed = event.get("EventData")
    if isinstance(ed, dict):
        data_node = ed.get("Data")
        if data_node is not None and len(ed) <= 2:  # unnamed <Data> values (and maybe Binary)
            values = data_node.get("#text") if isinstance(data_node, dict) else data_node
            if not isinstance(values, list):
                values = [values]
            out.update(name_positional(provider, channel, event_id, values))
        else:  # named data: values are used as decoded (consumers convert with as_text)
            out = ed
            out.pop("#attributes", None)
    elif ed is not None:
        out["Data0"] = as_text(ed)
    ud = event.get("UserData")
    if isinstance(ud, dict):  # e.g. Security 1102 <LogFileCleared>, System 104
        for inner in ud.values():
            if isinstance(inner, dict):
                for key, value in inner.items():
                    if key != "#attributes":
                        out.setdefault(key, as_text(value))
    return out
