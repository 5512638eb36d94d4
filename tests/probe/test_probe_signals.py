"""Signal extraction and reconciliation with the real header/body samples quoted in remote-probe.md."""

from __future__ import annotations

import pytest

from extriage.probe.reconcile import reconcile
from extriage.probe.signals import Observation, extract, normalise_build, parse_manifest

MANIFEST = (
    b'<?xml version="1.0" encoding="utf-8"?><asmv1:assembly manifestVersion="1.0" '
    b'xmlns:asmv1="urn:schemas-microsoft-com:asm.v1" xmlns="urn:schemas-microsoft-com:asm.v2">'
    b'<assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.2.986.5" '
    b'publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" />'
    b"</asmv1:assembly>"
)


def obs(
    label: str = "owa-logon",
    url: str = "https://x/owa/auth/logon.aspx",
    status: int = 200,
    headers=(),
    body: bytes = b"",
) -> Observation:
    return Observation(label=label, method="GET", url=url, status=status, headers=list(headers), body=body)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("15.2.1544.11", "15.2.1544.11"),
        ("15.01.2176.009", "15.1.2176.9"),
        ("15.0.1497.26", "15.0.1497.26"),
        ("15.1.2507", "15.1.2507"),
        ("abc", None),
        ("15.1", None),
    ],
)
def test_normalise(text: str, want: str | None) -> None:
    assert normalise_build(text) == want


def test_header_case_insensitive_and_fe() -> None:
    f = extract(obs(headers=[("x-owa-version", "15.1.2242.12"), ("x-feserver", "EX19-01")]))
    assert [(b.build, b.source, b.parts) for b in f.builds] == [("15.1.2242.12", "x-owa-version", 4)]
    assert f.fe_server == "EX19-01"


def test_errorfe_header_ignored() -> None:
    f = extract(
        obs(
            url="https://x/owa/auth/errorFE.aspx?owaVer=15.2.9999.1&fe=EVIL",
            headers=[("X-OWA-Version", "15.2.9999.1"), ("X-FEServer", "EVIL")],
        )
    )
    assert f.builds == [] and f.fe_server is None
    assert any("errorFE" in n for n in f.notes)


def test_owa_paths() -> None:
    f = extract(
        obs(body=b'<link rel="shortcut icon" href="/owa/auth/15.1.2507/themes/resources/favicon.ico">')
    )
    assert [(b.build, b.parts) for b in f.builds] == [("15.1.2507", 3)]
    f10 = extract(obs(body=b'<link href="/owa/14.3.169.1/themes/base/logon.css">'))
    assert [(b.build, b.parts) for b in f10.builds] == [("14.3.169.1", 4)]


def test_manifest_xml_and_hostile_xml() -> None:
    assert parse_manifest(MANIFEST) == "15.2.986.5"
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    assert parse_manifest(bomb) is None
    assert parse_manifest(b"<assemblyIdentity version=") is None
    assert parse_manifest(b"\x00\xff garbage") is None
    f = extract(obs(label="exporttool", url="https://x/ecp/Current/exporttool/x.application", body=MANIFEST))
    assert [(b.build, b.source) for b in f.builds] == [("15.2.986.5", "exporttool-manifest")]


def test_federated_redirect_marks_exchange() -> None:
    loc = "https://adfs.contoso.com/adfs/ls/?wa=wsignin1.0&wtrealm=https%3a%2f%2fmail.contoso.com%2fowa%2f"
    f = extract(obs(status=302, headers=[("Location", loc)]))
    assert any("federated" in m for m in f.exchange_markers)


def test_non_exchange_has_no_markers() -> None:
    f = extract(obs(status=404, headers=[("Server", "nginx")], body=b"<html>Not Found</html>"))
    assert f.exchange_markers == [] and f.builds == []


def _sig(build: str, source: str):
    body = f'href="/owa/auth/{build}/themes/"'.encode() if source == "owa-path" else b""
    headers = [("X-OWA-Version", build)] if source == "x-owa-version" else []
    label = "exporttool" if source == "exporttool-manifest" else "owa-logon"
    if source == "exporttool-manifest":
        body = MANIFEST.replace(b"15.2.986.5", build.encode())
    return extract(obs(label=label, headers=headers, body=body)).builds


def test_reconcile_confidences() -> None:
    assert reconcile([]).confidence == "unknown"
    r = reconcile(_sig("15.1.2176", "owa-path"))
    assert (r.build, r.confidence, r.source.source) == ("15.1.2176", "cu-only", "owa-path")
    r = reconcile(_sig("15.1.2176", "owa-path") + _sig("15.1.2176.9", "exporttool-manifest"))
    assert (r.build, r.confidence, r.source.source) == ("15.1.2176.9", "exact", "exporttool-manifest")
    r = reconcile(_sig("15.2.858.2", "x-owa-version") + _sig("15.2.858.5", "exporttool-manifest"))
    assert (r.build, r.confidence) == ("15.2.858.2", "inferred") and "disagree" in r.notes[0]
    # A full build from another CU than the OWA path: keep the lower (conservative) one.
    r = reconcile(_sig("15.1.2176", "owa-path") + _sig("15.1.2507.35", "x-owa-version"))
    assert r.build == "15.1.2176" and r.confidence == "cu-only" and r.notes
