"""The .evtx reader on the real CC0 samples and on damaged copies of them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from extriage.formats.evtx_file import EvtxError, EvtxStats, iter_evtx

from .helpers import rule_ids, scan

SAMPLES = {
    "ID1-WMIexec process execution.evtx": 1,
    "ID11-Exchange transport config modified.evtx": 1,
    "ID4103-4104-Payload download via PowerShell.evtx": 3,
    "ID4688-User creation via commandline.evtx": 9,
    "ID4756-Exchange admin group change.evtx": 15,
    "ID6-Failed to install an Exchange transport agent.evtx": 4,
}


def _read(data: bytes, name: str = "x.evtx") -> tuple[list, EvtxStats]:  # type: ignore[type-arg]
    stats = EvtxStats()
    return list(iter_evtx(io.BytesIO(data), len(data), name, stats)), stats


@pytest.mark.parametrize("name,count", sorted(SAMPLES.items()))
def test_all_cc0_samples_parse(test_data: Path, name: str, count: int) -> None:
    recs, stats = _read((test_data / "evtx-samples-cc0" / name).read_bytes())
    assert len(recs) == count
    assert stats.errors == 0
    for r in recs:
        assert r.channel and r.provider and r.event_id is not None
        assert r.time is not None and r.time.year >= 2021  # SystemTime, not the 1601 placeholder
        assert r.raw.startswith('{"Event"')


def test_exchange_management_positional_mapping(test_data: Path) -> None:
    recs, _ = _read((test_data / "evtx-samples-cc0" / "ID6-Failed to install an Exchange transport agent.evtx").read_bytes())
    r = recs[0]
    assert r.channel == "MSExchange Management" and r.provider == "MSExchange CmdletLogs" and r.event_id == 6
    assert r.data["cmdlet"] == "Install-TransportAgent"
    assert r.data["parameters"].startswith('-Name "Evil" -AssemblyPath')
    assert r.data["caller"] == "offsec.lan/OFFSEC-COMPANY/Administrators/admmig"
    assert r.data["client_app"] == "Remote-ManagementShell-Unknown"
    assert r.data["process"] == "8372 w3wp#MSExchangePowerShellAppPool"
    assert r.data["param.assemblypath"] == ".\\NetshHelperBeacon.dll"
    assert r.data["error"].startswith("System.ArgumentException")


def test_install_transport_agent_becomes_a_finding(test_data: Path) -> None:
    result = scan(test_data / "evtx-samples-cc0")
    agent = [f for f in result.findings if f.rule_id == "EVT-MGMT-TRANSPORT-AGENT"]
    assert len(agent) == 2  # Install-TransportAgent (2 records) and Enable-TransportAgent (2 records)
    f = next(a for a in agent if "Install-TransportAgent" in a.evidence[0].raw)
    assert f.outcome.value == "attempt"  # event 6: the cmdlet failed
    assert f.count == 2
    assert ".\\NetshHelperBeacon.dll" in f.indicators.paths
    ev = f.evidence[0]
    assert "Install-TransportAgent" in ev.raw and ev.fields["cmdlet"] == "Install-TransportAgent"
    assert ev.sha256 and len(ev.sha256) == 64
    # every sample hashed, each channel covered with its time span
    assert len([r for r in result.files if r.path.endswith(".evtx")]) == 6
    fam = result.coverage.families["evtx:MSExchange Management"]
    assert fam.lines == 4 and fam.first is not None and fam.first.year == 2021
    # 4688 "net user ... /add" and 4720 found, but only for review without other attack traces
    ids = rule_ids(result)
    assert {"EVT-PROC-NET-USER-ADD", "EVT-ACCT-CREATED", "EVT-ACCT-PRIV-GROUP"} <= ids
    assert all(f.outcome.value == "info" for f in result.findings if "incident-window" in f.tags)


def test_truncated_file_recovers_records(test_data: Path) -> None:
    data = (test_data / "evtx-samples-cc0" / "ID4756-Exchange admin group change.evtx").read_bytes()
    recs, stats = _read(data[:20000])
    assert stats.padded and len(recs) == 15
    recs, stats = _read(data[:10000])
    assert 0 < len(recs) < 15


def test_corrupt_chunk_is_counted_not_fatal(test_data: Path) -> None:
    data = bytearray((test_data / "evtx-samples-cc0" / "ID4756-Exchange admin group change.evtx").read_bytes())
    data[4096 + 100 : 4096 + 200] = b"\xff" * 100
    recs, stats = _read(bytes(data))
    assert recs == [] and stats.errors >= 1 and stats.first_error


@pytest.mark.parametrize(
    "data,reason",
    [(b"", "empty"), (b"hello, not an event log\n" * 10, "not an EVTX file"), (b"ElfFile\x00" + b"\x00" * 100, "cut short")],
)
def test_bad_files_raise_one_line_reason(data: bytes, reason: str) -> None:
    with pytest.raises(EvtxError, match=reason):
        _read(data, "bad.evtx")


def test_scan_reports_bad_evtx_and_reads_the_rest(tmp_path: Path, test_data: Path) -> None:
    (tmp_path / "fake.evtx").write_bytes(b"this is a text file renamed to evtx\n")
    (tmp_path / "empty.evtx").write_bytes(b"")
    good = (test_data / "evtx-samples-cc0" / "ID6-Failed to install an Exchange transport agent.evtx").read_bytes()
    (tmp_path / "cut.evtx").write_bytes(good[:30000])
    result = scan(tmp_path)
    reasons = {Path(s.path).name: s for s in result.coverage.skipped}
    assert "not an EVTX file" in reasons["fake.evtx"].reason
    assert "empty" in reasons["empty.evtx"].reason
    assert reasons["cut.evtx"].partial and "recovered" in reasons["cut.evtx"].reason
    assert "EVT-MGMT-TRANSPORT-AGENT" in rule_ids(result)


def test_evtx_inside_a_zip_and_hostile_export_lines(tmp_path: Path, test_data: Path) -> None:
    import json
    import zipfile

    src = test_data / "evtx-samples-cc0" / "ID6-Failed to install an Exchange transport agent.evtx"
    good = {"EventID": 4720, "Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing",
            "TimeCreated": "2021-03-02T10:00:00Z", "TargetUserName": "x"}
    huge = b"{\"EventID\": 1, \"CommandLine\": \"" + b"A" * (9 * 1024 * 1024) + b"\"}"
    export = (json.dumps(good) + "\n").encode() + huge + b"\n" + (json.dumps(good) + "\n").encode()
    archive = tmp_path / "evidence.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(src, "C/Windows/System32/winevt/Logs/MSExchange Management.evtx")
        zf.writestr("exports/security.jsonl", export)
    result = scan(archive)
    assert "EVT-MGMT-TRANSPORT-AGENT" in rule_ids(result)
    acct = next(f for f in result.findings if f.rule_id == "EVT-ACCT-CREATED")
    assert acct.count == 2  # both lines around the 9 MB line were read
    skipped = next(s for s in result.coverage.skipped if s.path.endswith("security.jsonl"))
    assert skipped.partial and "longer than" in skipped.reason
    assert any(r.path.endswith("MSExchange Management.evtx") and len(r.sha256) == 64 for r in result.files)


def test_empty_log_is_reported(tmp_path: Path, test_data: Path) -> None:
    header_only = (test_data / "evtx-samples-cc0" / "ID4756-Exchange admin group change.evtx").read_bytes()[:4096]
    (tmp_path / "Security.evtx").write_bytes(header_only)
    result = scan(tmp_path)
    assert any("no event records" in s.reason for s in result.coverage.skipped)
