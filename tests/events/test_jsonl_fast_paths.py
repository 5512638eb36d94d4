"""The JSON-lines path's inline fast paths (issue 18, J1) give what the general code gives:
``_flat_time`` against the ``parse_time``-based reading it replaced, and a one-field rule test
(``View.get``) against the same test over two fields (``View.first``)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from extriage.detections.events.engine import View, compile_cond
from extriage.formats.event_export import _F_TIMES, _flat_time
from extriage.formats.event_record import TIME_CEILING, EventRecord, parse_time, pick_time

_TIMES: list[Any] = [
    "2021-04-26T15:03:05.992230Z", "2021-04-26T15:03:05.9922301Z", "2021-04-26 15:03:05", "2021-04-26 15:03:05.976",
    "2021-04-26T17:03:05+02:00", "9999-12-31T23:59:59Z", "1601-01-01T00:00:00Z", "", None, 0, 1619449385,
    1619449385123, "/Date(1619449385000)/", "04/26/2021 3:03:05 PM", " 2021-04-26T15:03:05Z ", "2021-04-26T15:03:05Z\n",
    "2021-04-26T15:03:05.1234567+05:30", "garbage", [1], {"a": 1}, "0001-01-01T00:00:00+14:00", "2099-12-31T23:59:59-05:00",
    "2021-04-26T15:03:05.992230z", "2021-04-26", "2021-W17-1", True, "2021-04-26T15:03:05\u3000", "1970-06-01T00:00:00Z",
]


def _reference(obj: dict[str, Any]) -> tuple[datetime | None, str]:
    """``_flat_time`` as it was before the inline parse (main 9a25bbe)."""
    for name in _F_TIMES:
        value = obj.get(name)
        if value:
            ts, zoned = parse_time(value)
            if ts is not None and (zoned or name == "UtcTime") and ts.year >= 1971 and ts < TIME_CEILING:
                return ts, name
            break
    return pick_time([(name, v) for name in _F_TIMES if (v := obj.get(name))])


def test_flat_time_matches_the_parse_time_reading() -> None:
    rnd = random.Random(18)
    for value in _TIMES:
        for name in ("UtcTime", "@timestamp", "TimeCreated"):
            obj = {name: value}
            assert _flat_time(obj) == _reference(obj), (name, value)
            got, want = _flat_time(obj)[0], _reference(obj)[0]
            assert (got.tzinfo if got else None) is (want.tzinfo if want else None)
    for _ in range(3000):
        obj = {n: rnd.choice(_TIMES) for n in rnd.sample(_F_TIMES, rnd.randint(1, 3))}
        assert _flat_time(obj) == _reference(obj), obj


def _rec(data: dict[str, Any]) -> EventRecord:
    return EventRecord("Security", "P", 1, 4, 1, "H", None, "", data)


def test_one_field_tests_read_as_first_of_fields() -> None:
    values: list[Any] = [None, "", "   ", "cmd.exe /c whoami", "CMD", " Cmd.Exe ", "x'y", 5, ["a", "cmd"], "ｃｍｄ", "\t\t"]
    for op in ("contains", "startswith", "endswith", "equals", "re", "contains|all"):
        key = "" if op == "equals" else f"|{op}"
        one, _ = compile_cond({f"A{key}": ["cmd", "whoami"] if op != "re" else ["^cm"]}, "t")
        two, _ = compile_cond({f"A/B{key}": ["cmd", "whoami"] if op != "re" else ["^cm"]}, "t")
        for value in values:
            data = {} if value is None else {"A": value}
            assert one(View(_rec(data))) == two(View(_rec(data))), (op, value)
