"""What the user reads: failed cmdlets say so, events without a readable time are reported."""

from __future__ import annotations

import shutil
from pathlib import Path

from .helpers import jsonl, scan


def test_failed_cmdlet_says_so_in_the_title(test_data: Path, tmp_path: Path) -> None:
    src = test_data / "evtx-samples-cc0" / "ID6-Failed to install an Exchange transport agent.evtx"
    shutil.copy(src, tmp_path / "mgmt.evtx")
    found = [f for f in scan(tmp_path).findings if f.rule_id == "EVT-MGMT-TRANSPORT-AGENT"]
    assert found
    for f in found:  # event 6 = "Cmdlet failed": an attempt, and the title must not read as success
        assert f.outcome.value == "attempt"
        assert f.title.endswith("the cmdlet failed")


def test_events_without_time_are_reported(tmp_path: Path) -> None:
    (tmp_path / "export.jsonl").write_bytes(
        jsonl(
            {
                "EventID": 4720,
                "Channel": "Security",
                "SourceName": "Microsoft-Windows-Security-Auditing",
                "@timestamp": "2021-03-03T10:00:00Z",
                "TargetUserName": "a",
                "Hostname": "x",
            },
            {
                "EventID": 4720,
                "Channel": "Security",
                "SourceName": "Microsoft-Windows-Security-Auditing",
                "@timestamp": "not a time",
                "TargetUserName": "b",
                "Hostname": "x",
            },
        )
    )
    result = scan(tmp_path)
    warnings = [w for w in result.coverage.warnings if "no readable time" in w]
    assert len(warnings) == 1
    assert "1 event(s)" in warnings[0] and "export.jsonl (1)" in warnings[0]
