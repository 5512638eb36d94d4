"""The log family registry: every table about log families derives from the format modules."""

from __future__ import annotations

from pathlib import Path

from extriage.detections.logrules import FAMILIES, FAMILY_LOGSOURCE
from extriage.detections.verdict import FAMILY_NAMES
from extriage.formats.families import FAMILIES as REGISTRY
from extriage.formats.records import parse_record
from extriage.formats.sniff import HEADER_FAMILIES, PATH_FAMILIES, family_from_header, family_from_path
from extriage.response.facts import EXPECTED_SOURCES

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: One data line per family (with the header names in force), as the real logs write them.
SAMPLES = {
    "httpproxy": ("2021-03-03T06:49:42.162Z,abc,15,1,2176,2,,Ecp,mail.corp.local,/ecp/y.js,,,false,,,"
                  "ServerInfo~a]@EXCH01:444/ecp/DDI/DDIService.svc,python-requests/2.25.1,203.0.113.7,EXCH01,241,"
                  + "," * 54, []),
    "iis": ("2021-03-03 06:49:42 10.0.0.5 POST /ecp/y.js - 443 - 203.0.113.7 python-requests/2.25.1 - 241 0 0 15", []),
    "ecp": ('2021-03-03T06:49:42.162Z,EXCH01,ECP.Request,"S:TIME=12;S:SID=abc;S:CMD=Get-Mailbox.Identity=x"', []),
    "oabgen": ("2021-03-03T06:49:42.162Z Download failed and temporary file C:\\x\\shell.aspx", []),
    "rps_http": ("2021-03-03T06:49:42.162Z," * 2, []),
}


def test_every_table_derives_from_the_registry() -> None:
    assert tuple(REGISTRY) == FAMILIES
    assert set(FAMILY_LOGSOURCE) == set(REGISTRY) == set(FAMILY_NAMES)
    assert {fam for fam, _ in PATH_FAMILIES} == set(REGISTRY) == {fam for fam, _ in HEADER_FAMILIES}
    expected = {ids[0] for ids in EXPECTED_SOURCES.values()}
    assert {f.id for f in REGISTRY.values() if f.expected_label} <= expected
    # weak headers (a word found in the lines) are tried after every real header
    weak = [i for i, (fam, _) in enumerate(HEADER_FAMILIES) if REGISTRY[fam].weak_header]
    assert weak and min(weak) > max(i for i, (fam, _) in enumerate(HEADER_FAMILIES) if not REGISTRY[fam].weak_header)


def test_every_field_a_parser_yields_is_declared() -> None:
    assert set(SAMPLES) == set(REGISTRY), "a new family needs a sample line here"
    for fam_id, (line, names) in SAMPLES.items():
        fam = REGISTRY[fam_id]
        fields, ts = parse_record(fam_id, line, names)
        assert ts is not None, fam_id
        undeclared = [n for n in fields if not fam.has_field(n)]
        assert not undeclared, f"{fam_id} yields undeclared fields {undeclared}"


def test_sniffing_by_path_and_header_uses_the_declarations() -> None:
    assert family_from_path("c/program files/microsoft/exchange server/v15/logging/ecp/server/x.log").family == "ecp"
    m = family_from_path("c/inetpub/logs/logfiles/w3svc1/u_ex210303.log")
    assert m is not None and (m.family, m.protocol) == ("iis", "w3svc1")
    head = b"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip\n"
    assert family_from_header(head).family == "iis"  # type: ignore[union-attr]
    # the OABGenerator word in damaged (NUL-holding) heads is not trusted
    assert family_from_header(b"\x00\x00OABGenerator\n") is None


def test_every_family_is_documented() -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    for fam in REGISTRY.values():
        assert f"| `{fam.id}` |" in text, f"docs/rules.md has no row for the {fam.id} family"
        assert fam.collect and fam.name and fam.logsource
