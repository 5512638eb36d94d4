"""Issue 13, "success not called where the lines prove it", through the installed command on rows
as they are quoted and exported (the lines follow the helsecert incident quoted in write-ups)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXIT, load, run

HEADER = '"DateTime","RequestId","ClientIpAddress","UrlHost","UrlStem","RoutingHint","UserAgent","AnchorMailbox"'
ROWS = [
    ("2021-03-03T06:49:42.210Z", "/ecp/y.js", "ServerInfo~a]@srv.corp.local:444/autodiscover/autodiscover.xml?#"),
    ("2021-03-03T06:49:44.210Z", "/ecp/y.js", "ServerInfo~a]@srv.corp.local:444/mapi/emsmdb/?#"),
    ("2021-03-03T06:49:46.210Z", "/ecp/y.js", "ServerInfo~a]@srv.corp.local:444/ecp/proxyLogon.ecp?#"),
    ("2021-03-03T06:49:51.210Z", "/ecp/y.js",
     "ServerInfo~a]@srv.corp.local:444/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=8BeqxxxWYd1L8.&schema=OABVirtualDirectory#"),
]


def _scan(tmp_path: Path, name: str, text: str) -> dict[str, Any]:
    case = tmp_path / "case"
    case.mkdir()
    (case / name).write_text(text, encoding="utf-8")
    r = run("scan", case, "-q", "-j", "1", "--json", tmp_path / "r.json")
    result = load(tmp_path / "r.json")
    assert r.rc == EXIT[result["verdict"]], r.tail()
    return result


@pytest.mark.parametrize("client", [True, False], ids=["with client address", "without client address"])
def test_proxylogon_rows_without_status_column(tmp_path: Path, client: bool) -> None:
    header = HEADER if client else HEADER.replace('"ClientIpAddress",', "")
    lines = ["#TYPE Selected.System.Management.Automation.PSCustomObject", header]
    for ts, stem, anchor in ROWS:
        cols = [ts, "x", *(["130.255.189.21"] if client else []), "mail.contoso.com", stem, "X-BEResource-Cookie",
                "python-requests/2.25.1", anchor]
        lines.append(",".join(json.dumps(c) for c in cols))
    result = _scan(tmp_path, "EXCH01-Cve-2021-26855.csv", "\r\n".join(lines) + "\r\n")
    assert result["verdict"] == "compromised", result["verdict_reason"]
    assert [f for f in result["findings"] if f["outcome"] == "success"], result["verdict_reason"]
    attack_stories = [s for s in result["stories"] if "proxylogon" in json.dumps(s).lower()]
    assert len(attack_stories) == 1, [s.get("title") for s in result["stories"]]


def test_proxyshell_ssrf_answered_200_is_success(tmp_path: Path) -> None:
    fields = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
    line = ("2021-08-10 10:00:00 10.0.0.5 POST /autodiscover/autodiscover.json "
            "@evil.corp/mapi/emsmdb/?=&Email=autodiscover/autodiscover.json%3F@evil.corp&CorrelationID=<empty>;"
            "&cafeReqId=6d9a6e1c-1b0c-4f1b-9c55-3d1b2a7f0e11; 443 - 45.77.12.34 python-requests/2.26.0 - 200 0 0 50")
    text = ("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
            "#Date: 2021-08-10 10:00:00\r\n#Fields: " + fields + "\r\n" + line + "\r\n")
    case_name = "u_ex210810.log"
    result = _scan(tmp_path, case_name, text)
    proxyshell = [f for f in result["findings"] if f.get("wave") == "proxyshell"]
    assert proxyshell, [f["rule_id"] for f in result["findings"]]
    assert [f for f in proxyshell if f["outcome"] == "success"], [(f["rule_id"], f["outcome"]) for f in proxyshell]
