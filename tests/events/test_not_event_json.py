"""JSON found where event exports are looked for that holds no Windows event record is named in
"not read"; JSON lines mixing events and other records are read, with a note on the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from extriage.findings import ScanResult, SkippedFile
from extriage.formats.event_export import json_shape, sniff

from .helpers import jsonl, read_export_bytes, rule_ids, scan

EVENT = {
    "EventID": 4720,
    "Channel": "Security",
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "TimeCreated": "2021-03-02T10:00:00Z",
    "TargetUserName": "x",
    "Hostname": "EXCH01",
}


def _skipped(result: ScanResult) -> dict[str, SkippedFile]:
    return {Path(s.path).name: s for s in result.coverage.skipped}


def _event_files(result: ScanResult) -> set[str]:
    return {Path(f["path"]).name for f in result.extras["events"]["files"]}


def test_json_lines_of_other_records_are_listed_as_not_read(tmp_path: Path) -> None:
    (tmp_path / "foo.jsonl").write_bytes(jsonl({"foo": 1}, {"foo": 2}, {"foo": 3}))
    result = scan(tmp_path)
    s = _skipped(result)["foo.jsonl"]
    assert not s.partial
    assert s.reason.startswith("JSON lines but not Windows event records (no EventID/System fields")
    assert "3 line(s)" in s.reason and "not read as an event export" in s.reason
    assert s.path.endswith("foo.jsonl")
    assert _event_files(result) == set()  # no event log was read: the stage says so
    assert any("No Windows event logs" in w for w in result.coverage.warnings)


def test_json_array_of_other_objects_is_listed_as_not_read(tmp_path: Path) -> None:
    (tmp_path / "inventory.json").write_text(json.dumps([{"name": "a", "size": 1}, {"name": "b", "size": 2}], indent=2))
    # "Id" and "LogName"-like keys make it look like an export at first sight; still no event in it
    (tmp_path / "ids.json").write_text(json.dumps([{"Id": 1, "Name": "x"}, {"Id": 2, "Name": "y"}]))
    result = scan(tmp_path)
    skipped = _skipped(result)
    for name in ("inventory.json", "ids.json"):
        assert skipped[name].reason.startswith("JSON but not Windows event records (no EventID/System fields"), name
        assert "2 object(s)" in skipped[name].reason and not skipped[name].partial
    assert _event_files(result) == set()
    assert not any("Event logs present" in w for w in result.coverage.warnings)


def test_mixed_json_lines_are_read_with_a_partial_note(tmp_path: Path) -> None:
    docs: list[dict[str, Any]] = [{"export": "siem", "query": "EventID:4720"}, EVENT, {"foo": 1}, EVENT | {"TargetUserName": "y"}]
    (tmp_path / "mixed.jsonl").write_bytes(jsonl(*docs))
    result = scan(tmp_path)
    assert "EVT-ACCT-CREATED" in rule_ids(result)
    assert sum(f.count for f in result.findings if f.rule_id == "EVT-ACCT-CREATED") == 2
    s = _skipped(result)["mixed.jsonl"]
    assert s.partial
    assert "2 JSON line(s) were not Windows event records" in s.reason and "2 event(s) were read" in s.reason
    assert _event_files(result) == {"mixed.jsonl"}


def test_events_after_a_long_run_of_other_lines_are_found(tmp_path: Path) -> None:
    """The head (what decides whether a file is an export) holds no event: the file is read anyway."""
    junk = [{"n": i, "pad": "x" * 200} for i in range(100)]
    (tmp_path / "late.jsonl").write_bytes(jsonl(*junk, EVENT))
    result = scan(tmp_path)
    assert "EVT-ACCT-CREATED" in rule_ids(result)
    s = _skipped(result)["late.jsonl"]
    assert s.partial and "100 JSON line(s)" in s.reason


def test_on_a_drive_only_json_lines_are_listed(tmp_path: Path) -> None:
    """Applications keep many JSON settings on a server: in a drive image an array or a single
    object is not listed, JSON lines (by extension, or as two or more one-object lines) are."""
    data = tmp_path / "C" / "ProgramData" / "Vendor"
    data.mkdir(parents=True)
    (data / "settings.json").write_text(json.dumps([{"name": "a"}, {"name": "b"}]))
    (data / "one.json").write_text(json.dumps({"name": "a"}) + "\n")
    (data / "telemetry.jsonl").write_bytes(jsonl({"foo": 1}))
    (data / "batches.json").write_bytes(jsonl({"foo": 1}, {"foo": 2}))
    (tmp_path / "C" / "Windows" / "System32").mkdir(parents=True)
    result = scan(tmp_path / "C")
    assert result.layout == "drive"
    skipped = _skipped(result)
    assert "settings.json" not in skipped and "one.json" not in skipped
    assert skipped["telemetry.jsonl"].reason.startswith("JSON lines but not Windows event records")
    assert skipped["batches.json"].reason.startswith("JSON lines but not Windows event records")


def test_sniff_looks_past_a_first_line_that_is_no_event() -> None:
    head = jsonl({"header": True}, EVENT)
    assert sniff(head) == "jsonl"
    assert sniff(jsonl({"foo": 1}, {"foo": 2})) == ""  # (unchanged: JSON lines without events)
    assert json_shape(jsonl({"foo": 1}, {"foo": 2})).kind == "jsonl"
    assert json_shape(jsonl({"foo": 1}, {"foo": 2})).object_lines == 2
    assert json_shape(b'[{"a": 1}]').kind == "json"
    assert json_shape(b"a,b\n1,2\n").kind == ""
    recs, stats = read_export_bytes(head)
    assert len(recs) == 1 and stats.not_events == 1
