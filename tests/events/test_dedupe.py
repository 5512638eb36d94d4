"""The same events given twice — as an .evtx and as a SIEM export of it — are counted once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import evtx

from .helpers import scan

SAMPLE = "ID6-Failed to install an Exchange transport agent.evtx"


def _flat_export(src: Path) -> list[dict[str, Any]]:
    """The records of ``src`` flattened as public datasets do (EventData beside EventID/Channel)."""
    out = []
    for item in evtx.PyEvtxParser(str(src)).records_json():
        ev = json.loads(item["data"])["Event"]
        sysn = ev["System"]
        eid = sysn["EventID"]["#text"] if isinstance(sysn["EventID"], dict) else sysn["EventID"]
        flat: dict[str, Any] = {
            "@timestamp": sysn["TimeCreated"]["#attributes"]["SystemTime"],
            "EventID": eid,
            "Channel": sysn["Channel"],
            "SourceName": sysn["Provider"]["#attributes"]["Name"],
            "Hostname": sysn["Computer"],
            "Level": sysn.get("Level"),
            "EventRecordID": sysn["EventRecordID"],
        }
        data = ev.get("EventData") or {}
        if isinstance(data.get("Data"), dict):
            for i, v in enumerate(data["Data"]["#text"], 1):
                flat[f"param{i}"] = v
        out.append(flat)
    return out


def _transport(result: Any) -> list[Any]:
    return [f for f in result.findings if f.rule_id == "EVT-MGMT-TRANSPORT-AGENT"]


def test_same_event_in_evtx_and_export_is_one_finding(test_data: Path, tmp_path: Path) -> None:
    src = test_data / "evtx-samples-cc0" / SAMPLE
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(src, alone / "mgmt.evtx")
    single = _transport(scan(alone))
    assert single
    both = tmp_path / "both"
    both.mkdir()
    shutil.copy(src, both / "mgmt.evtx")
    docs = _flat_export(src)
    (both / "export.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    result = scan(both)
    found = _transport(result)
    assert len(found) == len(single), [f.evidence[0].source for f in found]
    assert sorted((f.outcome, f.count) for f in found) == sorted((f.outcome, f.count) for f in single)
    for f in found:
        assert "duplicate-source" in f.tags
        assert "counted once" in f.description
        assert len({ev.source for ev in f.evidence}) == 1  # the export's copy adds no evidence line
    rows = [t for t in result.timeline if t.kind == "event" and "transport agent" in t.summary.lower()]
    assert len(rows) == len({(t.timestamp, t.summary) for t in rows})


def scan_one(src: Path, folder: Path) -> Any:
    folder.mkdir()
    shutil.copy(src, folder / "mgmt.evtx")
    return scan(folder)


def test_different_events_in_two_files_stay_apart(test_data: Path, tmp_path: Path) -> None:
    """Same rule and computer but no shared record: two logs, two findings (nothing is folded)."""
    src = test_data / "evtx-samples-cc0" / SAMPLE
    shutil.copy(src, tmp_path / "mgmt.evtx")
    docs = _flat_export(src)
    for d in docs:
        d["EventRecordID"] = int(d["EventRecordID"]) + 100_000
    (tmp_path / "export.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    found = _transport(scan(tmp_path))
    single = _transport(scan_one(src, tmp_path / "one"))
    assert len(found) == 2 * len(single)
    assert all("duplicate-source" not in f.tags for f in found)


def test_export_naming_the_computer_by_its_short_name_is_still_the_same_events(test_data: Path, tmp_path: Path) -> None:
    # SIEM exports often carry "EXCHANGE01" where the .evtx says "exchange01.offsec.lan"
    src = test_data / "evtx-samples-cc0" / SAMPLE
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(src, alone / "mgmt.evtx")
    single = _transport(scan(alone))
    both = tmp_path / "both"
    both.mkdir()
    shutil.copy(src, both / "mgmt.evtx")
    docs = [d | {"Hostname": str(d["Hostname"]).split(".")[0].upper()} for d in _flat_export(src)]
    (both / "export.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    result = scan(both)
    assert sorted((f.outcome, f.count) for f in _transport(result)) == sorted((f.outcome, f.count) for f in single)
    assert not any("computers (" in w for w in result.coverage.warnings)
