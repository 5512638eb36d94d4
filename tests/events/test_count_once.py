"""An event read both from an .evtx and from an export of the same log is one record in the channel
counts and the IP index — not only one finding (see test_dedupe.py)."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.events import collect
from extriage.formats.event_record import EventRecord
from extriage.formats.evtx_file import EvtxStats, iter_evtx
from extriage.scan.stages.events import read_stage

from .helpers import scan

SAMPLE = "ID4756-Exchange admin group change.evtx"  # 15 Security records of rootdc1.offsec.lan


def _records(src: Path) -> list[EventRecord]:
    with src.open("rb") as fh:
        return list(iter_evtx(fh, src.stat().st_size, str(src), EvtxStats(), path=str(src)))


def _flat(rec: EventRecord, shift: timedelta = timedelta(0), record_offset: int = 0) -> dict[str, Any]:
    """``rec`` as a flattened SIEM export line (event data beside EventID, Channel, Hostname)."""
    assert rec.time is not None and rec.record_id is not None
    return {
        "@timestamp": (rec.time + shift).isoformat().replace("+00:00", "Z"),
        "EventID": rec.event_id,
        "Channel": rec.channel,
        "SourceName": rec.provider,
        "Hostname": rec.computer,
        "EventRecordID": rec.record_id + record_offset,
        **{k: v for k, v in rec.data.items() if isinstance(v, str)},
    }


def _write(folder: Path, src: Path, docs: list[dict[str, Any]]) -> Path:
    folder.mkdir()
    shutil.copy(src, folder / "Security.evtx")
    (folder / "security-export.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    return folder


@pytest.fixture()
def sample(test_data: Path) -> Path:
    return test_data / "evtx-samples-cc0" / SAMPLE


def test_channel_records_are_counted_once(sample: Path, tmp_path: Path) -> None:
    recs = _records(sample)
    assert len(recs) == 15
    result = scan(_write(tmp_path / "both", sample, [_flat(r) for r in recs]))
    channel = result.extras["events"]["channels"]["Security"]
    assert channel["records"] == 15 and channel["duplicates"] == 15
    assert len(channel["sources"]) == 2  # both files are still named as sources of the channel
    fams = result.coverage.families  # what each family's files held (read), the overlap noted
    assert fams["evtx:Security"].lines == fams["events-export:Security"].lines == 15
    notes = fams["events-export:Security"].notes
    assert any("15 record(s)" in n and "Security.evtx" in n and "counts them once" in n for n in notes)
    assert not any("also read from" in n for n in fams["evtx:Security"].notes)
    # each file's own section still says what it held
    files = {Path(f["path"]).name: f for f in result.extras["events"]["files"]}
    assert files["Security.evtx"]["evtx"]["records"] == 15
    assert files["security-export.jsonl"]["export"]["events"] == 15


def test_only_the_shared_records_are_counted_once(sample: Path, tmp_path: Path) -> None:
    """An export holding 5 of the .evtx's records and 3 others (different record ids)."""
    recs = _records(sample)
    docs = [_flat(r) for r in recs[:5]] + [_flat(r, record_offset=1_000) for r in recs[-3:]]
    result = scan(_write(tmp_path / "part", sample, docs))
    channel = result.extras["events"]["channels"]["Security"]
    assert channel["records"] == 15 + 3 and channel["duplicates"] == 5
    assert any("5 record(s)" in n for n in result.coverage.families["events-export:Security"].notes)


def test_same_record_ids_at_other_times_are_other_events(sample: Path, tmp_path: Path) -> None:
    """Record ids start again after a log is cleared: the same ids a day apart are different events."""
    recs = _records(sample)
    result = scan(_write(tmp_path / "other", sample, [_flat(r, shift=timedelta(days=1)) for r in recs]))
    channel = result.extras["events"]["channels"]["Security"]
    assert channel["records"] == 30 and "duplicates" not in channel
    assert not any("also read from" in n for n in result.coverage.families["events-export:Security"].notes)


def test_ip_index_counts_each_event_once(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The samples carry no remote address, so the subject's name stands in for one (the index only
    needs a value outside the loopback list); the scan runs in this process (one job)."""
    monkeypatch.setattr(collect, "IP_FIELDS", ("SubjectUserName",))
    recs = _records(sample)
    assert {r.data["SubjectUserName"] for r in recs} == {"admmig"}
    result = scan(_write(tmp_path / "ips", sample, [_flat(r) for r in recs]), attacker_ips={"admmig"})
    corr = [f for f in result.findings if f.rule_id == "EVT-CORR-ATTACKER-IP"]
    assert len(corr) == 1
    assert corr[0].count == 15
    assert "in 15 Windows event(s)" in corr[0].description
    idents = [(ev.fields["record_id"], ev.fields["channel"]) for ev in corr[0].evidence]
    assert len(idents) == len(set(idents)) == 3  # the export's copies of the same events are no extra samples


def test_two_copies_of_one_evtx_count_once(sample: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copies"
    folder.mkdir()
    shutil.copy(sample, folder / "Security.evtx")
    shutil.copy(sample, folder / "Security-copy.evtx")
    channel = scan(folder).extras["events"]["channels"]["Security"]
    assert channel["records"] == 15 and channel["duplicates"] == 15


def test_a_lone_file_keeps_no_identities(sample: Path, tmp_path: Path) -> None:
    """Record ids and times are kept (16 bytes an event) only when another event file is present."""
    folder = tmp_path / "lone"
    folder.mkdir()
    shutil.copy(sample, folder / "Security.evtx")
    seen: list[bool] = []
    real = read_stage.read_event_file

    def spy(f: Any, params: Any) -> Any:
        seen.append(params.keep_ids)
        return real(f, params)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(read_stage, "read_event_file", spy)
        scan(folder)
        assert seen == [False]
        shutil.copy(sample, folder / "Security-copy.evtx")
        seen.clear()
        scan(folder)
        assert seen == [True, True]
