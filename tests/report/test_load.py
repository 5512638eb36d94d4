from __future__ import annotations

import json
from pathlib import Path

import pytest

from extriage.report.load import ResultLoadError, load_result, loads_result

from . import samples


@pytest.mark.parametrize("make", [samples.compromised, samples.attempted, samples.clean])
def test_round_trip_is_exact(make, tmp_path: Path) -> None:
    original = make().to_dict()
    path = tmp_path / "r.json"
    path.write_text(json.dumps(original), encoding="utf-8")
    assert load_result(path).to_dict() == original


def test_truncated_json_says_truncated(tmp_path: Path) -> None:
    text = json.dumps(samples.compromised().to_dict())
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ResultLoadError, match=r"cut\.json is truncated JSON"):
        load_result(path)


def test_other_schema_version_is_named() -> None:
    data = samples.clean().to_dict()
    data["schema_version"] = "2.0"
    with pytest.raises(ResultLoadError, match=r"schema version 2\.0; this extriage reads version 1\.0"):
        loads_result(json.dumps(data), "old.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("[1, 2]", "not an extriage scan result"),
        ('{"evidence_path": "x"}', "no schema_version"),
        ('{"schema_version": "1.0", "evidence_path": "x", "verdict": "pwned"}', "does not match the scan-result schema \\(at verdict: 'pwned' is not one of"),
        ("{\"a\": 1} trailing", "not valid JSON"),
        ('{"format": "extriage-probe/1", "results": []}', "is an 'extriage probe' result"),
    ],
)
def test_bad_input_gives_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ResultLoadError, match=message):
        loads_result(text, "x.json")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultLoadError, match="does not exist"):
        load_result(tmp_path / "nope.json")
    with pytest.raises(ResultLoadError, match="is a folder"):
        load_result(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "bin.json"
    p.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(ResultLoadError, match="not a UTF-8 JSON file"):
        load_result(p)
