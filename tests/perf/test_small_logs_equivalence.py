"""Many small logs, read one at a time or by two workers, give one result (issue 18, session 20: the
per-log fast paths of the walk's first lines, its two-hour count and the header sniff). The shapes a
server holds by the hundred: an hourly HttpProxy log, one holding its next hour's first line, one in
the Import-Csv layout (a bare field line, no directives), ECP, Rps_Http and OABGenerator logs by their
directives alone, IIS logs; every hour counted as a per-line reading counts it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from core.builders import FIELDS, INSTALL, benign_hp, hp_header, iis_line, ssrf, write
from extriage.scan import context
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .hour_reference import per_line_hours

IIS_HEAD = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n"
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
            "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")
EXCHANGE_HEAD = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: {kind}\r\n" \
                "#Date: 2021-03-03T00:00:00.000Z\r\n#Fields: DateTime,ClientIp,Message\r\n"


def _tree(root: Path) -> dict[str, Counter[str]]:
    """Write the logs; return the hours a per-line reading gives per family."""
    hours: dict[str, Counter[str]] = {}

    def log(rel: str, family: str, text: str, data_from: int = 0) -> None:
        data = text.encode("utf-8")
        write(root, rel, data)
        if family in ("httpproxy", "iis"):  # the families whose lines are requests
            hours.setdefault(family, Counter()).update(per_line_hours(data[data_from:]))

    for i in range(60):
        day, hour = 1 + i // 24, i % 24
        ts = f"2021-03-{day:02d}T{hour:02d}"
        head = hp_header("plain", f"{ts}:00:00.000Z")
        rows = [benign_hp(f"{ts}:{m:02d}:00.000Z", f"10.0.{i}.{m}") for m in range(0, 60, 7)]
        if i % 3 == 1:  # the next hour's first line
            nxt = f"2021-03-{1 + (i + 1) // 24:02d}T{(i + 1) % 24:02d}"
            rows.append(benign_hp(f"{nxt}:00:01.000Z"))
        if i == 31:
            rows.insert(3, ssrf(f"{ts}:30:00.000Z", "/ecp/proxyLogon.ecp?#", "241"))
        text = head + "\n".join(rows) + "\n"
        log(f"{INSTALL}/Logging/HttpProxy/Owa/HttpProxy_202103{day:02d}{hour:02d}-1.LOG", "httpproxy", text)
        bare = ",".join(FIELDS) + "\n" + "\n".join(rows) + "\n"  # Import-Csv layout
        log(f"{INSTALL}/Logging/HttpProxy/Ews/HttpProxy_202103{day:02d}{hour:02d}-1.LOG", "httpproxy", bare)
        log(f"{INSTALL}/Logging/HttpProxy/Mapi/HttpProxy_202103{day:02d}{hour:02d}-1.LOG", "httpproxy",
            "\ufeff" + head + "\n".join(rows[:2]) + "\n")
        lines = [iis_line(f"2021-03-{day:02d} {hour:02d}:{m:02d}:00", "GET", "/owa/", f"10.1.{i}.{m}", "200")
                 for m in range(0, 60, 11)]
        log(f"C/inetpub/logs/LogFiles/W3SVC1/u_ex2103{day:02d}{hour:02d}.log", "iis", IIS_HEAD + "\n".join(lines) + "\n")
        if i % 6 == 0:
            for kind, folder, name in (("ECP Server Log", "ECP/Server", "ECPServer"),
                                       ("Rps Http Logs", "CmdletInfra/Powershell-Proxy/Http", "Rps_Http_"),
                                       ("OABGenerator Log", "OABGeneratorLog", "OABGenerator")):
                body = "".join(f"{ts}:{m:02d}:00.000Z,10.0.0.9,OABGenerator ran\r\n" for m in range(0, 60, 13))
                log(f"{INSTALL}/Logging/{folder}/{name}202103{day:02d}{hour:02d}-1.LOG", "", EXCHANGE_HEAD.format(kind=kind) + body)
    return hours


def _doc(result: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(result.to_dict(), default=str))
    for key in ("started", "finished", "duration_seconds", "tool_version"):
        doc.pop(key, None)
    doc["files"] = sorted(doc["files"], key=lambda f: f["path"])
    doc["coverage"]["skipped"] = sorted(doc["coverage"]["skipped"], key=lambda s: (s["path"], s["reason"]))
    return doc


def test_many_small_logs_one_worker_or_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _tree(tmp_path)
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)  # a small tree: use the pool anyway
    one = run_scan(str(tmp_path), ScanOptions(jobs=1))
    two = run_scan(str(tmp_path), ScanOptions(jobs=2))
    assert _doc(one) == _doc(two)
    assert one.findings, "the attack row must be found, or the two runs prove little"
    logs = one.extras["logs"]
    assert logs["files_by_family"] == {"httpproxy": 180, "iis": 60, "ecp": 10, "rps_http": 10, "oabgen": 10}
    assert logs["unrecognised_files"] == 0
    per_hour = one.activity["requests_per_hour"]
    assert set(per_hour) == set(expected)
    for family, counts in expected.items():
        assert per_hour[family] == dict(sorted(counts.items()))
    assert len(one.files) == 270 and all(f.sha256 for f in one.files)
