"""One event file read by several workers (an .evtx in chunk ranges, an export in byte ranges)
gives exactly what one worker reading it whole gives: records, findings (counts, evidence,
indicators, timeline rows), channel spans, the IP index and the events' identities."""

from __future__ import annotations

import io
import itertools
import json
import pickle
import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.events.collect import EventCollector
from extriage.detections.events.engine import default_rules
from extriage.formats.event_export import ExportStats, jsonl_records
from extriage.formats.event_record import EventRecord
from extriage.formats.evtx_file import CHUNK, HEADER, EvtxStats, chunk_count, iter_evtx
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import events as stage
from extriage.scan.stages.events import read_stage, reading

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "evtx-samples-cc0"


def _big_evtx(copies: int) -> bytes:
    """One real file header, then the real files' chunks repeated (each chunk is self-contained)."""
    head = b""
    chunks: list[bytes] = []
    for f in sorted(SAMPLES.glob("*.evtx")):
        data = f.read_bytes()
        head = head or data[:HEADER]
        chunks.extend(data[i : i + CHUNK] for i in range(HEADER, len(data), CHUNK))
    return head + b"".join(chunks) * copies


def _records(data: bytes, chunks: tuple[int, int] | None = None) -> tuple[list[tuple[Any, ...]], EvtxStats]:
    stats = EvtxStats()
    recs = [
        (r.record_id, r.channel, r.time, r.raw, r.data)
        for r in iter_evtx(io.BytesIO(data), len(data), "x.evtx", stats, chunks=chunks)
    ]
    return recs, stats


def _damaged(data: bytes) -> bytes:
    out = bytearray(data)
    bad = HEADER + 7 * CHUNK + 700  # inside the records of the 8th chunk
    out[bad : bad + 400] = bytes(range(200)) * 2
    return bytes(out)


@pytest.mark.parametrize("shape", ["whole", "cut", "damaged"])
@pytest.mark.parametrize("parts", [2, 3, 5])
def test_chunk_ranges_give_the_whole_files_records(shape: str, parts: int) -> None:
    data = _big_evtx(3)
    if shape == "cut":
        data = data[: len(data) - CHUNK - 20_000]  # ends inside a chunk
    elif shape == "damaged":
        data = _damaged(data)
    whole, st = _records(data)
    assert len(whole) > 50
    n = chunk_count(len(data))
    bounds = [n * i // parts for i in range(parts + 1)]
    got: list[tuple[Any, ...]] = []
    stats: list[EvtxStats] = []
    for a, b in itertools.pairwise(bounds):
        recs, s = _records(data, (a, b))
        got += recs
        stats.append(s)
    assert got == whole
    assert sum(s.records for s in stats) == st.records
    assert sum(s.errors for s in stats) == st.errors
    assert [s.padded for s in stats][-1] == st.padded and not any(s.padded for s in stats[:-1])
    assert next((s.first_error for s in stats if s.first_error), "") == st.first_error
    if shape == "cut":
        assert st.padded
    if shape == "damaged":
        assert st.errors or len(whole) < len(_records(_big_evtx(3))[0])


def _doc(i: int, rng: random.Random) -> dict[str, Any]:
    """Events that reach every cap of the collector: > 200 hits of one finding with changing
    indicators, > 50 timeline rows, > 20 computers, IPs seen many times, clearing, no time."""
    host = rng.choice(["EXCH01", "exch01.corp.local", "Exch01"]) if i % 3 else f"srv{i % 31}"
    t = f"2021-03-0{1 + i % 5}T1{i % 10}:{i % 60:02d}:{(i * 7) % 60:02d}Z"
    kind = i % 7
    if kind in (0, 1, 2):
        return {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon",
                "UtcTime": t.replace("T", " ").rstrip("Z"), "Hostname": host, "EventRecordID": 10_000 + i,
                "Image": rng.choice(["C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\whoami.exe"]) if i > 300 else "C:\\Windows\\System32\\cmd.exe",
                "User": f"NT AUTHORITY\\user{i // 40}", "CommandLine": "cmd /c whoami",
                "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
                "ParentCommandLine": 'w3wp.exe -ap "MSExchangeOWAAppPool"'}
    if kind in (3, 4):
        return {"EventID": 4624, "Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing",
                "@timestamp": t, "Hostname": host, "EventRecordID": 20_000 + i, "LogonType": 3,
                "IpAddress": f"203.0.113.{i % 4}", "TargetUserName": f"u{i % 9}"}
    if kind == 5:
        return {"EventID": 4720, "Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing",
                "@timestamp": t if i % 2 else "", "Hostname": host, "EventRecordID": 30_000 + i,
                "TargetUserName": f"evil{i % 2}", "SubjectUserName": f"admin{i % 11}"}
    return {"EventID": 1102, "Channel": "Security", "SourceName": "Microsoft-Windows-Eventlog",
            "@timestamp": t, "Hostname": host, "EventRecordID": 40_000 + i, "SubjectUserName": "admin"}


def _lines(n: int) -> list[bytes]:
    rng = random.Random(18)
    return [json.dumps(_doc(i, rng)).encode() for i in range(n)]


def _feed(recs: list[EventRecord], part: bool) -> EventCollector:
    coll = EventCollector(default_rules(), "x.jsonl", "events-export", keep_ids=True, part=part)
    for r in recs:
        coll.feed(r)
    return coll


def _state(coll: EventCollector) -> Any:
    return (
        [asdict(f) for f in coll.finding_list("abc")],
        [asdict(e) for e in coll.events],
        [asdict(c) for c in coll.coverage(10)],
        coll.channel_summary(),
        coll.ip_index(),
        {ch: {c: (list(a), list(b)) for c, (a, b) in by.items()} for ch, by in coll.identities().items()},
        {ip: {ch: {c: (list(a), list(b)) for c, (a, b) in by.items()} for ch, by in v.items()}
         for ip, v in coll.ip_identities().items()},
        {k: sorted(v) if v is not None else None for k, v in coll.ids.items()},
        list(coll.findings),
        sorted(coll.webshell_paths),
        coll.time_fields, list(coll.time_fields), coll.no_time, coll.bad_time,
    )


def test_merged_parts_equal_one_collector() -> None:
    lines = _lines(2400)
    recs = list(jsonl_records(((i + 1, line, False) for i, line in enumerate(lines)), ExportStats()))
    whole = _state(_feed(recs, part=False))
    assert any(f["count"] > 200 for f in whole[0])
    for cuts in ([700], [5, 1200, 1201, 2000], [300, 600, 900, 1500]):
        bounds = [0, *cuts, len(recs)]
        parts = [_feed(recs[a:b], part=True) for a, b in itertools.pairwise(bounds)]
        first, *rest = (pickle.loads(pickle.dumps(p)) for p in parts)  # as sent back by a worker
        for later in rest:
            first.absorb(later)
        assert _state(first) == whole, cuts


def _result(path: Path, jobs: int) -> dict[str, Any]:
    r = run_scan(str(path), ScanOptions(jobs=jobs), stages=list(stage.STAGES))
    doc = json.loads(json.dumps(asdict(r), default=str))
    for entry in doc["extras"]["events"]["files"]:
        entry.pop("split", None)
    for key in ("started", "finished", "duration", "timings", "stage_timings"):
        doc.pop(key, None)
    return doc


def test_scan_of_a_split_evtx_equals_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Security.evtx").write_bytes(_big_evtx(4))
    whole = _result(tmp_path, jobs=1)
    monkeypatch.setattr(read_stage, "EVTX_SPLIT_MIN", 100_000)
    split = run_scan(str(tmp_path), ScanOptions(jobs=2), stages=list(stage.STAGES))
    assert split.extras["events"]["files"][0]["split"] == 2
    assert _result(tmp_path, jobs=2) == whole
    assert whole["findings"]


def test_scan_of_a_large_file_that_is_not_evtx_equals_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Security.evtx").write_bytes(b"not an event log\n" * 20_000)
    whole = _result(tmp_path, jobs=1)
    monkeypatch.setattr(read_stage, "EVTX_SPLIT_MIN", 100_000)
    assert _result(tmp_path, jobs=2) == whole
    assert "not an EVTX file" in json.dumps(whole["coverage"])


def test_scan_of_a_split_export_equals_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "export.jsonl").write_bytes(b"\n".join(_lines(3000)) + b"\n")
    whole = _result(tmp_path, jobs=1)
    monkeypatch.setattr(read_stage, "SPLIT_MIN", 1000)
    assert _result(tmp_path, jobs=2) == whole


def test_split_ranges_cover_the_file() -> None:
    size = HEADER + 10 * CHUNK + 5
    assert reading.split_ranges("evtx", size, 2) == [(0, 5), (5, 11)]
    assert reading.split_ranges("evtx", HEADER, 2) == []
    assert reading.split_ranges("export", 10, 3) == [(0, 3), (3, 6), (6, 10)]


def test_scan_of_a_split_evtx_among_other_event_files_equals_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With several event files the identities of every event are kept (an event read from two
    files is counted once): the split file's merged identities must fold exactly as one reader's."""
    big = _big_evtx(4)
    (tmp_path / "Archive-Security.evtx").write_bytes(big)
    (tmp_path / "copy-of-part.evtx").write_bytes(big[: HEADER + 7 * CHUNK])  # the same events again
    for f in sorted(SAMPLES.glob("*.evtx"))[:2]:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "export.jsonl").write_bytes(b"\n".join(_lines(500)) + b"\n")
    whole = _result(tmp_path, jobs=1)
    monkeypatch.setattr(read_stage, "EVTX_SPLIT_MIN", 100_000)
    split = _result(tmp_path, jobs=2)
    assert split == whole
    assert any(ch.get("duplicates") for ch in whole["extras"]["events"]["channels"].values())


def test_a_split_evtx_that_grows_while_read_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers read the chunks of the size listed, the main process hashes what the file holds
    when it reads it: a file written meanwhile (a live server's share) is named in the coverage."""
    path = tmp_path / "Security.evtx"
    path.write_bytes(_big_evtx(4))
    monkeypatch.setattr(read_stage, "EVTX_SPLIT_MIN", 100_000)
    quiet = run_scan(str(tmp_path), ScanOptions(jobs=2), stages=list(stage.STAGES))
    assert not [w for w in quiet.coverage.warnings if "changed while" in w]
    real = reading.split_ranges

    def grow_then_split(kind: str, size: int, n: int) -> list[tuple[int, int]]:
        with path.open("ab") as fh:
            fh.write(b"\0" * CHUNK)  # an event log's next chunk, written after the listing
        return real(kind, size, n)

    monkeypatch.setattr(reading, "split_ranges", grow_then_split)
    r = run_scan(str(tmp_path), ScanOptions(jobs=2), stages=list(stage.STAGES))
    assert r.extras["events"]["files"][0]["split"] == 2
    warned = [w for w in r.coverage.warnings if "changed while the scan read it" in w]
    assert len(warned) == 1 and "Security.evtx" in warned[0], r.coverage.warnings
    assert r.files[0].sha256 in warned[0]
