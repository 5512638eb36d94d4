"""JSON output (``--json`` of every command): the fast writer gives the bytes
``json.dumps(data, indent=2, ensure_ascii=False, default=str)`` gave, and ``ScanResult.to_dict`` the
values the original ``_plain`` walk gave."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest

from extriage.cli.common import json_bytes, write_json
from extriage.findings import Confidence, Indicators, Outcome, ScanResult, Severity, iso

from . import samples


def reference(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def reference_plain(value: Any) -> Any:
    """``findings._plain`` as it was before its fast paths: the values to_dict must keep giving."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, enum.IntEnum):
        return value.name.lower()
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {name: reference_plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): reference_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [reference_plain(v) for v in value]
    return value


def reference_to_dict(result: ScanResult) -> dict[str, Any]:
    from extriage.findings import SCHEMA_VERSION

    return {"schema_version": SCHEMA_VERSION, **reference_plain(result)}


SAMPLES = [samples.compromised, samples.attempted, samples.clean]


@pytest.mark.parametrize("make", SAMPLES)
def test_scan_result_json_is_unchanged(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make().to_dict()
    expected = reference(data)
    monkeypatch.setattr("extriage.outputs.json", SimpleNamespace(dumps=None))  # fast path only
    assert json_bytes(data) == expected


@pytest.mark.parametrize("make", SAMPLES)
def test_to_dict_gives_the_same_values(make: Any) -> None:
    result = make()
    assert result.to_dict() == reference_to_dict(result)
    assert json_bytes(result.to_dict()) == reference(reference_to_dict(result))


def test_large_result(monkeypatch: pytest.MonkeyPatch) -> None:
    data = samples.large(500).to_dict()
    expected = reference(data)
    monkeypatch.setattr("extriage.outputs.json", SimpleNamespace(dumps=None))  # fast path only
    assert json_bytes(data) == expected


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    ONE = 1


@dataclass
class Thing:
    name: str
    when: datetime | None = None
    tags: set[str] = field(default_factory=set)
    level: Level = Level.ONE
    extra: dict[Any, Any] = field(default_factory=dict)


def test_to_dict_values_for_every_kind_of_field() -> None:
    r = ScanResult(evidence_path="/e", started=datetime(2021, 3, 2, 10, 0, 0, 123000, tzinfo=UTC))
    r.waves["proxylogon"] = samples.compromised().verdict
    r.extras = {
        "thing": Thing("a", datetime(2021, 3, 2), {"x"}, extra={1: (2, 3), "d": date(2021, 3, 2)}),
        "things": [Thing("b"), Thing("c", tags={"y"})],
        "enums": [Colour.RED, Level.ONE, Severity.HIGH, Confidence.LOW, Outcome.ATTEMPT],
        "tuple": (1, "2", None, True, 1.5),
        "frozen": frozenset({"z"}),
        "nested": {"k": [{"v": [Indicators(client_ips=["1.2.3.4"])]}]},
    }
    assert r.to_dict() == reference_to_dict(r)
    assert Indicators().is_empty() and not Indicators(hosts=["h"]).is_empty()


CONTROL = "".join(chr(c) for c in range(0x20)) + "\x7f\x80\x9f"
TRICKY_TEXT = [
    "",
    CONTROL,
    'quote " backslash \\ slash / tab \t',
    "\u2028\u2029 line separators, \ufeff BOM, \u00e9, \u4e2d\u6587, \U0001f600",
    "</script><!-- '\"&",
    "1.5",  # a number in a string stays a string
    '": 1.5',
    "e-5",
]


@pytest.mark.parametrize(
    "data",
    [
        {"text": TRICKY_TEXT},
        {t: t for t in TRICKY_TEXT},  # the same escapes in keys
        {"a": [], "b": {}, "c": [{}], "d": [[]], "e": {"x": [1, {"y": []}]}, "f": None, "g": True, "h": False},
        {"ints": [0, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1]},
        [1, "two", [3, [4, [5]]], {"six": 6}],
        [],
        {},
        {"uuid": UUID("12345678-1234-5678-1234-567812345678")},
    ],
)
def test_plain_data_same_bytes(data: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = reference(data)
    monkeypatch.setattr("extriage.outputs.json", SimpleNamespace(dumps=None))  # fast path only
    assert json_bytes(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        # floats: orjson and json spell some differently, so any float takes the standard library
        {"f": [0.0, -0.0, 1.5, 0.1, 1e15, 1e16, 1e-4, 1e-5, 1e-7, 2.5e-8, 1e21, 1.7976931348623157e308, 5e-324]},
        [1e16],
        {"a": {"b": [1e-7]}},
        # objects json writes with str(): the standard library writes them
        {"when": datetime(2021, 3, 2, 10, 0, tzinfo=UTC), "day": date(2021, 3, 2), "t": time(10, 1, 2, 5)},
        {"path": Path("/x/y"), "set": {"only"}, "bytes": b"\x00\xff", "thing": Thing("dc")},
        {"enums": [Colour.RED, Level.ONE]},
        {Colour.RED: 1, "x": {Level.ONE: 2}},
        {1: "int key", None: "none key", False: "bool key", 2.5: "float key"},
        {"big": 2**64, "neg": -(2**63) - 1, "huge": 10**40},
        {"tuple": (1, 2), "nested_tuple": [(3, (4,))]},
        # nesting orjson refuses (limit 254): the standard library writes it
        json.loads("[" * 300 + "]" * 300),
        # top-level scalars
        "just a string",
        12,
        1.5,
        None,
    ],
)
def test_everything_else_same_bytes(data: Any) -> None:
    assert json_bytes(data) == reference(data)


def test_numpy_scalars_same_bytes() -> None:
    np = pytest.importorskip("numpy")
    data = {"i": np.int64(3), "f": np.float64(1.5), "u": [np.uint8(7)]}
    assert json_bytes(data) == reference(data)


def test_write_json_file_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = samples.compromised().to_dict()
    dest = tmp_path / "r.json"
    write_json(data, str(dest))
    expected = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    assert dest.read_bytes() == expected.encode("utf-8")
    write_json(data, "-")
    assert capsys.readouterr().out == expected
