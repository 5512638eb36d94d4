"""The scan stage and the ``extriage patch-status`` command, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

import extriage
from extriage.cli.main import app
from extriage.findings import Outcome
from extriage.scan.pipeline import run_scan
from extriage.scan.stages.patch import STAGES

from .test_evidence import EXSETUP_2, make_tree

runner = CliRunner()


def _app():  # type: ignore[no-untyped-def]
    from extriage.cli import commands

    if not any(getattr(c, "name", None) == "patch-status" for c in app.registered_commands):
        commands.register(app)
    return app


def test_stage_puts_assessment_and_info_findings(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "ev", exsetup=EXSETUP_2, proxy="15.01.2176.002")
    result = run_scan(str(root), stages=list(STAGES))
    patch = result.extras["patch"]
    assert patch["evidence"]["build"] == "15.1.2176.2"
    assert patch["assessment"]["cu"] == "CU19"
    open_waves = {f.wave for f in result.findings if f.rule_id.startswith("PATCH-OPEN")}
    assert {"proxylogon", "proxyshell", "proxynotshell"} <= open_waves
    assert all(f.outcome == Outcome.INFO for f in result.findings)
    assert any(f.rule_id == "PATCH-SOURCES-DISAGREE" for f in result.findings)
    logon = next(f for f in result.findings if f.rule_id == "PATCH-OPEN-PROXYLOGON")
    assert logon.evidence[0].raw.startswith("VS_FIXEDFILEINFO FileVersion=15.1.2176.2")
    assert logon.evidence[0].sha256 is not None
    hashed = {Path(f.path).name for f in result.files}
    assert {"ExSetup.exe", "SOFTWARE", "HttpProxy_2021030400-1.LOG"} <= hashed
    doc = json.loads(json.dumps(result.to_dict(), default=str))  # JSON-ready
    schema = json.loads((Path(extriage.__file__).parent / "schema" / "scan-result.schema.json").read_text())
    doc["verdict_reason"] = doc["verdict_reason"] or "set by the verdict stage (not run here)"
    jsonschema.validate(doc, schema)


def test_stage_without_build_warns(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / "logs").mkdir(parents=True)
    (root / "logs/readme.txt").write_text("nothing")
    result = run_scan(str(root), stages=list(STAGES))
    assert result.extras["patch"]["assessment"] is None
    assert any("Patch level not determined" in w for w in result.coverage.warnings)
    assert result.findings == []


def test_cli_done_when() -> None:
    r = runner.invoke(_app(), ["patch-status", "15.1.2176.2"], env={"COLUMNS": "200"})
    assert r.exit_code == 30, r.output
    assert "ProxyLogon: OPEN" in r.output and "ProxyShell: OPEN" in r.output
    assert "KB5000871" in r.output and "15.1.2176.9" in r.output and "KB5001779" in r.output
    r = runner.invoke(_app(), ["patch-status", "15.1.2176.9"], env={"COLUMNS": "200"})
    assert "ProxyLogon: fixed" in r.output and "ProxyShell: OPEN" in r.output


def test_cli_json_stdout() -> None:
    r = runner.invoke(_app(), ["patch-status", "15.0.1497.44", "15.2.858.5", "--json", "-"])
    doc = json.loads(r.stdout)
    first, second = doc["builds"]
    for key in ("build", "product", "cu", "su", "support", "cves"):
        assert key in first
    nov = {c["id"]: c for c in first["cves"]}
    assert nov["CVE-2022-41040"]["status"] == "fixed"
    assert nov["CVE-2022-41040"]["fixed_by"]["kb"] == "KB5019758"
    assert {c["id"]: c["status"] for c in second["cves"]}["CVE-2021-26855"] == "fixed"


def test_cli_exit_codes(tmp_path: Path) -> None:
    assert runner.invoke(_app(), ["patch-status", "15.2.2562.17"]).exit_code == 0
    bad = runner.invoke(_app(), ["patch-status", "15.1.2176.9", "not-a-build"])
    assert bad.exit_code == 2  # not a build number: a usage error (issue 13), the good one still shown
    assert "Traceback" not in bad.output and "not-a-build' is not a build number" in bad.output
    assert "15.1.2176.9" in bad.stdout
    assert runner.invoke(_app(), ["patch-status", "banana"]).exit_code == 2
    other = runner.invoke(_app(), ["patch-status", "10.0.17763.1"])  # a version of another product
    assert other.exit_code == 31 and "not an Exchange Server build" in other.output
    assert runner.invoke(_app(), ["patch-status", "15.2.9999.1"]).exit_code == 31  # unknown future build
    assert runner.invoke(_app(), ["patch-status"]).exit_code == 2
    missing = runner.invoke(_app(), ["patch-status", "--evidence", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output and "nope" in missing.output


def test_cli_evidence(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "ev")
    out = tmp_path / "out.json"
    r = runner.invoke(
        _app(), ["patch-status", "--evidence", str(root), "--json", str(out)], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 30, r.output
    doc = json.loads(out.read_text())
    assert doc["evidence"]["build"] == "15.1.2176.9"
    assert doc["builds"][0]["build"] == "15.1.2176.9"
    assert "ExSetup.exe" in r.output
    inside = runner.invoke(_app(), ["patch-status", "--evidence", str(root), "--json", str(root / "x.json")])
    assert inside.exit_code == 2 and not (root / "x.json").exists()


def test_cli_escapes_hostile_input() -> None:
    r = runner.invoke(_app(), ["patch-status", "\x1b[31m[bold]15.1"])
    assert r.exit_code == 2
    assert "\x1b[31m" not in r.output


def test_finding_evidence_lists_each_kind_and_build_once(tmp_path: Path) -> None:
    from .test_evidence import HEADER, V15

    root = make_tree(tmp_path / "ev", exsetup=None, hive=None, proxy="15.01.2176.002")
    logs = root / V15 / "Logging/HttpProxy/Owa"
    for hour in range(1, 4):  # three more logs saying the same build
        (logs / f"HttpProxy_202103040{hour}-1.LOG").write_text(HEADER.format(v="15.01.2176.002"))
    result = run_scan(str(root), stages=list(STAGES))
    assert len(result.extras["patch"]["evidence"]["sources"]) == 4  # all listed in the patch section
    logon = next(f for f in result.findings if f.rule_id == "PATCH-OPEN-PROXYLOGON")
    assert [e.raw for e in logon.evidence] == ["#Version: 15.01.2176.002"]  # one fact, one line
