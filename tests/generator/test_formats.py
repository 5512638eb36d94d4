"""Generated logs follow the real formats: field lists from the real CC0 samples, all header layouts,
CSV quoting, BOMs, the IIS quirks and a #Fields change mid-file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from extriage.generator import GeneratedServer
from extriage.generator.httpproxy import FIELD_NAMES
from extriage.generator.iis import FIELDS_DEFAULT

from .conftest import log_files


def _real_fields(test_data: Path, log_type: str) -> list[str]:
    """The #Fields line that follows ``#Log-type: <log_type>`` in the real CC0 sample page."""
    text = (test_data / "log-samples-cc0" / "microsoft_exchange.md").read_text(encoding="utf-8")
    block = text.split(f"#Log-type: {log_type}", 1)[1]
    return re.search(r"#Fields: (\S+)", block).group(1).split(",")  # type: ignore[union-attr]


def test_httpproxy_fields_are_the_real_74(test_data: Path) -> None:
    assert FIELD_NAMES == _real_fields(test_data, "HttpProxy Logs")
    assert len(FIELD_NAMES) == 74


def test_ecp_fields_match_real_sample(servers: dict[str, GeneratedServer], test_data: Path) -> None:
    real = _real_fields(test_data, "ECP Server Log")
    for f in log_files(servers["clean"], "ECPServer*.LOG"):
        assert f"#Fields: {','.join(real)}" in f.read_bytes().decode("utf-8-sig")


def test_iis_default_fields_match_reference(shared: Path) -> None:
    ref = (shared / "reference" / "logs-and-detections.md").read_text(encoding="utf-8")
    assert f"#Fields: {FIELDS_DEFAULT}" in ref


def _records(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    lines = [
        x
        for x in text.split("\r\n")
        if x and not x.startswith("#") and not x.startswith("DateTime,RequestId,")
    ]
    return list(csv.reader(lines))


def test_every_httpproxy_record_has_74_fields_and_its_protocol(servers: dict[str, GeneratedServer]) -> None:
    files = log_files(servers["full"], "HttpProxy_*.LOG")
    assert len(files) > 50
    protocols = set()
    for f in files:
        assert re.fullmatch(r"HttpProxy_\d{10}-\d+\.LOG", f.name)
        for row in _records(f):
            assert len(row) == 74, f
            assert row[7] == f.parent.name  # Protocol column = protocol folder
            protocols.add(row[7])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row[0])
    assert {"Autodiscover", "Eas", "Ecp", "Ews", "Mapi", "Owa", "PowerShell"} <= protocols


def test_all_three_header_layouts_and_boms(servers: dict[str, GeneratedServer]) -> None:
    seen: set[tuple[str, bool]] = set()
    for f in log_files(servers["clean"], "HttpProxy_*.LOG"):
        raw = f.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        lines = raw.decode("utf-8-sig").split("\r\n")
        if lines[0].startswith("DateTime,"):
            layout = "bare-first"
        elif lines[5].startswith("DateTime,"):
            assert lines[4].startswith("#Fields: ")
            layout = "bare-after"
        else:
            assert lines[4].startswith("#Fields: ") and lines[5][:4].isdigit()
            layout = "none"
        assert "#Software: Microsoft Exchange Server" in lines[:2]
        assert "#Version: 15.01.2176.002" in lines[:3]
        seen.add((layout, bom))
    assert {layout for layout, _ in seen} == {"bare-first", "bare-after", "none"}
    assert {bom for _, bom in seen} == {True, False}


def test_csv_quoting_doubles_quotes(servers: dict[str, GeneratedServer]) -> None:
    text = "\n".join(f.read_bytes().decode("utf-8-sig") for f in log_files(servers["full"], "ECPServer*.LOG"))
    assert 'language=""JScript""' in text  # the payload's quotes doubled inside a quoted field
    rows = [r for r in csv.reader(x for x in text.splitlines() if x and not x.startswith("#"))]
    payload = [r for r in rows if "Set-OabVirtualDirectory.ExternalUrl=''http://f/<script" in r[3]]
    assert payload and all(len(r) == 4 for r in payload)
    assert '<script language="JScript" runat="server">' in payload[0][3]
    # user agents with commas are quoted in HttpProxy lines
    proxy = "\n".join(
        f.read_bytes().decode("utf-8-sig") for f in log_files(servers["full"], "HttpProxy_*.LOG")[:400]
    )
    assert '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)' in proxy


def test_iis_quirks_and_fields_change(servers: dict[str, GeneratedServer]) -> None:
    changed = 0
    for f in log_files(servers["clean"], "u_ex*.log"):
        text = f.read_bytes().decode("utf-8-sig")
        assert text.startswith("#Software: Microsoft Internet Information Services 10.0\r\n")
        fields_lines = re.findall(r"^#Fields: (.*)$", text, re.M)
        if len(fields_lines) > 1:
            changed += 1
            assert fields_lines[0].strip() != fields_lines[1].strip()
            assert f.parent.name == "W3SVC1"
        current = fields_lines[0].strip().split()
        for line in text.split("\r\n"):
            if line.startswith("#Fields: "):
                current = line[9:].split()
                continue
            if not line or line.startswith("#"):
                continue
            parts = line.split(" ")
            assert len(parts) == len(current), line
            port = parts[current.index("s-port")]
            assert port == ("443" if f.parent.name == "W3SVC1" else "444")
    assert changed == 1
    fe = "\n".join(
        p.read_bytes().decode("utf-8-sig") for p in log_files(servers["clean"], "W3SVC1/u_ex*.log")
    )
    be = "\n".join(
        p.read_bytes().decode("utf-8-sig") for p in log_files(servers["clean"], "W3SVC2/u_ex*.log")
    )
    assert re.search(
        r" /owa/auth/logon\.aspx url=\S+&CorrelationID=<empty>;&cafeReqId=[0-9a-f-]+;&encoding=; 443 ", fe
    )
    assert re.search(r" /EWS/Exchange\.asmx &CorrelationID=<empty>;&cafeReqId=[0-9a-f-]+; 443 ", fe)
    assert re.search(r" 444 CORP\\EXCH01\$ ", be)  # back-end probes as the computer account
    assert "Exchange+BackEnd+Probes" in be
    assert "+(KHTML,+like+Gecko)" in fe  # spaces as +


def test_health_probes_and_clients_present(servers: dict[str, GeneratedServer]) -> None:
    text = "\n".join(
        f.read_bytes().decode("utf-8-sig") for f in log_files(servers["clean"], "HttpProxy_*.LOG")
    )
    for needle in (
        "HealthMailbox",
        "AMProbe/Local/ClientAccess",
        "MapiHttpClient",
        "Microsoft WinRM Client",
        "clientApplication=ActiveMonitor",
        "MSExchangeHMWorker",
        "/Microsoft-Server-ActiveSync/default.eas",
        "Microsoft Office/16.0",
        "/autodiscover/autodiscover.xml",
    ):
        assert needle in text, needle


def test_oabgenerator_and_apphost(servers: dict[str, GeneratedServer]) -> None:
    g = servers["clean"]
    oab = "\n".join(f.read_bytes().decode("utf-8-sig") for f in log_files(g, "OABGenerator*.LOG"))
    # the benign failed download into ClientAccess\OAB\Temp that Test-ProxyLogon ignores
    assert re.search(
        r"Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\",
        oab,
    )
    from extriage.formats.iis_config import parse_application_host

    cfg = log_files(g, "applicationHost.config")
    assert len(cfg) == 1
    app = parse_application_host(cfg[0].read_bytes(), str(cfg[0]))
    names = {s.name: s for s in app.sites}
    assert set(names) == {"Default Web Site", "Exchange Back End"}
    assert str(names["Default Web Site"].id) == "1" and str(names["Exchange Back End"].id) == "2"
    assert app.site_defaults_log_directory.lower().endswith("\\inetpub\\logs\\logfiles")
    owa = [a for a in names["Default Web Site"].applications if a.path == "/owa"]
    assert owa and owa[0].vdirs[0].physical_path.endswith("\\FrontEnd\\HttpProxy\\owa")
