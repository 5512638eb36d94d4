"""Exchange's own CSV logs (HttpProxy per protocol, ECP Server, Rps_Http, ...): header and rows.

Columns are mapped by the names of the ``#Fields:`` directive, never by position: older CUs log
fewer or different columns, and rows may carry extra or missing trailing columns. Three header
layouts exist in the wild (logs-and-detections.md §1a): a bare CSV header line before the ``#``
directives (so PowerShell's Import-Csv works), the bare line after ``#Fields:``, or none at all.
A row equal to the field list is therefore a header, not data. Values use ``""`` quoting.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime

from extriage.findings import utc

#: Names a field list must contain for a bare (un-prefixed) line to count as a header.
_HEADER_HINTS = ("DateTime", "TimeStamp", "RequestId")
#: Fields a row may carry besides its columns: the whole line when no column names are known, and
#: the values past the last named column.
SPECIAL_FIELDS = ("_raw", "_extra")
_BAG_RE = re.compile(r"(?:^|;)(?:S|I32|I64|F|Dbl|B|Dt):([A-Za-z][A-Za-z0-9_.\[\]-]*)=")


def parse_fields_directive(line: str) -> list[str] | None:
    """``#Fields: a,b,c`` → ``["a", "b", "c"]``; None when the line is not a Fields directive."""
    text = line.lstrip("\ufeff")
    if not text.lower().startswith("#fields:"):
        return None
    return [f.strip() for f in split_row(text.split(":", 1)[1].strip())]


def looks_like_bare_header(line: str) -> list[str] | None:
    """A bare CSV header line (the Import-Csv layout): the field names without ``#Fields:``."""
    text = line.lstrip("\ufeff")
    if not text or text.startswith("#"):
        return None
    head = text.split(",", 1)[0].strip().strip('"')
    if head not in _HEADER_HINTS:
        return None
    return [f.strip() for f in split_row(text)]


def header_names(line: str) -> list[str] | None:
    """The field names a header line declares: a ``#Fields:`` directive or a bare CSV header."""
    return parse_fields_directive(line) or looks_like_bare_header(line)


def split_row(line: str) -> list[str]:
    """Split one CSV line with ``""`` quoting (a row never spans lines in these logs)."""
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line], strict=False))
    except (csv.Error, StopIteration):
        return line.split(",")


def row_to_fields(line: str, names: list[str]) -> dict[str, str]:
    """Map a data row to ``{field: value}`` by name. Extra trailing values go to ``_extra``."""
    values = split_row(line)
    fields = {name: (values[i] if i < len(values) else "") for i, name in enumerate(names)}
    if len(values) > len(names):
        fields["_extra"] = ",".join(values[len(names) :])
    return fields


def parse_bag(text: str) -> dict[str, str]:
    """Parse a ``S:KEY=value;I32:KEY=value`` bag (ECP EventData, GenericInfo) into ``{KEY: value}``.

    Values may themselves contain ``;`` (cmdlet parameters do), so keys are found by their typed
    prefix rather than by splitting on ``;``.
    """
    out: dict[str, str] = {}
    marks = list(_BAG_RE.finditer(text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.setdefault(m.group(1), text[m.end() : end])
    return out


def parse_timestamp(value: str) -> datetime | None:
    """ISO-8601 timestamps as Exchange writes them (``2021-03-03T06:49:42.162Z``), as UTC."""
    v = value.strip().strip('"')
    if not v:
        return None
    try:
        return utc(datetime.fromisoformat(v.replace("Z", "+00:00")))
    except ValueError:
        return None


def row_timestamp(fields: dict[str, str], text: str) -> datetime | None:
    """A row's time: its ``DateTime`` or ``TimeStamp`` column, else an ISO time as its first value."""
    ts_name = "DateTime" if "DateTime" in fields else "TimeStamp" if "TimeStamp" in fields else ""
    ts = parse_timestamp(fields.get(ts_name, "")) if ts_name else None
    if ts is None:
        ts = parse_timestamp(text.split(",", 1)[0])
    return ts
