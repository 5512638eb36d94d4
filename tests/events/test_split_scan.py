"""A large JSON-lines export read by two workers gives the same findings as one whole-file read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import events as stage
from extriage.scan.stages.events import read_stage


def _lines(n: int) -> list[str]:
    out = []
    for i in range(n):
        doc = {"EventID": 4624, "Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing",
               "UtcTime": f"2021-03-02 10:{i // 60 % 60:02d}:{i % 60:02d}.000", "IpAddress": f"10.0.0.{i % 200}", "LogonType": 3}
        if i % 97 == 5:
            doc = {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon",
                   "UtcTime": f"2021-03-02 11:00:{i % 60:02d}.000", "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": f"cmd /c whoami {i % 3}",
                   "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe", "ParentCommandLine": 'w3wp.exe -ap "MSExchangeOWAAppPool"'}
        out.append(json.dumps(doc))
    return out


def _summary(path: Path, jobs: int) -> tuple:  # type: ignore[type-arg]
    r = run_scan(str(path), ScanOptions(jobs=jobs), stages=list(stage.STAGES))
    found = sorted((f.rule_id, f.count, f.evidence[0].line, tuple(sorted(f.indicators.paths))) for f in r.findings)
    fam = r.coverage.families["events-export:Security"]
    split = r.extras["events"]["files"][0].get("split", 1)
    return (found, fam.lines, fam.files, fam.first, fam.last, r.files[0].sha256, len(r.timeline)), split


def test_split_equals_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "export.jsonl").write_text("\n".join(_lines(3000)) + "\n")
    whole, parts = _summary(tmp_path, jobs=1)
    assert parts == 1
    monkeypatch.setattr(read_stage, "SPLIT_MIN", 1000)
    split, parts = _summary(tmp_path, jobs=2)
    assert parts == 2
    assert split == whole
    assert whole[0] and whole[1] == 3000 - len(range(5, 3000, 97))
