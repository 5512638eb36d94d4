"""Windows events exported from a SIEM or PowerShell, read as a stream in bounded memory.

Shapes recognised by content, not by file name (responders rename exports freely):

* JSON lines, one event per line, as Winlogbeat / Elastic ECS (``winlog.event_data.*``), as
  flattened datasets (event data at the top level beside ``EventID``, ``Channel``, ``Hostname``,
  e.g. OTRF Security-Datasets / nxlog), as ``Get-WinEvent | ConvertTo-Json -Compress`` objects,
  or as ``evtx_dump`` JSON (``{"Event": {"System": ...}}``);
* a JSON array or concatenated pretty-printed objects (``Get-WinEvent | ConvertTo-Json``), also in
  UTF-16 as Windows PowerShell 5.1 writes it;
* CSV from ``Get-WinEvent | Export-Csv`` or Event Viewer's "Save as CSV".

Lines that are JSON but not events, or not JSON at all, are counted (the caller reports them) and
the rest of the file is read.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from extriage.evidence.reading import MAX_LINE, HashingReader, iter_lines
from extriage.formats.event_record import (
    TIME_CEILING,
    EventRecord,
    as_int,
    as_text,
    cap,
    finish,
    level_from_name,
    name_positional,
    parse_time,
    pick_time,
    zoned_utc,
)
from extriage.formats.evtx_file import fast_loads, record_from_event_doc

SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 4 * 1024 * 1024
#: A single JSON value in an array/stream larger than this is not buffered; the file stops there.
MAX_OBJECT = 16 * 1024 * 1024

_EVENT_KEYS = ("EventID", "EventId", "event_id", "eventid", "EventCode")
_CSV_EXPORT_HEADERS = ({"id", "providername", "timecreated"}, {"level", "date and time", "source", "event id"})
#: Channel of a provider when an export does not say (Event Viewer CSV, some flattened sets).
_PROVIDER_CHANNEL = {
    "microsoft-windows-security-auditing": "Security",
    "microsoft-windows-sysmon": "Microsoft-Windows-Sysmon/Operational",
    "msexchange cmdletlogs": "MSExchange Management",
    "microsoft-windows-powershell": "Microsoft-Windows-PowerShell/Operational",
}
#: Labels of rendered messages whose squeezed name differs from the event-data name.
_MESSAGE_ALIASES = {
    "ProcessCommandLine": "CommandLine",
    "CreatorProcessName": "ParentProcessName",
    "SourceNetworkAddress": "IpAddress",
    "SourceAddress": "IpAddress",
    "NetworkAddress": "IpAddress",  # 4648
    "AdditionalInformation": "TargetInfo",  # 4648
}
_MSG_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,40}?):\s?(.*)$")


@dataclass(slots=True)
class ExportStats:
    kind: str = ""  # "jsonl", "json", "csv"
    lines: int = 0
    events: int = 0
    not_events: int = 0  # valid JSON/CSV rows that are not Windows events
    bad: int = 0  # unparsable lines
    long_lines: int = 0
    first_problem: str = ""

    def problem(self, text: str) -> None:
        if not self.first_problem:
            self.first_problem = text


def sniff(head: bytes) -> str:
    """Say which export shape ``head`` (the first bytes of a file) is: "jsonl", "json", "csv" or "".

    Damage at the start does not hide an export: a first line that is an exporter's comment
    (``# exported by nxlog``), ``null``, a bare number or a cut-off record is passed over when a later
    whole line of the head is an event; the reader then counts the damaged line and goes on."""
    text = _decode_head(head)
    if text is None:
        return ""
    stripped = text.lstrip()
    if not stripped:
        return ""
    lines = _whole_lines(stripped)
    # JSON lines: an export if any whole line in the head is an event (others are counted by the reader)
    if any((o := _json_object(line)) is not None and _looks_like_event(o) for line in lines[:_SNIFF_LINES]):
        return "jsonl"
    first_line = stripped.split("\n", 1)[0].strip()
    if stripped[0] == "{" and _json_object(first_line) is not None:
        return ""  # JSON lines, but none of the head's lines is an event (see json_shape)
    window = stripped[:SNIFF_BYTES]
    if _EVENT_KEY.search(window):
        # a JSON array, pretty-printed objects or one long line — possibly after a damaged start
        starts = [line.lstrip()[:1] for line in stripped.split("\n")[:_SNIFF_LINES]]
        if "[" in starts or "{" in starts:
            return "json"
    for row in stripped.split("\n")[:_SNIFF_LINES]:
        if row.startswith("#"):  # Export-Csv's "#TYPE System.Diagnostics.Eventing.Reader..." line
            continue
        header = {h.strip().strip('"').lower() for h in row.split(",")}
        for required in _CSV_EXPORT_HEADERS:
            if required <= header:
                return "csv"
        break
    return ""


#: Lines of the head looked at by :func:`sniff`.
_SNIFF_LINES = 200
_EVENT_KEY = re.compile(r'"(EventID|EventId|event_id|Id|winlog|ProviderName|LogName|Channel)"\s*:')


@dataclass(frozen=True, slots=True)
class JsonShape:
    """What a file that :func:`sniff` did not take for an event export looks like, if it is JSON."""

    kind: str  # "jsonl": the first line is one whole JSON object; "json": an array / spread-out value; "" not JSON
    object_lines: int = 0  # whole lines in the head that are JSON objects (for "jsonl")


def json_shape(head: bytes) -> JsonShape:
    """Say whether ``head`` starts JSON data — JSON lines of objects, or a JSON array or object spread
    over lines — whether or not it holds Windows events. Such a file can be read as ``kind`` with
    :func:`iter_export` to find out (the stats then count its event and non-event records)."""
    text = _decode_head(head)
    if text is None:
        return JsonShape("")
    stripped = text.lstrip()
    if not stripped:
        return JsonShape("")
    lines = sum(1 for line in _whole_lines(stripped)[:_SNIFF_LINES] if _json_object(line) is not None)
    if lines and (stripped[0] == "{" or lines >= 2):  # (a damaged first line is counted by the reader)
        return JsonShape("jsonl", lines)
    if stripped[0] in "[{":
        return JsonShape("json")
    return JsonShape("")


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        obj = fast_loads(line)  # orjson: a 1,000,000-level nesting is an error, not a RecursionError
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _whole_lines(text: str) -> list[str]:
    """The non-empty lines of ``text`` that end with a newline (the last one may be cut by the head)."""
    return [line.strip() for line in text.split("\n")[:-1] if line.strip()]


def _decode_head(head: bytes) -> str | None:
    enc = _encoding(head)
    try:
        text = head.decode(enc, errors="strict" if enc != "utf-8" else "replace")
    except UnicodeDecodeError:
        text = head[: len(head) - (len(head) % 2)].decode(enc, errors="replace")
    text = text.lstrip("\ufeff").lstrip("\x00")  # (zeros before the data: an unclean shutdown)
    if text.count("\x00") > len(text) // 4:  # binary (or mis-detected encoding); damaged lines are counted
        return None
    return text


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return "utf-16-le"
    return "utf-8"


def _looks_like_event(obj: dict[str, Any]) -> bool:
    if "winlog" in obj and isinstance(obj["winlog"], dict):
        return True
    if isinstance(obj.get("Event"), dict) and "System" in obj["Event"]:
        return True
    if "Id" in obj and ("ProviderName" in obj or "LogName" in obj):
        return True
    return any(k in obj for k in _EVENT_KEYS)


# -- readers -------------------------------------------------------------------------------------------


def iter_export(reader: HashingReader, kind: str, head: bytes, stats: ExportStats) -> Iterator[EventRecord]:
    """Yield events from an export of shape ``kind`` (from :func:`sniff`). ``head`` is unused bytes
    already read from ``reader`` (the sniff window); they are read again from it here."""
    stats.kind = kind
    enc = _encoding(head)
    if kind == "jsonl" and enc in ("utf-8", "utf-8-sig"):
        yield from _jsonl_utf8(_Prepend(head, reader), stats)
    elif kind in ("jsonl", "json"):
        yield from _json_stream(_text_chunks(_Prepend(head, reader), enc), stats)
    elif kind == "csv":
        yield from _csv_rows(_text_chunks(_Prepend(head, reader), enc), stats)


class _Prepend:
    """Read ``head`` first, then the rest of ``reader`` (so the sniffed bytes are not read twice)."""

    def __init__(self, head: bytes, reader: HashingReader) -> None:
        self._head = head
        self._reader = reader

    def read(self, n: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        return self._reader.read(n)


def _jsonl_utf8(stream: _Prepend, stats: ExportStats) -> Iterator[EventRecord]:
    return jsonl_records(iter_lines(stream), stats)  # type: ignore[arg-type]


def iter_jsonl_range(fh: BinaryIO, start: int, end: int, stats: ExportStats) -> Iterator[EventRecord]:
    """Events of the JSON lines that *begin* in bytes ``[start, end)`` of a seekable UTF-8 file, with
    their true line numbers — so one large export can be read by several workers at once."""
    stats.kind = "jsonl"
    return jsonl_records(_range_lines(fh, start, end), stats)


def _range_lines(fh: BinaryIO, start: int, end: int) -> Iterator[tuple[int, bytes, bool]]:
    lineno = 0
    if start > 0:
        fh.seek(0)
        left = start - 1
        while left > 0:  # count the lines before the range (C speed)
            chunk = fh.read(min(CHUNK_BYTES, left))
            if not chunk:
                return
            lineno += chunk.count(b"\n")
            left -= len(chunk)
        prev = fh.read(1)
        if prev != b"\n":  # the range starts inside a line: it belongs to the previous range
            pos = start
            while True:
                chunk = fh.read(CHUNK_BYTES)
                if not chunk:
                    return
                nl = chunk.find(b"\n")
                if nl >= 0:
                    pos += nl + 1
                    fh.seek(pos)
                    break
                pos += len(chunk)
            if pos >= end:
                return
            lineno += 1
            start = pos
        else:
            lineno += 1  # the newline just before ``start`` ends line ``lineno``
    else:
        fh.seek(0)
    offset = start
    pending = b""
    skipping = False
    while offset < end or pending:
        chunk = fh.read(CHUNK_BYTES)
        if not chunk:
            break
        data = pending + chunk if pending else chunk
        base = offset - len(pending)
        pos = 0
        while True:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            if base + pos >= end:
                return
            if skipping:
                skipping = False
            else:
                lineno += 1
                yield lineno, data[pos:nl].rstrip(b"\r"), False
            pos = nl + 1
        pending = data[pos:]
        offset += len(chunk)
        if base + pos >= end:
            return
        if len(pending) > MAX_LINE and not skipping:
            lineno += 1
            yield lineno, pending[:MAX_LINE], True
            skipping = True
        if skipping:
            pending = b""
    if pending and not skipping and offset - len(pending) < end:
        lineno += 1
        yield lineno, pending.rstrip(b"\r"), False


def jsonl_records(lines: Iterator[tuple[int, bytes, bool]], stats: ExportStats) -> Iterator[EventRecord]:
    loads = fast_loads  # orjson: ~4x faster than json.loads on event lines; ValueError subclasses
    for lineno, line, truncated in lines:
        stats.lines += 1
        if truncated:
            stats.long_lines += 1
            stats.problem(f"line {lineno} is longer than {MAX_LINE:,} bytes and was not read")
            continue
        if lineno == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[3:]
        if not line or line.isspace():  # (no strip(): that copies every line)
            continue
        try:
            obj = loads(line)
        except ValueError:
            stats.bad += 1
            stats.problem(f"line {lineno} is not valid JSON")
            continue
        rec: EventRecord | None
        try:
            if type(obj) is dict and "EventID" in obj and obj.get("winlog") is None:
                rec = _flat_record(obj, lineno, line)  # record_from_object's first case, directly
            else:
                rec = record_from_object(obj, lineno, None, line)
        except _RECORD_ERRORS as exc:
            _damaged_record(lineno, exc, stats)
            continue
        if rec is None:
            stats.not_events += 1
            continue
        stats.events += 1
        yield rec


def _text_chunks(stream: _Prepend, enc: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(enc)(errors="replace")
    first = True
    while True:
        data = stream.read(4 * 1024 * 1024)
        text = decoder.decode(data, final=not data)
        if first and text:
            text = text.lstrip("\ufeff")
            first = False
        if text:
            yield text
        if not data:
            return


def _json_stream(chunks: Iterator[str], stats: ExportStats) -> Iterator[EventRecord]:
    """Decode a JSON array, JSON lines or concatenated objects one value at a time."""
    for line, raw, obj in _json_values(chunks, stats):
        stats.lines += 1
        items = obj if isinstance(obj, list) else [obj]
        for item in items:
            try:
                rec = record_from_object(item, line, raw, None)
            except _RECORD_ERRORS as exc:
                _damaged_record(line, exc, stats)
                continue
            if rec is None:
                stats.not_events += 1
            else:
                stats.events += 1
                yield rec


#: What a record of a shape the normaliser cannot take (hostile nesting, wrong types) raises: it is
#: counted as damaged (``stats.bad``) and the file goes on.
_RECORD_ERRORS = (RecursionError, ValueError, TypeError, AttributeError, KeyError, OverflowError)


def _damaged_record(position: int, exc: Exception, stats: ExportStats) -> None:
    stats.bad += 1
    stats.problem(f"the record at line {position} could not be read ({type(exc).__name__})")


_SKIP = re.compile(r"[\s,\[\]]*")  # between top-level values: white space, array brackets, commas


def _json_values(chunks: Iterator[str], stats: ExportStats) -> Iterator[tuple[int, str, Any]]:
    """The top-level values of a JSON text (the elements of a top-level array), one at a time, in
    memory bounded by the chunk size plus the largest value (MAX_OBJECT): ``(line, raw text, value)``.

    Damage costs one record, not the file: where a value cannot be decoded (cut off, NUL bytes,
    junk, nesting too deep for the decoder), it is counted in ``stats.bad`` and decoding resumes at
    the next ``{`` that can start a record — one not preceded by ``:``, i.e. not a nested value;
    decoded objects met while resynchronising that are not events are passed over (parts of the
    damaged record). After a value nested too deeply, decoding resumes after the next ``}``, so a
    1,000,000-level nesting costs one pass over it, not one attempt per level."""
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    line = 1
    exhausted = False

    def refill() -> bool:
        nonlocal buf, pos, exhausted
        if exhausted:
            return False
        more = next(chunks, None)
        if more is None:
            exhausted = True
            return False
        buf = buf[pos:] + more
        pos = 0
        return True

    def decode(at: int) -> tuple[str, Any, int]:
        """("ok", value, end) / ("more", None, 0): cut by the buffer end / ("deep", None, 0) /
        ("cut", None, _): cut by the end of the file / ("bad", None, error position)."""
        try:
            obj, end = decoder.raw_decode(buf, at)
        except RecursionError:
            return "deep", None, 0
        except json.JSONDecodeError as exc:
            cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(buf) - 1
            if cut and not exhausted and len(buf) - at < MAX_OBJECT:
                return "more", None, 0
            return ("cut" if cut and exhausted else "bad"), None, exc.pos
        except ValueError:  # e.g. an integer with more digits than Python converts
            return "bad", None, at
        return "ok", obj, end

    resync = False  # looking for the next record start after damage
    after_close = False  # after a too-deep value: first skip to the next "}"
    while True:
        if after_close:
            k = buf.find("}", pos)
            if k < 0:
                line += buf.count("\n", pos)
                pos = len(buf)
                if not refill():
                    return
                continue
            line += buf.count("\n", pos, k)
            pos = k + 1
            after_close = False
        if resync:
            k = _record_start(buf, pos)
            if k < 0:
                line += buf.count("\n", pos)
                kept = 1 if buf else 0  # keep the last character: it tells whether a "{" after it is nested
                pos = len(buf) - kept
                if not refill():
                    return
                pos = kept  # (searched from after it; a newline in it is counted already)
                continue
            line += buf.count("\n", pos, k)
            pos = k
        else:
            m = _SKIP.match(buf, pos)
            end_ws = m.end() if m else pos
            line += buf.count("\n", pos, end_ws)
            pos = end_ws
            if pos >= len(buf):
                if not refill():
                    return
                continue
        status, obj, end = decode(pos)
        if status == "more":
            refill()
            continue
        if status == "ok":
            raw = buf[pos:end]
            if resync and not (isinstance(obj, dict) and _looks_like_event(obj)):
                line += raw.count("\n")  # a part of the damaged record: pass over it
                pos = end
                continue
            resync = False
            yield line, raw, obj
            line += raw.count("\n")
            pos = end
            continue
        if not resync:  # the damage starts here
            stats.bad += 1
            if status == "deep":
                stats.problem(f"a JSON value near line {line} is nested too deeply; it was skipped")
            elif len(buf) - pos >= MAX_OBJECT:
                stats.problem(
                    f"a JSON value near line {line} is invalid or larger than {MAX_OBJECT:,} characters; it was skipped"
                )
            elif status == "cut":
                stats.problem(f"the JSON value near line {line} is cut off at the end of the file")
            else:
                stats.problem(f"invalid JSON near line {line}; skipped to the next record")
            resync = True
        if status == "deep":
            after_close = True
        line += buf.count("\n", pos, pos + 1)
        pos += 1


def _record_start(buf: str, start: int) -> int:
    """The index of the next ``{`` at or after ``start`` that is not a nested value (not preceded,
    white space aside, by ``:``), or -1."""
    i = buf.find("{", start)
    while i >= 0:
        j = i - 1
        while j >= 0 and buf[j] in " \t\r\n":
            j -= 1
        if j < 0 or buf[j] != ":":
            return i
        i = buf.find("{", i + 1)
    return -1


def _csv_rows(chunks: Iterator[str], stats: ExportStats) -> Iterator[EventRecord]:
    def lines() -> Iterator[str]:
        pending = ""
        for chunk in chunks:
            data = pending + chunk
            parts = data.split("\n")
            pending = parts.pop()
            for p in parts:
                yield p + "\n"
        if pending:
            yield pending

    previous_limit = csv.field_size_limit(MAX_LINE)  # process-wide: restored below
    reader = csv.reader(lines())
    header: list[str] | None = None
    try:
        for row in reader:
            if header is None:
                if not any(row) or row[0].lstrip().startswith("#"):
                    continue  # Export-Csv's "#TYPE ..." line (Windows PowerShell 5.1) or a blank line
                header = [h.strip() for h in row]
                continue
            stats.lines += 1
            lineno = reader.line_num
            if not any(row):
                continue
            obj = dict(zip(header, row, strict=False))
            if len(row) > len(header):  # Event Viewer CSV: the message is an extra, unnamed column
                obj["Message"] = ",".join(row[len(header) :])
            rec = record_from_object(obj, lineno, None, None, csv_row=",".join(row))
            if rec is None:
                stats.not_events += 1
                continue
            stats.events += 1
            yield rec
    except csv.Error as exc:
        stats.bad += 1
        stats.problem(f"CSV error near line {reader.line_num}: {exc}; the rest of the file was not read")
    finally:
        csv.field_size_limit(previous_limit)


# -- one object → EventRecord ---------------------------------------------------------------------------


def record_from_object(
    obj: Any, position: int, raw_text: str | None, raw_bytes: bytes | None, csv_row: str | None = None
) -> EventRecord | None:
    """Normalise one exported event of any known shape, or None when it is not a Windows event."""
    if not isinstance(obj, dict):
        return None
    winlog = obj.get("winlog")
    if "EventID" in obj and winlog is None:  # the common flattened shape first
        if raw_bytes is not None:
            return _flat_record(obj, position, raw_bytes)
        rec = _from_flat(obj, position)
    elif isinstance(winlog, dict):
        rec = _from_ecs(obj, winlog)
    elif isinstance(obj.get("Event"), dict) and "System" in obj["Event"]:
        return record_from_event_doc(obj, position, _raw(raw_text, raw_bytes, csv_row))
    elif "Id" in obj and ("ProviderName" in obj or "LogName" in obj):
        rec = _from_get_winevent(obj)
    elif "Event ID" in obj and "Source" in obj:
        rec = _from_event_viewer_csv(obj)
    elif any(k in obj for k in _EVENT_KEYS):
        rec = _from_flat(obj)
    else:
        return None
    rec.position = position
    if raw_bytes is not None:
        rec.raw_bytes = raw_bytes
    else:
        rec.raw = _raw(raw_text, raw_bytes, csv_row)
    if not rec.channel:
        rec.channel = _PROVIDER_CHANNEL.get(rec.provider.lower(), "")
    if rec.message:
        _from_message(rec)
    return finish(rec)


def _flat_record(obj: dict[str, Any], position: int, raw_bytes: bytes) -> EventRecord:
    """:func:`record_from_object` of a flattened event read from a JSON line (``raw_bytes``)."""
    rec = _from_flat(obj, position, raw_bytes)
    if not rec.channel:
        rec.channel = _PROVIDER_CHANNEL.get(rec.provider.lower(), "")
    if rec.message:
        _from_message(rec)
    return finish(rec)


def _raw(raw_text: str | None, raw_bytes: bytes | None, csv_row: str | None) -> str:
    if raw_text is not None:
        return cap(raw_text)
    if raw_bytes is not None:
        return cap(raw_bytes[:8000].decode("utf-8", "replace"))
    return cap(csv_row or "")


def _positional_or_named(provider: str, channel: str, eid: int | None, data: dict[str, Any]) -> dict[str, str]:
    keys = list(data)
    if keys and keys[0].startswith("param") and all(k.startswith("param") and k[5:].isdigit() for k in keys):
        # Winlogbeat's names for unnamed <Data>
        ordered = [data[k] for k in sorted(keys, key=lambda k: int(k[5:]))]
        return name_positional(provider, channel, eid, ordered)
    return {k: v if type(v) is str else as_text(v) for k, v in data.items() if not isinstance(v, dict)}


def _from_ecs(obj: dict[str, Any], winlog: dict[str, Any]) -> EventRecord:
    provider = as_text(winlog.get("provider_name"))
    channel = as_text(winlog.get("channel"))
    event: dict[str, Any] = obj["event"] if isinstance(obj.get("event"), dict) else {}
    eid = as_int(winlog.get("event_id")) if winlog.get("event_id") is not None else as_int(event.get("code"))
    data: dict[str, str] = {}
    for key in ("event_data", "user_data"):
        part = winlog.get(key)
        if isinstance(part, dict):
            data.update(_positional_or_named(provider, channel, eid, part))
    log: dict[str, Any] = obj["log"] if isinstance(obj.get("log"), dict) else {}
    raw_level = winlog.get("level")
    level = as_int(raw_level) if type(raw_level) is int or (type(raw_level) is str and raw_level.isdigit()) else None
    if level is None:
        level = level_from_name(as_text(log.get("level") or winlog.get("level") or ""))
    host: dict[str, Any] = obj["host"] if isinstance(obj.get("host"), dict) else {}
    ts, field = pick_time(
        [
            ("@timestamp", obj.get("@timestamp")),
            ("winlog.event_data.UtcTime", data.get("UtcTime")),
            ("winlog.time_created", winlog.get("time_created")),
        ]
    )
    return EventRecord(
        channel=channel,
        provider=provider,
        event_id=eid,
        level=level,
        record_id=as_int(winlog.get("record_id")),
        computer=as_text(winlog.get("computer_name") or host.get("name") or host.get("hostname")),
        time=ts,
        time_field=field,
        data=data,
        message=as_text(obj.get("message")),
    )




def _first(obj: dict[str, Any], names: tuple[str, ...]) -> Any:
    for n in names:
        v = obj.get(n)
        if v is not None and v != "":
            return v
    return None


_F_PROVIDER = ("SourceName", "ProviderName", "Provider_Name", "Provider", "sourcename", "providername", "provider_name", "provider")
_F_CHANNEL = ("Channel", "LogName", "channel", "logname")
_F_EID = ("EventID", "EventId", "event_id", "EventCode", "eventid", "eventcode")
_F_RECORD = ("EventRecordID", "RecordNumber", "record_id", "eventrecordid", "recordnumber")
_F_HOST = ("Hostname", "Computer", "ComputerName", "hostname", "computer", "computername")
_F_MESSAGE = ("Message", "message")
_F_LEVEL = ("Level", "level")
#: Time fields of flattened exports, best first (UTC by definition, then usually zoned, then local).
_F_TIMES = ("UtcTime", "@timestamp", "TimeCreated", "timecreated", "EventTime", "eventtime", "TimeGenerated", "timestamp")


_PARAM_KEYS = tuple(f"param{i}" for i in range(1, 129))
_MISSING = object()


def _flat_time(obj: dict[str, Any]) -> tuple[datetime | None, str]:
    """``pick_time`` over the time fields of a flattened export; the common case — the first
    field present is UTC or zoned — without building the candidate list. An ISO 8601 text with
    nothing to strip is parsed here as ``parse_time``'s fast path parses it (its result exactly;
    anything else goes to ``parse_time``): this runs once per exported event."""
    for name in _F_TIMES:
        value = obj.get(name)
        if value:
            ts: datetime | None
            if type(value) is str and len(value) <= 32 and value[:4].isdigit():
                try:
                    ts = _FROM_ISO(value)
                except ValueError:
                    ts, zoned = parse_time(value)
                else:
                    ts, zoned = zoned_utc(ts)
            else:
                ts, zoned = parse_time(value)
            if ts is not None and (zoned or name == "UtcTime") and ts.year >= 1971 and ts < TIME_CEILING:
                return ts, name
            break
    return pick_time([(name, v) for name in _F_TIMES if (v := obj.get(name))])


_FROM_ISO = datetime.fromisoformat


def _from_flat(obj: dict[str, Any], position: int = 0, raw_bytes: bytes = b"") -> EventRecord:
    """Flattened exports: event data at the top level next to the envelope fields. The envelope
    fields stay in ``data`` too (harmless for matching, and cheaper than separating them)."""
    # The usual spelling of each envelope field is tried first (a plain dict lookup), the
    # alternatives only when it is missing: this runs once per exported event.
    provider = obj.get("SourceName")
    if type(provider) is not str or not provider:
        provider = as_text(_first(obj, _F_PROVIDER))
    channel = obj.get("Channel")
    if type(channel) is not str or not channel:
        channel = as_text(_first(obj, _F_CHANNEL))
    eid = obj.get("EventID")
    if type(eid) is not int:
        eid = as_int(_first(obj, _F_EID))
    raw_level = obj.get("Level")
    if raw_level is None:
        raw_level = obj.get("level")
    level = raw_level if type(raw_level) is int else as_int(raw_level) if type(raw_level) is str and raw_level.isdigit() else None
    if level is None:
        level = level_from_name(as_text(raw_level or obj.get("Severity") or ""))
    if "param1" in obj:  # Winlogbeat-style names of unnamed <Data>, flattened
        values = []
        for key in _PARAM_KEYS:  # param1, param2, ... up to the first gap
            value = obj.get(key, _MISSING)
            if value is _MISSING:
                break
            values.append(value)
        else:
            i = len(_PARAM_KEYS) + 1
            while (key := f"param{i}") in obj:
                values.append(obj[key])
                i += 1
        data = name_positional(provider, channel, eid, values)
        for k, v in obj.items():
            if not k.startswith("param"):
                data.setdefault(k, v)
    else:
        data = obj  # values that are not strings are converted where they are used (as_text)
    ts, field = _flat_time(obj)
    record_id = obj.get("EventRecordID")
    if type(record_id) is not int:
        record_id = as_int(_first(obj, _F_RECORD))
    computer = obj.get("Hostname")
    if type(computer) is not str or not computer:
        computer = as_text(_first(obj, _F_HOST))
    message = obj.get("Message")
    if type(message) is not str or not message:
        message = "" if message is None and "message" not in obj else as_text(_first(obj, _F_MESSAGE))
    return EventRecord(channel, provider, eid, level, record_id, computer, ts, field, data, message, position, "", raw_bytes)


def _from_get_winevent(obj: dict[str, Any]) -> EventRecord:
    provider = as_text(obj.get("ProviderName"))
    channel = as_text(obj.get("LogName") or obj.get("ContainerLog"))
    eid = as_int(obj.get("Id"))
    props = obj.get("Properties")
    data: dict[str, str] = {}
    if isinstance(props, list) and props and all(isinstance(p, dict) and "Value" in p for p in props):
        data = name_positional(provider, channel, eid, [p["Value"] for p in props])
    elif isinstance(props, list) and props and not any(isinstance(p, (dict, list)) for p in props):
        if not all(str(p).startswith("System.Diagnostics") for p in props):
            data = name_positional(provider, channel, eid, props)
    level = as_int(obj.get("Level"))
    if level is None:
        level = level_from_name(as_text(obj.get("LevelDisplayName")))
    ts, field = pick_time([("TimeCreated", obj.get("TimeCreated"))])
    return EventRecord(
        channel=channel,
        provider=provider,
        event_id=eid,
        level=level,
        record_id=as_int(obj.get("RecordId")),
        computer=as_text(obj.get("MachineName")),
        time=ts,
        time_field=field,
        data=data,
        message=as_text(obj.get("Message")),
    )


def _from_event_viewer_csv(obj: dict[str, Any]) -> EventRecord:
    ts, field = pick_time([("Date and Time", obj.get("Date and Time"))])
    return EventRecord(
        channel="",
        provider=as_text(obj.get("Source")),
        event_id=as_int(obj.get("Event ID")),
        level=level_from_name(as_text(obj.get("Level"))),
        record_id=None,
        computer="",
        time=ts,
        time_field=field,
        data={},
        message=as_text(obj.get("Message")),
    )


def _from_message(rec: EventRecord) -> None:
    """Recover named fields from the rendered message when the export dropped the event data
    (``Export-Csv``, Event Viewer CSV): Sysmon and Security messages are ``Label: value`` lines."""
    if not rec.message:
        return
    if rec.event_id == 4104 and "ScriptBlockText" not in rec.data and "powershell" in rec.provider.lower():
        rec.data["ScriptBlockText"] = rec.message
        return
    needs = not rec.data or all(k.startswith("Data") for k in rec.data)
    if not needs or "\n" not in rec.message:
        return
    for line in rec.message.splitlines():
        m = _MSG_LINE.match(line)
        if not m or not m.group(2).strip():
            continue
        key = m.group(1).replace(" ", "")
        key = _MESSAGE_ALIASES.get(key, key)
        rec.data.setdefault(key, m.group(2).strip())
