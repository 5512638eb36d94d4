"""Evidence layouts and hostile bytes: Velociraptor paths, IIS log folders from applicationHost.config,
and the chunk walker on arbitrary bytes."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.findings import Verdict
from extriage.formats.logscan import Candidate, WalkStats, walk
from extriage.formats.prefilter import Prefilter
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .builders import IIS_HEADER, IIS_SHELL, core_stages, hp_header, ssrf, write


def test_velociraptor_layout(tmp_path: Path) -> None:
    base = "uploads/auto/C%3A/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp"
    write(tmp_path, f"{base}/HttpProxy_2021030306-1.LOG",
          hp_header("plain") + ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241") + "\n")
    result = run_scan(str(tmp_path), ScanOptions(jobs=1), stages=core_stages())
    assert result.layout == "velociraptor" and result.verdict == Verdict.COMPROMISED
    ev = result.findings[0].evidence[0]
    assert "HttpProxy_2021030306-1.LOG" in ev.source and ev.line == 6


def test_iis_log_folders_from_application_host_config(tmp_path: Path, test_data: Path) -> None:
    cfg = (test_data / "exchange-iis-config/E16/Exchange/IIS/applicationHost.config").read_bytes()
    cfg = cfg.replace(b'<logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />',
                      b'<logFile logFormat="W3C" directory="D:\\IISLogs" />')
    assert b"D:\\IISLogs" in cfg
    write(tmp_path, "C/Windows/System32/inetsrv/config/applicationHost.config", cfg)
    write(tmp_path, "D/IISLogs/W3SVC1/u_ex210305.log", IIS_HEADER + IIS_SHELL + "\n")
    result = run_scan(str(tmp_path), ScanOptions(jobs=1), stages=core_stages())
    dirs = result.extras["logs"]["iis_log_directories"]
    present = {d["log_directory"]: d["present"] for d in dirs}
    assert present.get("D:\\IISLogs\\W3SVC1") is True
    assert any(not ok for ok in present.values())  # the back-end site's folder is not in the evidence
    assert any("configured at D:\\IISLogs" in w for w in result.coverage.warnings)
    assert result.verdict == Verdict.COMPROMISED  # the web shell request in D:\IISLogs was read


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["httpproxy", "iis", "ecp", "oabgen"]))
def test_walker_never_fails_and_counts_lines(data: bytes, family: str) -> None:
    pf = Prefilter(["serverinfo~", "a"], ["[0-9]{3}"])
    items = list(walk(io.BytesIO(data), family, pf))
    stats = items[-1]
    assert isinstance(stats, WalkStats)
    if b"\n" not in data and b"\r" in data:  # CR-only line ends: CR is the line end
        data = data.replace(b"\r", b"\n")
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert stats.lines == expected
    numbers = [c.lineno for c in items[:-1] if isinstance(c, Candidate)]
    assert numbers == sorted(set(numbers)) and all(1 <= n <= expected for n in numbers)


def test_many_configured_iis_sites_index_the_files_once(tmp_path: Path, monkeypatch: object) -> None:
    """A config naming hundreds of sites whose folders are missing looks each one up in one index of the
    files (built once), not by rescanning every file per site; a folder found by its tail still counts."""
    import pytest

    from extriage.scan.stages import logs as logs_stage

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    sites = "".join(
        f'<site name="s{i}" id="{i}"><logFile directory="E:\\Logs{i}" /></site>' for i in range(1, 301)
    )
    cfg = f'<?xml version="1.0"?><configuration><system.applicationHost><sites>{sites}</sites></system.applicationHost></configuration>'
    write(tmp_path, "C/Windows/System32/inetsrv/config/applicationHost.config", cfg.encode())
    write(tmp_path, "copied/Logs7/W3SVC7/u_ex210305.log", IIS_HEADER + IIS_SHELL + "\n")
    calls = []
    real = logs_stage._keys_by_folder_name
    monkeypatch.setattr(logs_stage, "_keys_by_folder_name", lambda ctx: calls.append(1) or real(ctx))
    result = run_scan(str(tmp_path), ScanOptions(jobs=1), stages=core_stages())
    present = {d["id"]: d["present"] for d in result.extras["logs"]["iis_log_directories"]}
    assert len(present) == 300 and calls == [1]
    assert present["7"] is True and present["8"] is False


_SHAREPOINT_ONLY = (
    '<?xml version="1.0"?><configuration><system.applicationHost><sites>'
    '<site name="SharePoint - 80" id="1"><application path="/" applicationPool="SharePoint - 80">'
    '<virtualDirectory path="/" physicalPath="C:\\inetpub\\wwwroot\\wss\\VirtualDirectories\\80" /></application>'
    '<application path="/_layouts/15" applicationPool="SharePoint - 80">'
    '<virtualDirectory path="/" physicalPath="C:\\Program Files\\Common Files\\Microsoft Shared\\Web Server Extensions\\16\\TEMPLATE\\LAYOUTS" />'
    '</application></site></sites></system.applicationHost></configuration>'
)


def test_an_iis_without_exchange_is_said_to_be_one(tmp_path: Path, test_data: Path) -> None:
    """A SharePoint-only IIS (X37's tree, session 16): the coverage says the Exchange waves cannot be
    checked there, and why; an Exchange config, or an Exchange install beside any config, says nothing."""
    write(tmp_path, "C/Windows/System32/inetsrv/config/applicationHost.config", _SHAREPOINT_ONLY.encode())
    result = run_scan(str(tmp_path), ScanOptions(jobs=1), stages=core_stages())
    said = [w for w in result.coverage.warnings if "serves no Exchange virtual directory" in w]
    assert len(said) == 1 and "'SharePoint - 80'" in said[0] and "stay inconclusive" in said[0]
    assert result.extras["server_role"] == {"exchange": "absent", "iis_sites": ["SharePoint - 80"]}

    exch = tmp_path / "exchange"
    cfg = (test_data / "exchange-iis-config/E16/Exchange/IIS/applicationHost.config").read_bytes()
    write(exch, "C/Windows/System32/inetsrv/config/applicationHost.config", cfg)
    result = run_scan(str(exch), ScanOptions(jobs=1), stages=core_stages())
    assert not any("serves no Exchange" in w for w in result.coverage.warnings)
    assert "server_role" not in result.extras

    both = tmp_path / "both"
    write(both, "C/Windows/System32/inetsrv/config/applicationHost.config", _SHAREPOINT_ONLY.encode())
    write(both, "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/logon.aspx", "<%@ Page %>")
    result = run_scan(str(both), ScanOptions(jobs=1), stages=core_stages())
    assert not any("serves no Exchange" in w for w in result.coverage.warnings)
