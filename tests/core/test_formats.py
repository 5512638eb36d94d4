"""Readers: header layouts, quoting, W3C quirks, prefilter engines, chunk edges, long lines."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest

from extriage.formats import exchange_csv, logscan, oabgen
from extriage.formats.logscan import Candidate, WalkStats, walk
from extriage.formats.prefilter import Prefilter
from extriage.formats.records import parse_record
from extriage.formats.sniff import family_from_header, family_from_path

from .builders import ECP_HEADER, ECP_PAYLOAD, FIELDS, IIS_HEADER, IIS_SHELL, csv_line, hp_header, ssrf


def run_walk(data: bytes, family: str, literals: list[str], regexes: list[str] = (), engine: str = "hyperscan"):  # type: ignore[assignment]
    items = list(walk(io.BytesIO(data), family, Prefilter(literals, regexes, engine)))
    stats = items[-1]
    assert isinstance(stats, WalkStats)
    return [c for c in items[:-1] if isinstance(c, Candidate)], stats


@pytest.mark.parametrize("layout", ["bare-first", "bare-after", "plain"])
def test_httpproxy_three_header_layouts(layout: str) -> None:
    row = ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241")
    data = ("\ufeff" + hp_header(layout) + row + "\n").encode()
    cands, stats = run_walk(data, "httpproxy", ["ServerInfo~"])
    assert len(cands) == 1
    fields, ts = parse_record("httpproxy", logscan.decode(cands[0].raw), cands[0].names)
    assert fields["AnchorMailbox"] == "ServerInfo~a]@servernavn.xxx.local:444/ecp/proxyLogon.ecp?#"
    assert fields["HttpStatus"] == "241" and fields["sc-status"] == "241"
    assert fields["ClientIpAddress"] == "130.255.189.21"
    assert ts is not None and ts.isoformat().startswith("2021-03-03T06:49:46.210")
    assert cands[0].lineno == (7 if layout != "plain" else 6)
    assert stats.first == stats.last == ts


def test_extra_and_missing_columns_and_quoting() -> None:
    names = ["DateTime", "UrlStem", "UserAgent", "HttpStatus"]
    fields = exchange_csv.row_to_fields('2021-03-03T06:00:00Z,/owa/,"Mozilla, ""quoted""",200,extra1,extra2', names)
    assert fields["UserAgent"] == 'Mozilla, "quoted"'
    assert fields["_extra"] == "extra1,extra2"
    short = exchange_csv.row_to_fields("2021-03-03T06:00:00Z,/owa/", names)
    assert short["HttpStatus"] == ""


def test_real_qazeer_samples_parse(test_data: Path) -> None:
    """Every real benign HttpProxy sample (CC0) parses by name and triggers no ProxyLogon literal."""
    text = (test_data / "log-samples-cc0/microsoft_exchange.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(#Software:.*?)```", text, re.S)
    hp = [b for b in blocks if "#Log-type: HttpProxy Logs" in b]
    assert len(hp) >= 5
    for block in hp:
        cands, stats = run_walk(block.encode(), "httpproxy", ["Sid~"], [])
        assert stats.names[:2] == ["DateTime", "RequestId"]
        assert stats.first is not None and stats.first.year == 2023
        for c in cands:
            fields, ts = parse_record("httpproxy", logscan.decode(c.raw), c.names)
            assert fields["Protocol"] in {"Autodiscover", "Eas", "Ecp", "Ews", "Mapi", "Owa", "PowerShell", "RpcHttp"}
            assert ts is not None
    ecp = next(b for b in blocks if "#Log-type: ECP Server Log" in b)
    cands, _ = run_walk(ecp.encode(), "ecp", ["S:CMD="])
    fields, _ = parse_record("ecp", logscan.decode(cands[0].raw), cands[0].names)
    assert fields["CMD"] == "Get-InboxRule"
    assert fields["URL"].startswith("/ecp/RulesEditor/InboxRules.svc/GetList")


def test_ecp_bag_keeps_semicolons_in_values() -> None:
    bag = exchange_csv.parse_bag(ECP_PAYLOAD)
    assert bag["CMD"].startswith("Set-OabVirtualDirectory.ExternalUrl=")
    assert 'eval(Request["klk123456"],"unsafe");}</script>' in bag["CMD"]
    assert bag["URL"].startswith("/ecp/DDI/DDIService.svc/SetObject")


def test_w3c_fields_change_mid_file_plus_and_dash() -> None:
    other = "#Fields: date time c-ip cs-method cs-uri-stem sc-status cs(User-Agent)\n"
    data = (IIS_HEADER + IIS_SHELL + "\n" + other
            + "2021-03-05 04:00:00 1.2.3.4 POST /aspnet_client/x.aspx 200 Mozilla/5.0+(X11)\n").encode()
    cands, stats = run_walk(data, "iis", ["aspnet_client", "RedirSuite"])
    assert len(cands) == 2
    f1, t1 = parse_record("iis", logscan.decode(cands[0].raw), cands[0].names)
    assert f1["cs-uri-stem"] == "/owa/auth/RedirSuiteServerProxy.aspx" and f1["c-ip"] == "139.162.202.236"
    assert f1["cs-username"] == "" and f1["sc-status"] == "200"
    assert f1["cs-user-agent"].startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    f2, t2 = parse_record("iis", logscan.decode(cands[1].raw), cands[1].names)
    assert f2["c-ip"] == "1.2.3.4" and f2["cs-uri-stem"] == "/aspnet_client/x.aspx" and f2["cs-user-agent"] == "Mozilla/5.0 (X11)"
    assert t1 is not None and t2 is not None and t2 > t1
    assert stats.lines == 7


def test_oab_timestamps() -> None:
    assert oabgen.parse_timestamp("2021-03-03T07:00:10.000Z foo") is not None
    ts = oabgen.parse_timestamp("3/3/2021 7:00:10 PM Download failed")
    assert ts is not None and ts.hour == 19


def test_engines_agree_and_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"2021-03-03T06:{i % 60:02d}:00.000Z,row{i},{'ServerInfo~x/y' if i % 97 == 0 else 'Sid~1'},end" for i in range(3000)]
    data = ("\n".join(lines) + "\n").encode()
    monkeypatch.setattr(logscan, "CHUNK", 4096)  # many chunk edges, lines split across them
    got = {}
    for engine in ("hyperscan", "re2"):
        cands, stats = run_walk(data, "httpproxy", ["serverinfo~"], [], engine)
        got[engine] = [(c.lineno, c.raw) for c in cands]
        assert stats.lines == 3000
    expected = [(i + 1, lines[i].encode()) for i in range(3000) if i % 97 == 0]
    assert got["hyperscan"] == got["re2"] == expected


def test_requests_per_hour_matches_naive_count() -> None:
    rows = []
    for h in range(5):
        for m in range(0, 60, 3 + h):
            rows.append(f"2021-03-0{1 + h // 3} {h:02d}:{m:02d}:00 10.0.0.1 GET /owa/ - 443 - 1.1.1.1 UA - 200 0 0 1")
    data = (IIS_HEADER + "\n".join(rows) + "\n").encode()
    _, stats = run_walk(data, "iis", ["nothing-matches"])
    naive = Counter(r[:10] + "T" + r[11:13] for r in rows)
    assert dict(stats.hours) == dict(naive)


def test_long_line_is_cut_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logscan, "CHUNK", 64 * 1024)
    monkeypatch.setattr(logscan, "MAX_LINE", 100 * 1024)
    huge = "2021-03-03T06:00:00.000Z,ServerInfo~" + "A" * 3_000_000
    data = (hp_header("plain") + huge + "\n" + ssrf("2021-03-03T07:00:00.000Z", "/ecp/x#", "200") + "\n").encode()
    cands, stats = run_walk(data, "httpproxy", ["ServerInfo~"])
    assert stats.long_lines == [6]
    assert cands[0].truncated and len(cands[0].raw) <= 100 * 1024
    assert cands[1].lineno == 7 and b"/ecp/x#" in cands[1].raw


def test_sniff_by_header_and_path() -> None:
    assert family_from_header(hp_header("plain").encode()).family == "httpproxy"  # type: ignore[union-attr]
    assert family_from_header(hp_header("bare-first").encode()).family == "httpproxy"  # type: ignore[union-attr]
    assert family_from_header(ECP_HEADER.encode()).family == "ecp"  # type: ignore[union-attr]
    assert family_from_header(IIS_HEADER.encode()).family == "iis"  # type: ignore[union-attr]
    assert family_from_header(b"\x00\x01binary") is None
    assert family_from_header(b"just some text\n") is None
    m = family_from_path("c:/program files/microsoft/exchange server/v15/logging/httpproxy/ecp/httpproxy_2021030306-1.log")
    assert m is not None and m.family == "httpproxy" and m.protocol == "ecp"
    assert family_from_path("c:/inetpub/logs/logfiles/w3svc2/u_ex210305.log").protocol == "w3svc2"  # type: ignore[union-attr]


def test_csv_line_roundtrip_of_builder() -> None:
    # guard for the fixtures themselves: the builder writes the real 74 fields
    assert len(FIELDS) == 74 and FIELDS[15] == "AnchorMailbox" and FIELDS[28] == "BackEndCookie"
    assert exchange_csv.split_row(csv_line(["a", 'b"c', "d,e"])) == ["a", 'b"c', "d,e"]
