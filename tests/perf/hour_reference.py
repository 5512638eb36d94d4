"""What the hourly request counts of :func:`extriage.formats.logscan.walk` must equal, read the slow way:
shared by the tests of the counting paths (newline offsets, words of the newline mask, lines out of order)."""

from __future__ import annotations

import io
import re
from collections import Counter

from extriage.formats import logscan
from extriage.formats.logscan import WalkStats, walk
from extriage.formats.prefilter import Prefilter

_HOUR = re.compile(rb"(\d{4}-\d\d-\d\d)[T ](\d\d)")
PREFILTER = Prefilter(["/ecp/"], (), "re2")


def per_line_hours(data: bytes) -> Counter[str]:
    """Each line in the hour written at its start; lines without one are no request."""
    out: Counter[str] = Counter()
    for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"):
        m = _HOUR.match(line)
        if m:
            out[(m.group(1) + b"T" + m.group(2)).decode()] += 1
    return out


def walk_stats(data: bytes, family: str = "httpproxy") -> WalkStats:
    """The statistics a walk of ``data`` as one log of ``family`` ends with."""
    stats = WalkStats()
    for item in walk(io.BytesIO(data), family, PREFILTER):
        if isinstance(item, WalkStats):
            stats = item
    return stats


def assert_region_counted(body: bytes, lo: int) -> None:
    """``_count_hours`` over ``body[lo:]`` (whatever stands before ``lo``) returns the region's newline
    count and counts each line in the hour a per-line reading gives."""
    out: Counter[str] = Counter()
    n = logscan._count_hours(body, lo, len(body), out, logscan._Newlines(body, lo, len(body)))
    assert n == body.count(b"\n", lo)
    assert dict(out) == dict(per_line_hours(body[lo:]))

