"""OABGenerator logs: no public column layout exists, so lines are text (logs-and-detections.md §1d).

Every tool (Test-ProxyLogon, CHIRP) greps them; we do the same and only pull out a timestamp when a
line carries one, in ISO form or the ``M/D/YYYY h:mm:ss AM`` form of .NET's default formatting.
"""

from __future__ import annotations

import re
from datetime import datetime

from extriage.findings import utc
from extriage.formats.logfamily import LogFamily

_ISO_RE = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)")
_US_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d\d):(\d\d)(?: ?([AP]M))?", re.I)


def row_to_fields(line: str) -> dict[str, str]:
    return {"Message": line}


def parse_timestamp(line: str) -> datetime | None:
    head = line[:200]
    m = _ISO_RE.search(head)
    if m:
        try:
            return utc(datetime.fromisoformat(f"{m.group(1)}T{m.group(2)[:15]}"))
        except ValueError:
            return None
    m = _US_RE.search(head)
    if m:
        month, day, year, hour, minute, sec, ampm = m.groups()
        h = int(hour) % 12 + (12 if ampm and ampm.upper() == "PM" else 0) if ampm else int(hour)
        try:
            return utc(datetime(int(year), int(month), int(day), h, int(minute), int(sec)))
        except ValueError:
            return None
    return None


def parse(text: str, names: list[str]) -> tuple[dict[str, str], datetime | None]:
    """One line as ``Message`` and the time it carries, if any (``names`` never apply)."""
    return row_to_fields(text), parse_timestamp(text)


def _no_header(line: str) -> list[str] | None:
    return None


FAMILY = LogFamily(
    id="oabgen",
    name="OABGenerator",
    paths=(re.compile(r"/logging/oabgeneratorlog/(?:[^/]+/)*[^/]+$"),),
    # OABGenerator logs have no header of their own; their lines name the component.
    headers=(re.compile(r"OABGenerator|OABGen[^a-z]|Download failed and temporary file", re.I),),
    parse=parse,
    header_names=_no_header,
    fields=frozenset({"Message"}),
    logsource={"product": "exchange", "service": "oabgenerator"},
    collect=r"<Exchange install>\Logging\OABGeneratorLog\*",
    syntax="text",
    weak_header=True,
    expected_label="OABGenerator logs",
)
