"""The CLI (verify / plan), the probe cross-reference, and the scan stage on evidence trees."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register, app
from extriage.detections.mitigations.probe_xref import (
    ProbeJsonError,
    cross_reference,
    live_state,
    load_probe_json,
)
from extriage.detections.mitigations.sources import MemorySource
from extriage.detections.mitigations.verify import verify
from extriage.scan.pipeline import run_scan
from extriage.scan.stages.mitigation import STAGES

from .conftest import DATA, FLAT, server_files

_register()
runner = CliRunner()

HP_REL = "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy"


def make_tree(root: Path, test_data: Path, hive_name: str | None = "SYSTEM_mitigated", root_web: bytes | None = None) -> Path:
    """A KAPE-style collection (``C/...``) of the real E19 configs at their server paths."""
    for windows_path, data in server_files(test_data, "E19").items():
        rel = windows_path.replace("C:\\", "C/").replace("\\", "/")
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(root_web if (root_web is not None and rel.endswith("wwwroot/web.config")) else data)
    if hive_name:
        hive = root / "C/Windows/System32/config/SYSTEM"
        hive.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / hive_name, hive)
    return root


def test_verify_cli_json_and_exit_code(tmp_path: Path, test_data: Path) -> None:
    ev = make_tree(tmp_path / "ev", test_data)
    result = runner.invoke(app, ["mitigation", "verify", str(ev), "--json", "-"])
    assert result.exit_code == 40, result.output  # rules absent
    data = json.loads(result.stdout)
    states = {m["id"]: m["state"] for m in data["mitigations"]}
    assert states["proxylogon-rewrite"] == "absent" and states["um-services"] == "in-force"
    assert all(f["sha256"] and len(f["sha256"]) == 64 for f in data["files_read"])
    assert len(data["files_read"]) == 13  # applicationHost + 11 web.config + SYSTEM
    assert "not a substitute" in data["disclaimer"]


def test_verify_cli_terminal_escapes_hostile_names(tmp_path: Path, test_data: Path) -> None:
    evil = b'<?xml version="1.0"?><configuration><system.webServer><rewrite><rules>' \
        b'<rule name="X-BEResource Abort - inbound" enabled="false"><match url="[red]&#155;31m"/></rule>' \
        b"</rules></rewrite></system.webServer></configuration>"
    ev = make_tree(tmp_path / "ev", test_data, root_web=evil)
    result = runner.invoke(app, ["mitigation", "verify", str(ev)])
    assert result.exit_code == 40
    assert "\x9b" not in result.output and "\\x9b31m" in result.output
    assert "[red]" in result.output  # shown literally, not interpreted as markup


def test_verify_cli_zip_and_refusals(tmp_path: Path, test_data: Path) -> None:
    ev = make_tree(tmp_path / "ev", test_data)
    zpath = tmp_path / "ev.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in ev.rglob("*"):
            if f.is_file():
                zf.write(f, f.relative_to(ev).as_posix())
    result = runner.invoke(app, ["mitigation", "verify", str(zpath), "--json", str(tmp_path / "out.json")])
    assert result.exit_code == 40
    assert json.loads((tmp_path / "out.json").read_text())["system_hive"].endswith("!C/Windows/System32/config/SYSTEM")
    inside = runner.invoke(app, ["mitigation", "verify", str(ev), "--json", str(ev / "x.json")])
    assert inside.exit_code == 2 and "read-only" in inside.output
    missing = runner.invoke(app, ["mitigation", "verify", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert "Traceback" not in missing.output


def test_verify_cli_bad_application_host(tmp_path: Path, test_data: Path) -> None:
    ev = make_tree(tmp_path / "ev", test_data, hive_name=None)
    bad = test_data / "exchange-iis-config/E19/Exchange/IIS/BadApplicationHost.config"
    shutil.copy(bad, ev / "C/Windows/System32/inetsrv/config/applicationHost.config")
    result = runner.invoke(app, ["mitigation", "verify", str(ev), "--json", "-"])
    assert result.exit_code == 41  # nothing decidable: unknown, never in-force
    data = json.loads(result.stdout)
    assert {m["state"] for m in data["mitigations"]} == {"unknown"}
    assert any("line 128" in e for e in data["errors"])


def test_plan_cli_writes_files(tmp_path: Path, test_data: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(app, ["mitigation", "plan", "--build", "15.1.2106.2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"Invoke-ExtriageMitigation.ps1", "NOTES.md", "rewrite-rules.xml"}
    ps1 = (out / "Invoke-ExtriageMitigation.ps1").read_bytes()
    assert ps1.startswith(b"\xef\xbb\xbf") and b"\r\n" in ps1
    bad = runner.invoke(app, ["mitigation", "plan", "--build", "not-a-build"])
    assert bad.exit_code == 2 and "not an Exchange build" in bad.output
    ev = make_tree(tmp_path / "ev", test_data)
    refused = runner.invoke(app, ["mitigation", "plan", "--build", "15.1.2106.2", "--evidence", str(ev), "--out", str(ev / "p")])
    assert refused.exit_code == 2


def test_plan_cli_prints_pastable_xml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: the printed web.config XML had literal \\x0a for its line breaks and could not be pasted."""
    import xml.dom.minidom

    monkeypatch.setenv("COLUMNS", "60")  # narrower than the XML lines: no wrapping may be added
    result = runner.invoke(app, ["mitigation", "plan", "--build", "15.1.2176.2"])
    assert result.exit_code == 0, result.output
    assert "\\x0a" not in result.stdout and "\\x0d" not in result.stdout
    start = result.stdout.index("<?xml")
    end = result.stdout.index("</configuration>") + len("</configuration>")
    pasted = result.stdout[start:end]
    assert pasted.count("\n") > 20
    doc = xml.dom.minidom.parseString(pasted)
    rules = doc.getElementsByTagName("rule")
    assert {r.getAttribute("name") for r in rules} >= {"X-BEResource Abort - inbound", "PowerShell - inbound"}
    # one element per line, as generated: a long line was not cut in two
    assert any(line.strip().startswith("<add input=") and line.rstrip().endswith("/>") for line in pasted.splitlines())


def test_pastable_text_still_escapes_controls_within_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from extriage.cli.mitigation_cmd import print_pastable

    print_pastable('<a x="\x1b[31m[red]\u202e"/>\r\n<b/>\n')
    shown = capsys.readouterr().out
    assert shown.splitlines() == ['<a x="\\x1b[31m[red]\\u202e"/>', "<b/>"]


def _probe(tmp_path: Path, pl: str, pns: str, aborted: bool = False) -> Path:
    data = {
        "format": "extriage-probe/1",
        "results": [
            {
                "target": "mail.example.test",
                "state": {"proxylogon": "vulnerable", "proxyshell": "patched", "proxynotshell": "vulnerable", "other": "unknown"},
                "confirmations": {"proxylogon": pl, "proxynotshell": pns},
                "evidence": [{"request": "GET /owa/auth/x.js", "purpose": "confirm-proxylogon", "status": None, "aborted": aborted}],
            }
        ],
    }
    p = tmp_path / "probe.json"
    p.write_text(json.dumps(data))
    return p


def test_probe_cross_reference(tmp_path: Path, test_data: Path) -> None:
    files = server_files(test_data, "E19")
    report = verify(MemorySource(files))  # rules absent in the configuration
    probe = load_probe_json(str(_probe(tmp_path, "mitigated", "not mitigated: answered with status 200")))
    xref = cross_reference(report, probe)
    rows = {r["wave"]: r for r in xref["rows"]}
    assert rows["proxylogon"]["live"] == "blocked" and rows["proxylogon"]["agreement"].startswith("disagree")
    assert rows["proxynotshell"]["live"] == "not-blocked" and rows["proxynotshell"]["agreement"].startswith("agree")
    assert xref["disagreements"] == 1
    assert live_state({"confirmations": {}}, "proxylogon")[0] == "not-run"
    assert live_state({"confirmations": {"proxylogon": "inconclusive: timeout"}}, "proxylogon")[0] == "inconclusive"
    assert live_state({"evidence": [{"purpose": "confirm-proxylogon", "aborted": True}]}, "proxylogon")[0] == "blocked"


def test_probe_json_cli_and_bad_files(tmp_path: Path, test_data: Path) -> None:
    ev = make_tree(tmp_path / "ev", test_data)
    probe = _probe(tmp_path, "vulnerable", "mitigated")
    result = runner.invoke(app, ["mitigation", "verify", str(ev), "--probe-json", str(probe), "--json", "-"])
    data = json.loads(result.stdout)
    assert data["probe"]["targets"] == ["mail.example.test"]
    shown = runner.invoke(app, ["mitigation", "verify", str(ev), "--probe-json", str(probe)])
    assert "probe mail.example.test proxylogon" in shown.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ProbeJsonError, match="not JSON"):
        load_probe_json(str(bad))
    bad.write_text('{"x": 1}')
    r = runner.invoke(app, ["mitigation", "verify", str(ev), "--probe-json", str(bad)])
    assert r.exit_code == 2 and "no 'results' list" in r.output


def test_scan_stage_puts_state_in_extras(tmp_path: Path, test_data: Path) -> None:
    from extriage.detections.mitigations.plan import make_plan, render

    from .xml_apply import add_to_rules, apply_rules

    frag = render(make_plan("15.1.2106.2"))["rewrite-rules.xml"].encode()
    root_web = apply_rules(server_files(test_data, "E19")["C:\\inetpub\\wwwroot\\web.config"], frag)
    ev = make_tree(tmp_path / "ev", test_data, hive_name="SYSTEM_um_only", root_web=root_web)
    ecp = ev / "C" / HP_REL / "ecp" / "web.config"
    ecp.write_bytes(add_to_rules(ecp.read_bytes(), '<remove name="X-BEResource Abort - inbound" />'))
    result = run_scan(str(ev), stages=list(STAGES))
    extras = result.extras["mitigation"]
    states = {m["id"]: m["state"] for m in extras["mitigations"]}
    assert states["proxylogon-rewrite"] == "overridden" and states["proxynotshell-rewrite"] == "in-force"
    assert states["um-services"] == "partial"
    rules = {f.rule_id: f for f in result.findings}
    f = rules["MIT-PROXYLOGON-REWRITE-OVERRIDDEN"]
    assert f.severity.label() == "low" and f.outcome.value == "info"
    assert f.evidence[0].raw == '<remove name="X-BEResource Abort - inbound">' and f.evidence[0].sha256
    assert "MIT-UM-SERVICES-PARTIAL" in rules
    assert "MIT-REWRITE-MODULE-IN-FORCE" not in rules
    assert len(result.files) == 13 and result.coverage.families["iis-config"].files == 13
    assert result.verdict.value == "no_evidence"  # mitigation state never raises the verdict


def test_scan_stage_without_iis_config(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_text("x")
    result = run_scan(str(tmp_path), stages=list(STAGES))
    assert {m["state"] for m in result.extras["mitigation"]["mitigations"]} == {"unknown"}
    assert any("applicationHost.config is not in the evidence" in w for w in result.coverage.warnings)
    assert FLAT  # the flat-name table documents where the real files sit


def test_verify_cli_on_flat_healthchecker_folder(test_data: Path) -> None:
    folder = test_data / "exchange-iis-config" / "E19" / "Exchange" / "IIS"
    result = runner.invoke(app, ["mitigation", "verify", str(folder), "--json", "-"])
    assert result.exit_code == 40
    data = json.loads(result.stdout)
    assert data["application_host"].endswith("E19/Exchange/IIS/applicationHost.config")
    names = {Path(f["path"]).name for f in data["files_read"]}
    assert names == {"applicationHost.config", *(n for n in FLAT)}
    states = {m["id"]: m["state"] for m in data["mitigations"]}
    assert states == {
        "rewrite-module": "in-force",
        "proxylogon-rewrite": "absent",
        "proxynotshell-rewrite": "absent",
        "um-services": "unknown",
        "ecp-apppool": "absent",
        "oab-apppool": "absent",
    }
    both = runner.invoke(app, ["mitigation", "verify", str(test_data / "exchange-iis-config"), "--json", "-"])
    assert "several copies of the IIS configuration" in json.loads(both.stdout)["notes"][0]


def test_unusable_apphost_is_an_error_not_absent_from_the_evidence() -> None:
    from .conftest import APPHOST

    broken = verify(MemorySource({APPHOST: b"\x00\xff garbage, not XML"}))
    assert broken.errors and "applicationHost.config" in broken.errors[0]
    assert all(APPHOST not in m.not_checked for m in broken.mitigations)
    assert all(m.state == "unknown" for m in broken.mitigations if m.id.startswith("rewrite"))
    missing = verify(MemorySource({}))
    assert any(APPHOST in m.not_checked for m in missing.mitigations) and not missing.errors


def test_fleet_probe_file_needs_the_target_of_this_evidence(tmp_path: Path, test_data: Path) -> None:
    ev = make_tree(tmp_path / "ev", test_data)
    one = json.loads(_probe(tmp_path, "mitigated", "mitigated").read_text())
    other = json.loads(json.dumps(one["results"][0]))
    other["target"] = "mail2.example.test"
    other["nodes"] = [{"name": "EXCH02"}]
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({**one, "results": [one["results"][0], other]}))
    r = runner.invoke(app, ["mitigation", "verify", str(ev), "--probe-json", str(fleet)])
    assert r.exit_code == 2 and "2 targets" in r.output and "--probe-target" in r.output
    r = runner.invoke(app, ["mitigation", "verify", str(ev), "--probe-json", str(fleet), "--probe-target", "exch02", "--json", "-"])
    assert json.loads(r.stdout)["probe"]["targets"] == ["mail2.example.test"]
    r = runner.invoke(app, ["mitigation", "verify", str(ev), "--probe-json", str(fleet), "--probe-target", "nothere"])
    assert r.exit_code == 2 and "no probe result matches" in r.output
