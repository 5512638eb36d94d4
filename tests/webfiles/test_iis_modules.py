"""IIS modules in applicationHost.config that IIS and Exchange do not ship are findings for review.

Native modules load into every worker process and see every request (ESET's IIS malware families, Frebniis):
no web page is involved, so only the config shows them. The real Exchange 2016 config (CSS-Exchange's test
data, MIT) registers only what IIS and Exchange ship: nothing is said of it. A name nobody ships, and one of
IIS's own names registered with another DLL, are found, with the DLL's hash and version resource when the
DLL is in the evidence."""

from __future__ import annotations

from pathlib import Path

from core.builders import write
from extriage.detections.webfiles import iis_modules
from extriage.findings import Outcome, ScanResult, Severity
from extriage.formats.iis_config import parse_application_host
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages.webfiles import STAGES

_CONFIG = "C/Windows/System32/inetsrv/config/applicationHost.config"
_FIXTURE_PE = Path(__file__).resolve().parent.parent / "patch" / "fixtures" / "exsetup-15.1.2176.2.exe"


def _scan(path: Path) -> ScanResult:
    return run_scan(str(path), ScanOptions(jobs=1), stages=list(STAGES))


def _exchange_config(test_data: Path) -> str:
    return (test_data / "exchange-iis-config/E16/Exchange/IIS/applicationHost.config").read_text("utf-8-sig")


def _with_modules(text: str, *adds: str) -> str:
    return text.replace("</globalModules>", "".join(f"    {a}\n" for a in adds) + "        </globalModules>", 1)


def _modules(result: ScanResult) -> dict[str, object]:
    tags = {"native-module", "managed-module"}
    return {f.rule_id + ":" + str(f.evidence[0].fields["module"]): f for f in result.findings if tags & set(f.tags)}


def test_what_iis_and_exchange_ship_is_silent(test_data: Path, tmp_path: Path) -> None:
    cfg = parse_application_host(_exchange_config(test_data).encode(), "applicationHost.config")
    assert len(cfg.global_modules) >= 30
    assert iis_modules.unexpected_modules(cfg) == []
    write(tmp_path, _CONFIG, _exchange_config(test_data))
    result = _scan(tmp_path)
    assert _modules(result) == {}
    notes = " ".join(result.coverage.families["webfiles"].notes)
    assert "native IIS modules and the server-wide managed modules registered in applicationHost.config checked" in notes and ": all are theirs." in notes


def test_an_unknown_module_and_an_iis_name_with_another_dll_are_found(test_data: Path, tmp_path: Path) -> None:
    text = _with_modules(
        _exchange_config(test_data),
        '<add name="SyncAgent" image="C:\\Windows\\System32\\inetsrv\\syncagent.dll" preCondition="bitness64" />',
        '<add name="ProtocolSupportModule2" image="%windir%\\System32\\inetsrv\\protsup.dll" />',
    ).replace(
        'name="CustomErrorModule" image="%windir%\\System32\\inetsrv\\custerr.dll"',
        'name="CustomErrorModule" image="C:\\ProgramData\\Microsoft\\custerr.dll"',
    )
    write(tmp_path, _CONFIG, text)
    write(tmp_path, "C/ProgramData/Microsoft/custerr.dll", _FIXTURE_PE.read_bytes())
    result = _scan(tmp_path)
    found = _modules(result)
    assert set(found) == {
        "WF-IIS-NATIVE-MODULE-UNKNOWN:SyncAgent",
        "WF-IIS-NATIVE-MODULE-UNKNOWN:ProtocolSupportModule2",
        "WF-IIS-NATIVE-MODULE-OTHER-DLL:CustomErrorModule",
    }
    other = found["WF-IIS-NATIVE-MODULE-OTHER-DLL:CustomErrorModule"]
    assert other.severity == Severity.HIGH and other.outcome == Outcome.INFO  # for review: no verdict raised
    assert "custerr.dll in /windows/system32/inetsrv" in other.description
    assert "CompanyName=extriage test fixture" in other.description  # the DLL's version resource, read
    line = other.evidence[0]
    assert 'C:\\ProgramData\\Microsoft\\custerr.dll' in line.raw and line.line and line.sha256
    dll_sha = line.fields["dll_sha256"]
    assert other.indicators.hashes == [dll_sha]
    assert any(r.sha256 == dll_sha and r.path.endswith("custerr.dll") for r in result.files)
    unknown = found["WF-IIS-NATIVE-MODULE-UNKNOWN:SyncAgent"]
    assert unknown.severity == Severity.MEDIUM and "not in the evidence" in unknown.description
    assert not [f for f in result.findings if f.outcome != Outcome.INFO]  # no verdict raised
    assert "3 are not theirs (see the findings)" in " ".join(result.coverage.families["webfiles"].notes)


def test_exchange_modules_count_wherever_exchange_is_installed() -> None:
    kerb = iis_modules.known_modules()["kerbauth"]
    assert iis_modules._is_known(kerb, "D:\\Exchange Server\\V15\\Bin\\kerbauth.dll")
    assert not iis_modules._is_known(kerb, "D:\\Exchange Server\\V15\\Bin\\kerbauth2.dll")
    assert not iis_modules._is_known(kerb, "C:\\Windows\\Temp\\kerbauth.dll")


def test_a_hostile_dll_is_named_without_a_version(test_data: Path, tmp_path: Path) -> None:
    text = _with_modules(_exchange_config(test_data), '<add name="Telemetry" image="C:\\Windows\\Temp\\t.dll" />')
    write(tmp_path, _CONFIG, text)
    write(tmp_path, "C/Windows/Temp/t.dll", b"MZ" + b"\xff" * 300)
    result = _scan(tmp_path)
    (f,) = _modules(result).values()
    assert "has no version information" in f.description  # type: ignore[attr-defined]


def test_without_the_config_the_coverage_says_modules_were_not_checked(tmp_path: Path) -> None:
    write(tmp_path, "C/inetpub/wwwroot/default.aspx", '<%@ Page Language="C#" %><html></html>')
    result = _scan(tmp_path)
    assert any("IIS modules not checked" in n for n in result.coverage.families["webfiles"].notes)


def test_server_wide_managed_modules_not_microsofts_are_found(test_data: Path, tmp_path: Path) -> None:
    """A managed module registered for the whole server (Owowa's way into OWA): a type in an assembly not signed
    by Microsoft, a bare type IIS does not register, and one of IIS's names given another class are found; a
    Microsoft-signed type and IIS's own are not. Also inside a <location> block."""
    text = _exchange_config(test_data)
    cfg = parse_application_host(text.encode(), "applicationHost.config")
    assert iis_modules.unexpected_managed(cfg) == []  # the real config: IIS's own and Microsoft's
    text = text.replace(
        '<add name="RewriteModule" />\n        </modules>',
        '<add name="RewriteModule" />\n'
        '            <add name="ExtAuth" type="Contoso.Owa.AuthModule, Contoso.Owa, Version=1.0.0.0, Culture=neutral, '
        'PublicKeyToken=0123456789abcdef" preCondition="managedHandler" />\n'
        '            <add name="Telemetry" type="System.Web.TelemetryModule" />\n'
        '            <add name="Session" type="System.Web.SessionState.SessionStateModule2" />\n'
        '            <add name="Diag" type="System.Web.Diagnostics.TraceModule, System.Web, Version=4.0.0.0, '
        'Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a" />\n'
        "        </modules>",
        1,
    )
    assert "Contoso.Owa" in text
    write(tmp_path, _CONFIG, text)
    found = _modules(_scan(tmp_path))
    assert set(found) == {
        "WF-IIS-MANAGED-MODULE-UNKNOWN:ExtAuth",
        "WF-IIS-MANAGED-MODULE-UNKNOWN:Telemetry",
        "WF-IIS-MANAGED-MODULE-OTHER-TYPE:Session",
    }
    ext = found["WF-IIS-MANAGED-MODULE-UNKNOWN:ExtAuth"]
    assert ext.outcome == Outcome.INFO and "Contoso.Owa.AuthModule" in ext.evidence[0].raw  # type: ignore[attr-defined]
    assert found["WF-IIS-MANAGED-MODULE-OTHER-TYPE:Session"].severity == Severity.HIGH  # type: ignore[attr-defined]

    located = _with_modules(_exchange_config(test_data)).replace(
        "</configuration>",
        '<location path="Default Web Site/owa"><system.webServer><modules>'
        '<add name="Grabber" type="Grab.Module, Grab" /></modules></system.webServer></location>\n</configuration>',
    )
    write(tmp_path / "loc", _CONFIG, located)
    assert set(_modules(_scan(tmp_path / "loc"))) == {"WF-IIS-MANAGED-MODULE-UNKNOWN:Grabber"}


def test_an_unreadable_config_is_said_to_be_one(tmp_path: Path) -> None:
    write(tmp_path, _CONFIG, "<configuration><system.webServer></system.webServer></configuration>")
    notes = " ".join(_scan(tmp_path).coverage.families["webfiles"].notes)
    assert "IIS modules not checked: the applicationHost.config in the evidence could not be read" in notes

