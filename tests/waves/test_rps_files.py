"""Rps_Http files end to end: found by path or header, header-less rows read with CrowdStrike's
columns, hostile content reported and skipped without stopping the scan."""

from __future__ import annotations

from pathlib import Path

from extriage.findings import Outcome
from extriage.formats.rps_http import FIELDS
from extriage.scan.pipeline import run_scan

RPS = "C/Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/Powershell-Proxy/Http"


def _row(client_info: str, ip: str, status: str = "200") -> str:
    row = dict.fromkeys(FIELDS, "")
    row.update(DateTime="2022-12-01T10:00:00.123Z", StartTime="2022-12-01T09:59:59.900Z", UrlStem="/powershell",
               AuthenticatedUser="CORP\\bob", ClientIpAddress=ip, HttpStatus=status, CommandName="Get-Mailbox",
               ClientInfo=client_info)
    return ",".join(row.values())


def _write(root: Path, rel: str, data: bytes) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def test_headerless_and_hostile_rps_http(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    good = "\r\n".join([_row("Microsoft WinRM Client", "10.0.0.5"), _row("python-requests/2.28.1", "203.0.113.5 10.0.0.10")])
    _write(root, f"{RPS}/Rps_Http_2022120110-1.LOG", (good + "\r\n").encode())
    # a long line, NUL bytes and invalid UTF-8 in the next file: reported, rest still read
    hostile = (_row("x" * 2_000_000, "198.51.100.9") + "\r\n" + "\x00\xff garbage\r\n" + _row("curl/8.0", "198.51.100.7") + "\r\n")
    _write(root, f"{RPS}/Rps_Http_2022120111-1.LOG", hostile.encode("latin-1"))
    _write(root, f"{RPS}/Rps_Http_2022120112-1.LOG", b"\x00" * 4096)
    result = run_scan(str(root))
    hits = [f for f in result.findings if f.rule_id == "PNS-RPS-CLIENTINFO"]
    ips = {ip for f in hits for ip in f.indicators.client_ips}
    assert {"203.0.113.5", "198.51.100.7"} <= ips
    assert all(f.outcome == Outcome.SUCCESS for f in hits if "203.0.113.5" in f.indicators.client_ips)
    assert not any("without a #Fields header" in s.reason for s in result.coverage.skipped)
    reasons = " | ".join(f"{s.path}: {s.reason}" for s in result.coverage.skipped)
    assert "Rps_Http_2022120112-1.LOG" in reasons  # the zero-filled file is named
    assert result.coverage.families["rps_http"].files == 2  # the zero-filled one is listed as not read
    assert result.waves["proxynotshell"].value == "compromised"
    for f in hits:  # the raw line of every finding is kept, and no longer than the cap
        assert f.evidence and all(len(e.raw) <= 17_000 for e in f.evidence)
