"""Damaged and hostile event exports (issue 19): a broken line or object costs that record, not the
file; hostile nesting and impossible dates never raise; each damage is named in the coverage."""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.events.engine import default_rules
from extriage.formats.event_export import ExportStats, _json_stream, sniff
from extriage.formats.event_record import as_text

from .helpers import read_export_bytes, rule_ids, scan

ATTACK: dict[str, Any] = {
    "EventID": 1,
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "SourceName": "Microsoft-Windows-Sysmon",
    "Hostname": "EXCH01.corp.local",
    "EventRecordID": 7,
    "UtcTime": "2021-03-02 10:06:27.161",
    "Image": "C:\\Windows\\System32\\cmd.exe",
    "CommandLine": "cmd /c whoami",
    "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
    "ParentCommandLine": 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool" -v "v4.0"',
    "User": "NT AUTHORITY\\SYSTEM",
}
#: Get-WinEvent | ConvertTo-Json shape of the same attack (Message first, as PowerShell writes it).
GET_WINEVENT: dict[str, Any] = {
    "Message": "Process Create:\r\nUtcTime: 2021-03-02 10:06:27.161\r\nImage: C:\\Windows\\System32\\cmd.exe\r\n"
    "CommandLine: cmd /c whoami\r\nParentImage: C:\\Windows\\System32\\inetsrv\\w3wp.exe\r\n"
    'ParentCommandLine: w3wp.exe -ap "MSExchangeOWAAppPool"\r\nUser: NT AUTHORITY\\SYSTEM',
    "Id": 1,
    "RecordId": 999,
    "ProviderName": "Microsoft-Windows-Sysmon",
    "LogName": "Microsoft-Windows-Sysmon/Operational",
    "MachineName": "EXCH01.corp.local",
    "TimeCreated": "/Date(1614679587161)/",
    "Properties": [],
}

FIRST_LINES = {
    "partial record": '"Channel": "Security", "EventID": 4624, "Hostname": "EXCH01"}',
    "exporter comment": "# exported by nxlog 3.2.2329 on EXCH01 at 2021-03-05",
    "null": "null",
    "truncated object": '{"EventID": 4624, "Channel": "Secu',
    "bare number": "42",
    "NUL bytes": "\x00" * 300,
}


@pytest.mark.parametrize("name", list(FIRST_LINES))
@pytest.mark.parametrize("ext", ["jsonl", "json"])
def test_damaged_first_line_does_not_hide_the_attack(tmp_path: Path, name: str, ext: str) -> None:
    (tmp_path / f"events.{ext}").write_text(FIRST_LINES[name] + "\n" + json.dumps(ATTACK) + "\n", encoding="utf-8")
    result = scan(tmp_path)
    assert "EVT-PROC-EXCH-W3WP-SHELL" in rule_ids(result), name
    if name not in ("null", "bare number", "NUL bytes"):
        notes = [s for s in result.coverage.skipped if s.path.endswith(f"events.{ext}")]
        assert notes and notes[0].partial and "1 line(s) not readable" in notes[0].reason, notes


def test_damaged_lines_in_the_middle_are_counted_and_skipped() -> None:
    good = json.dumps(ATTACK)
    data = "\n".join([good, '{"EventID": 1, "Chan', "garbage \x01\x02", good.replace('"EventRecordID": 7', '"EventRecordID": 8')])
    recs, stats = read_export_bytes(data.encode() + b"\n")
    assert [r.record_id for r in recs] == [7, 8]
    assert stats.bad == 2 and stats.first_problem.startswith("line 2")


def test_export_csv_type_line_is_passed_over() -> None:
    # Windows PowerShell 5.1's Export-Csv writes "#TYPE ..." before the header
    rows = [
        "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord",
        '"Message","Id","ProviderName","LogName","MachineName","TimeCreated"',
        '"' + GET_WINEVENT["Message"].replace('"', '""') + '","1","Microsoft-Windows-Sysmon",'
        '"Microsoft-Windows-Sysmon/Operational","EXCH01","3/2/2021 10:06:27 AM"',
    ]
    data = "\r\n".join(rows).encode()
    assert sniff(data) == "csv"
    recs, _ = read_export_bytes(data)
    assert len(recs) == 1 and recs[0].data["ParentImage"].endswith("w3wp.exe")


def _array_stream(text: str, chunk: int = 4096) -> list[Any]:
    stats = ExportStats()
    chunks = iter([text[i : i + chunk] for i in range(0, len(text), chunk)])
    recs = list(_json_stream(chunks, stats))
    return [recs, stats]


def test_array_with_a_cut_off_record_goes_on_after_it() -> None:
    one = json.dumps(GET_WINEVENT)
    broken = one[: len(one) // 2]  # an object cut inside a string, the next record on the next line
    text = "[\n" + one + ",\n" + broken + "\n" + one.replace('"RecordId": 999', '"RecordId": 1000') + "\n]"
    recs, stats = _array_stream(text, chunk=97)  # tiny chunks: the resynchronisation crosses refills
    assert [r.record_id for r in recs] == [999, 1000]
    assert stats.bad == 1 and stats.not_events == 0, stats  # (the broken record's parts are not counted)


def test_array_with_junk_and_nul_region_between_records() -> None:
    one = json.dumps(GET_WINEVENT)
    text = "[" + one + "," + "\x00" * 5000 + "#junk{{{" + one + "]"
    recs, stats = _array_stream(text, chunk=1000)
    assert len(recs) == 2 and stats.bad == 1


def test_array_truncated_at_the_end_keeps_what_came_before() -> None:
    one = json.dumps(GET_WINEVENT)
    recs, stats = _array_stream("[" + one + "," + one[:100])
    assert len(recs) == 1 and stats.bad == 1 and "cut off at the end" in stats.first_problem


@pytest.mark.parametrize(
    "bomb",
    [
        '{"EventID": 1, "x": ' + '{"a": ' * 1_000_000 + "1" + "}" * 1_000_000 + "}",
        "[" + '{"a": [' * 300_000 + "]}" * 300_000 + "]",
        '{"EventID": 1, "x": ' + "[" * 1_000_000 + "]" * 1_000_000 + "}",
    ],
    ids=["objects", "array of objects", "arrays"],
)
@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_deep_nesting_is_skipped_without_recursion_error(tmp_path: Path, bomb: str, ext: str) -> None:
    (tmp_path / f"deep.{ext}").write_text(bomb + "\n" + json.dumps(ATTACK) + "\n", encoding="utf-8")
    result = scan(tmp_path)
    assert not any("stage failed" in w for w in result.coverage.warnings), result.coverage.warnings
    assert "EVT-PROC-EXCH-W3WP-SHELL" in rule_ids(result)
    assert any(s.path.endswith(ext) and s.partial for s in result.coverage.skipped)


def test_nesting_within_the_decoders_limit_is_still_safe() -> None:
    # deep enough to pass orjson (limit 1024) but too deep to render naively
    nested: Any = "x"
    for _ in range(900):
        nested = [nested]
    doc = ATTACK | {"Extra": nested, "Level": {"a": nested}}
    recs, stats = read_export_bytes(json.dumps(doc).encode() + b"\n")
    assert len(recs) == 1 and stats.bad == 0
    assert "nested too deeply" in as_text(recs[0].data["Extra"])
    assert "EVT-PROC-EXCH-W3WP-SHELL" in {r.id for r in default_rules().match(recs[0])}


def test_one_line_array_utf16_with_attack_at_the_end(tmp_path: Path) -> None:
    filler = GET_WINEVENT | {"Id": 4624, "ProviderName": "Microsoft-Windows-Security-Auditing", "LogName": "Security",
                             "Message": "An account was successfully logged on." + "x" * 6000}
    body = "[" + ",".join(json.dumps(filler | {"RecordId": i}) for i in range(300)) + "," + json.dumps(GET_WINEVENT) + "]"
    (tmp_path / "events.json").write_bytes(codecs.BOM_UTF16_LE + body.encode("utf-16-le"))
    result = scan(tmp_path)
    assert "EVT-PROC-EXCH-W3WP-SHELL" in rule_ids(result)


def test_first_record_longer_than_the_sniff_head_is_still_an_export(tmp_path: Path) -> None:
    big = GET_WINEVENT | {"Message": GET_WINEVENT["Message"] + "\r\n" + "y" * 9000}
    (tmp_path / "events.json").write_text("[" + json.dumps(big) + "]", encoding="utf-8")
    assert "EVT-PROC-EXCH-W3WP-SHELL" in rule_ids(scan(tmp_path))


def test_time_out_of_range_is_marked_invalid_and_nothing_overflows(tmp_path: Path) -> None:
    late = ATTACK | {"UtcTime": "9999-12-31T23:59:59.9999999+14:00", "Hostname": 12345, "EventRecordID": 1}
    early = ATTACK | {"UtcTime": "0001-01-01T00:00:00+14:00", "EventRecordID": 2}
    ok = ATTACK | {"Hostname": {"name": ["x"]}, "EventRecordID": 3, "CommandLine": "cmd /c ipconfig"}
    for order, docs in enumerate([(late, early, ok), (ok, early, late)]):
        folder = tmp_path / str(order)
        folder.mkdir()
        (folder / "e.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
        result = scan(folder)
        shells = [f for f in result.findings if f.rule_id == "EVT-PROC-EXCH-W3WP-SHELL"]
        assert sum(f.count for f in shells) == 3
        assert all(f.first_seen is None or f.first_seen < datetime(2100, 1, 1, tzinfo=UTC) for f in shells)
        warning = next(w for w in result.coverage.warnings if "no readable time" in w)
        assert "out of range, marked invalid" in warning and "9999-12-31" in warning
        for story in result.stories:
            assert story.first_seen is None or story.first_seen.year < 2100


@pytest.mark.parametrize("junk", [100_000, 2_000_000], ids=["100 KB", "2 MB (over the line bound)"])
def test_long_junk_first_line_of_json_lines(tmp_path: Path, junk: int) -> None:
    (tmp_path / "events.jsonl").write_text("x" * junk + "\n" + json.dumps(ATTACK) + "\n", encoding="utf-8")
    result = scan(tmp_path)
    assert "EVT-PROC-EXCH-W3WP-SHELL" in rule_ids(result)
    note = next(s for s in result.coverage.skipped if s.path.endswith("events.jsonl"))
    assert note.partial and "line 1" in note.reason


@pytest.mark.parametrize("shift", [0, 1], ids=["chunk ends before the brace", "chunk ends with the brace"])
def test_nested_event_like_value_at_a_chunk_boundary_is_not_taken_for_a_record(shift: int) -> None:
    good = json.dumps(GET_WINEVENT)
    text = '[{"a": 1, "b": #, "inner":{"EventID": 4624, "Channel": "Security", "Hostname": "X"}},\n' + good + "]"
    cut = text.index(':{"EventID"') + 1 + shift
    stats = ExportStats()
    chunks = iter([text[:cut], text[cut:]])
    recs = list(_json_stream(chunks, stats))
    assert [r.record_id for r in recs] == [999] and stats.bad == 1 and stats.events == 1
