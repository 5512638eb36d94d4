"""The scan names the server from its own logs (HttpProxy ServerHostName, ECP ServerName)."""

from __future__ import annotations

from pathlib import Path

from extriage.scan.pipeline import run_scan
from extriage.scan.stages.identity import STAGES

# Real HttpProxy header + row shape (Qazeer, CC0; logs-and-detections.md §1a), trimmed to the fields used.
HEADER = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n#Log-type: HttpProxy Logs\r\n"
    "#Date: 2023-01-09T19:00:00.130Z\r\n"
    "#Fields: DateTime,RequestId,Protocol,UrlHost,UrlStem,ClientIpAddress,ServerHostName,HttpStatus\r\n"
)


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def test_hostname_from_httpproxy_rows(tmp_path: Path) -> None:
    base = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa"
    _write(
        tmp_path,
        f"{base}/HttpProxy_2023010919-1.LOG",
        HEADER + "2023-01-09T19:00:00.130Z,id,Owa,mail.x,/owa/,95.1.2.3,SERVER-HOSTNAME,200\r\n",
    )
    result = run_scan(str(tmp_path), stages=list(STAGES))
    assert result.hostname == "SERVER-HOSTNAME"
    assert result.extras["identity"]["sources"][0]["field"] == "ServerHostName"
    assert result.files and result.files[0].sha256  # the file read is hashed
    assert not result.coverage.warnings


def test_two_names_are_reported_not_hidden(tmp_path: Path) -> None:
    base = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy"
    for i, host in enumerate(("EXCH01", "EXCH02")):
        _write(
            tmp_path,
            f"{base}/Owa/HttpProxy_202301091{i}-1.LOG",
            HEADER + f"2023-01-09T1{i}:00:00.130Z,id,Owa,mail.x,/owa/,95.1.2.3,{host},200\r\n",
        )
    result = run_scan(str(tmp_path), stages=list(STAGES))
    assert result.hostname in {"EXCH01", "EXCH02"}
    assert any("more than one server" in w for w in result.coverage.warnings)


def test_no_logs_no_name(tmp_path: Path) -> None:
    _write(tmp_path, "notes.txt", "nothing here\n")
    result = run_scan(str(tmp_path), stages=list(STAGES))
    assert result.hostname == "" and "identity" not in result.extras
