"""One normalised Windows event, whatever it was read from (.evtx, Winlogbeat/ECS JSON, flattened
JSON, ``Get-WinEvent | ConvertTo-Json``, ``Export-Csv``).

Detections match on :class:`EventRecord` only, so every reader maps its shape onto the same names:
channel, provider, event id, level, record id, computer, UTC time (and which field it came from),
named event data, rendered message. Positional event data (MSExchange Management, and the
``Properties`` array of PowerShell exports) is named with the layouts in ``event_layouts.yml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml

#: Raw text kept per record for evidence lines (the rest is cut, marked with an ellipsis).
RAW_CAP = 4000


@dataclass(slots=True)
class EventRecord:
    channel: str
    provider: str
    event_id: int | None
    level: int | None
    record_id: int | None
    computer: str
    time: datetime | None  # UTC
    time_field: str  # which field the time came from, e.g. "System.TimeCreated.SystemTime", "UtcTime"
    data: dict[str, Any] = field(default_factory=dict)  # named event data (use as_text on values)
    message: str = ""  # rendered message when the source carries one
    position: int = 0  # record number in an .evtx file / line number in an export
    raw: str = ""  # raw record (JSON/CSV), capped at RAW_CAP
    raw_bytes: bytes = b""  # the raw line, decoded into ``raw`` only when needed (see raw_text)

    def raw_text(self) -> str:
        if not self.raw and self.raw_bytes:
            self.raw = cap(self.raw_bytes[: RAW_CAP * 2].decode("utf-8", "replace"))
        return self.raw

    def summary(self) -> str:
        """A one-line description for the timeline."""
        head = f"{self.channel or '?'} {self.event_id if self.event_id is not None else '?'}"
        if self.provider:
            head += f" ({self.provider})"
        d = self.data
        cmdlet = as_text(d.get("cmdlet"))
        detail = (
            (f"{cmdlet} {as_text(d.get('parameters'))}".strip() if cmdlet else "")
            or as_text(d.get("CommandLine"))
            or as_text(d.get("TargetFilename"))
            or as_text(d.get("ScriptBlockText"))
            or self.message.split("\n", 1)[0]
        )
        return f"{head}: {cap(detail or '', 300)}" if detail else head


def cap(text: str, limit: int = RAW_CAP) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else None
    for _ in range(MAX_TEXT_DEPTH):  # evtx: {"#attributes": {"Qualifiers": ...}, "#text": 6}
        if not isinstance(value, dict):
            break
        value = value.get("#text")
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = value.strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


#: Nesting followed by :func:`as_text`; deeper values (hostile exports) are not rendered.
MAX_TEXT_DEPTH = 16


def as_text(value: Any, _depth: int = 0) -> str:
    """A field value as text. Lists are joined by lines; nesting deeper than MAX_TEXT_DEPTH and
    other containers are not rendered recursively (``repr`` of a hostile 1,000-level structure would
    raise RecursionError)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than int->str allows (a hand-made export)
            return "(a number too long to show)"
    if isinstance(value, float):
        return str(value)
    if _depth >= MAX_TEXT_DEPTH:
        return "(nested too deeply to show)"
    if isinstance(value, dict):
        if "#text" in value:
            return as_text(value["#text"], _depth + 1)
        return "{" + ", ".join(f"{k}: {as_text(v, _depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "\n".join(as_text(v, _depth + 1) for v in value)
    return str(value)


# -- time -----------------------------------------------------------------------------------------

_DOTNET_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_NAIVE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",  # Export-Csv / Event Viewer (en-US, local time)
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
)


def parse_time(value: Any) -> tuple[datetime | None, bool]:
    """Parse a timestamp in any common export spelling. Returns ``(utc_time, had_zone)``.

    A value without a zone (``Export-Csv``, Event Viewer CSV, Sysmon ``UtcTime``) is returned as if
    it were UTC with ``had_zone`` False, so the caller can say so.
    """
    if value is None or value == "":
        return None, False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value  # epoch ms or s
        try:
            return datetime.fromtimestamp(seconds, tz=UTC), True
        except (OverflowError, OSError, ValueError):
            return None, False
    if not isinstance(value, str):  # (a list or object where a time belongs: no time)
        return None, False
    text = value.strip()
    if len(text) <= 32 and text[:4].isdigit():  # fast path: ISO 8601 with up to 6 fraction digits
        try:
            ts0 = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return zoned_utc(ts0)
    if text.startswith("\\/"):
        text = text.replace("\\/", "/")
    m = _DOTNET_DATE.match(text)
    if m:  # ConvertTo-Json: "/Date(1614585600000)/" is milliseconds since the epoch in UTC
        try:
            return datetime.fromtimestamp(int(m.group(1)) / 1000, tz=UTC), True
        except (OverflowError, OSError, ValueError):
            return None, False
    iso_text = text.replace(" ", "T", 1) if len(text) > 10 and text[10] == " " else text
    if iso_text.endswith(("Z", "z")):
        iso_text = iso_text[:-1] + "+00:00"
    # Windows writes 7 fractional digits; Python accepts at most 6.
    iso_text = re.sub(r"(\.\d{6})\d+", r"\1", iso_text)
    ts: datetime | None
    try:
        ts = datetime.fromisoformat(iso_text)
    except ValueError:
        ts = None
        for fmt in _NAIVE_FORMATS:
            try:
                ts = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if ts is None:
            return None, False
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC), False
    return to_utc(ts), True


def zoned_utc(ts: datetime) -> tuple[datetime | None, bool]:
    """An ISO 8601 time as :func:`parse_time` returns it: one with no zone taken as UTC (``had_zone`` False),
    else in UTC. Also the JSON-lines reader's inline fast path (``event_export._flat_time``)."""
    tz = ts.tzinfo
    if tz is None:
        return ts.replace(tzinfo=UTC), False
    if tz is UTC:
        return ts, True
    return to_utc(ts), True


def to_utc(ts: datetime) -> datetime | None:
    """``ts`` in UTC, or None when that falls outside the years datetime can hold (0001-01-01+14:00)."""
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        return None


def pick_time(candidates: Iterable[tuple[str, Any]]) -> tuple[datetime | None, str]:
    """Choose the event time from ``(field name, value)`` candidates, best first.

    Fields known to be UTC (``SystemTime``, ``UtcTime``) win; then any value carrying a zone
    (converted to UTC); a value without a zone is used last and labelled ``(no zone, taken as UTC)``.
    """
    fallback: tuple[datetime | None, str] = (None, "")
    for name, value in candidates:
        ts, zoned = parse_time(value)
        if ts is None:
            continue
        if ts >= TIME_CEILING:  # 9999-12-31...: a broken or hostile value, not a time
            if not fallback[1]:
                fallback = (None, out_of_range(name, value))
            continue
        if zoned or name.lower().endswith(("utctime", "systemtime")):
            if ts.year < 1971:  # evtx placeholder 1601-01-01: not a time
                continue
            return ts, name
        if fallback[0] is None:
            fallback = (ts, f"{name} (no zone, taken as UTC)")
    return fallback


#: Event times from this instant on are marked invalid (the record is kept without a time): no
#: real event log holds them, and a year-9999 time breaks every span and sort it enters.
TIME_CEILING = datetime(2100, 1, 1, tzinfo=UTC)
#: ``time_field`` of a record whose only time was out of range: the prefix, then ``name=value``.
OUT_OF_RANGE = "(out of range) "


def out_of_range(name: str, value: Any) -> str:
    """The ``time_field`` that marks a record's time as invalid, naming the field and its value."""
    return f"{OUT_OF_RANGE}{name}={cap(as_text(value), 60)}"


# -- positional layouts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layouts:
    by_provider: dict[tuple[str, int], list[str]]  # (provider lower, event id) -> names
    exchange_management: list[str]


@cache
def layouts() -> Layouts:
    text = resources.files("extriage.formats").joinpath("event_layouts.yml").read_text(encoding="utf-8")
    doc = load_yaml(text)
    mapping: dict[tuple[str, int], list[str]] = {}
    for entry in doc["layouts"]:
        for provider in entry["providers"]:
            for eid in entry["event_ids"]:
                mapping[(provider.lower(), int(eid))] = list(entry["fields"])
    return Layouts(mapping, list(doc["exchange_management"]))


EXCHANGE_MANAGEMENT_PROVIDERS = frozenset({"msexchange cmdletlogs", "msexchange management"})


def name_positional(provider: str, channel: str, event_id: int | None, values: list[Any]) -> dict[str, str]:
    """Name positional event data. Unknown layouts keep ``Data0``, ``Data1``... names."""
    texts = [v if type(v) is str else as_text(v) for v in values]
    prov = provider.lower()
    if prov in EXCHANGE_MANAGEMENT_PROVIDERS or channel.lower() == "msexchange management":
        names = layouts().exchange_management
    else:
        names = layouts().by_provider.get((prov, event_id if event_id is not None else -1), [])
    out: dict[str, str] = dict(zip(names, texts, strict=False))  # a later duplicate name wins, as below
    for i in range(len(names), len(texts)):
        out[f"Data{i}"] = texts[i]
    return out


# -- MSExchange Management -----------------------------------------------------------------------------

_RENDERED_CMDLET = re.compile(r"Cmdlet (?:suceeded|succeeded|failed)\.\s*Cmdlet ([\w-]+), parameters ")
_PARAM = re.compile(r"(?:^|\s)-([A-Za-z][\w]*)(?::|\s+|$)(\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'|\([^)]*\)|[^\s\"']\S*)?")


def enrich_exchange_management(rec: EventRecord) -> None:
    """Add ``cmdlet``/``parameters`` (from the rendered message when the data had no names) and one
    ``param.<name>`` field per cmdlet parameter, with quotes removed, for matching."""
    d = rec.data
    if not d.get("cmdlet") and rec.message:
        m = _RENDERED_CMDLET.search(rec.message)
        if m:  # the parameters run to the end of the message, minus its final full stop
            d["cmdlet"] = m.group(1)
            d["parameters"] = rec.message[m.end() :].rstrip().removesuffix(".")
    params = as_text(d.get("parameters"))
    if params:
        for key, value in parse_parameters(params).items():
            d[f"param.{key}"] = value


def parse_parameters(text: str) -> dict[str, str]:
    """``-Name "Evil" -Force 'True'`` → ``{"name": "Evil", "force": "True"}`` (names lower-case)."""
    out: dict[str, str] = {}
    for m in _PARAM.finditer(text):
        name = m.group(1).lower()
        value = m.group(2) or ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace(value[0] * 2, value[0])
        out[name] = value
    return out


_IS_MGMT: dict[tuple[str, str], bool] = {}


def is_exchange_management(rec: EventRecord) -> bool:
    key = (rec.provider, rec.channel)
    found = _IS_MGMT.get(key)
    if found is None:
        found = rec.provider.lower() in EXCHANGE_MANAGEMENT_PROVIDERS or rec.channel.lower() == "msexchange management"
        if len(_IS_MGMT) < 10_000:
            _IS_MGMT[key] = found
    return found


# -- derived fields -----------------------------------------------------------------------------------

_SHARE_DRIVE = re.compile(r"^\\\\[^\\]+\\([A-Za-z])\$$")


def finish(rec: EventRecord) -> EventRecord:
    """Fill derived fields every reader needs: Exchange cmdlet names, the local path of a share access."""
    mgmt = _IS_MGMT.get((rec.provider, rec.channel))  # (is_exchange_management, its cache first)
    if mgmt is None:
        mgmt = is_exchange_management(rec)
    if mgmt:
        enrich_exchange_management(rec)
    if rec.event_id in (5140, 5145) and "RelativeTargetName" in rec.data:
        m = _SHARE_DRIVE.match(as_text(rec.data.get("ShareName")).strip())
        if m:
            rel = as_text(rec.data["RelativeTargetName"]).lstrip("\\")
            rec.data["share_local_path"] = f"{m.group(1).upper()}:\\{rel}"
    return rec


def level_from_name(name: str) -> int | None:
    """Level number from a display name (``Error`` → 2) for exports that only carry the name."""
    return {"critical": 1, "error": 2, "warning": 3, "information": 4, "verbose": 5}.get(name.strip().lower())


EPOCH_FLOOR = datetime(1971, 1, 1, tzinfo=UTC)
ONE_DAY = timedelta(days=1)
