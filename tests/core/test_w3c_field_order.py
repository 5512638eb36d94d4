"""IIS W3C lines are decided on fields mapped by ``#Fields``, whatever order the admin configured.

The byte prefilter must not assume IIS's default order either (it once looked for "POST <stem>").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.findings import Outcome, ScanResult
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .builders import core_stages, write

# cs-method AFTER cs-uri-stem, c-ip first: a legal, non-default IIS field selection
REORDERED = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
             "#Fields: c-ip cs-uri-stem cs-uri-query sc-status date time cs-method s-port cs(User-Agent) s-ip\n")
DEFAULT = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
           "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")


def _scan(tmp_path: Path, text: str, engine: str) -> ScanResult:
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", text)
    options = ScanOptions(jobs=1, extra={"prefilter_engine": engine})
    return run_scan(str(tmp_path), options, stages=core_stages())


@pytest.mark.parametrize("engine", ["hyperscan", "re2"])
def test_post_to_static_resource_found_with_method_after_stem(tmp_path: Path, engine: str) -> None:
    text = REORDERED + "\n".join([
        "203.0.113.7 /owa/auth/Current/themes/resources/logon.css - 200 2021-03-03 02:10:00 POST 443 "
        "Mozilla/5.0+(Windows+NT+10.0) 10.0.0.1",
        "198.51.100.9 /owa/auth/Current/themes/resources/logon.css - 200 2021-03-03 02:11:00 GET 443 "
        "Mozilla/5.0+(Windows+NT+10.0) 10.0.0.1",
    ]) + "\n"
    result = _scan(tmp_path, text, engine)
    post_static = [f for f in result.findings if f.rule_id == "PL-IIS-POST-STATIC"]
    assert len(post_static) == 1
    f = post_static[0]
    assert f.indicators.client_ips == ["203.0.113.7"] and f.outcome == Outcome.ATTEMPT
    assert f.evidence[0].raw.startswith("203.0.113.7 /owa/auth/Current/themes/resources/logon.css")
    assert f.first_seen is not None and f.first_seen.isoformat().startswith("2021-03-03T02:10:00")
    # the coverage time span is read by #Fields too, not from the start of the line
    iis = result.coverage.families["iis"]
    assert iis.first is not None and iis.last is not None
    assert (iis.first.isoformat()[:19], iis.last.isoformat()[:19]) == ("2021-03-03T02:10:00", "2021-03-03T02:11:00")


@pytest.mark.parametrize("engine", ["hyperscan", "re2"])
def test_fields_change_mid_file_and_web_shell_request_still_decided(tmp_path: Path, engine: str) -> None:
    text = DEFAULT + (
        "2021-03-03 01:00:00 10.0.0.1 POST /ecp/default.flt - 443 - 203.0.113.7 python-requests/2.25.1 - 200 0 0 15\n"
    ) + REORDERED + (
        "203.0.113.8 /aspnet_client/system_web/x.aspx - 200 2021-03-03 03:00:00 POST 443 Mozilla/5.0 10.0.0.1\n"
    )
    result = _scan(tmp_path, text, engine)
    found = {f.rule_id: f for f in result.findings}
    assert found["PL-IIS-POST-STATIC"].indicators.client_ips == ["203.0.113.7"]
    shell = [f for f in found.values() if f.outcome == Outcome.WEBSHELL]
    assert shell and shell[0].indicators.client_ips == ["203.0.113.8"]
    iis = result.coverage.families["iis"]  # first line in the default order, last in the other
    assert iis.first is not None and iis.last is not None
    assert (iis.first.isoformat()[:19], iis.last.isoformat()[:19]) == ("2021-03-03T01:00:00", "2021-03-03T03:00:00")


@pytest.mark.parametrize("engine", ["hyperscan", "re2"])
def test_method_as_last_field_with_crlf(tmp_path: Path, engine: str) -> None:
    text = ("#Fields: date time c-ip cs-uri-stem sc-status cs-method\r\n"
            "2021-03-03 02:10:00 203.0.113.9 /ecp/main.css 200 POST\r\n"
            "2021-03-03 02:10:01 203.0.113.9 /owa/auth/Current/themes/resources/x.gif 200 POST")  # no final newline
    result = _scan(tmp_path, text, engine)
    hits = [f for f in result.findings if f.rule_id == "PL-IIS-POST-STATIC"]
    assert len(hits) == 1 and hits[0].count == 2, [(f.rule_id, f.count) for f in result.findings]


@pytest.mark.parametrize("engine", ["hyperscan", "re2"])
def test_prefilter_names_each_line_once_when_a_match_takes_the_newline(engine: str) -> None:
    from extriage.formats.prefilter import Prefilter

    data = b"a POST\nb GET\nc POST\n"
    pf = Prefilter([], [r" POST(?:[ \r\n]|$)"], engine)
    assert pf.line_spans(data) == [(0, 6), (13, 19)]
