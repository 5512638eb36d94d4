"""OABGenerator logs: no public column layout exists, so lines are text (logs-and-detections.md §1d).

Every tool (Test-ProxyLogon, CHIRP) greps them; we do the same and only pull out a timestamp when a
line carries one, in ISO form or the ``M/D/YYYY h:mm:ss AM`` form of .NET's default formatting.
"""

from __future__ import annotations

import re
from datetime import datetime

from extriage.findings import utc

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
