"""``extriage case scan|status|add|report`` end to end on SQLite (and ``case scan`` into PostgreSQL):
bad paths are that server's error, rescans replace, results made elsewhere are added, the fleet
report is built by the report's own builders, attacker text is escaped, a crash keeps what was stored."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extriage.case import runner as case_runner
from extriage.case.store import open_case
from extriage.cli.main import _register, app
from extriage.findings import ScanResult, Verdict

runner = CliRunner()
_register()


def _status(case: str) -> dict[str, Any]:
    res = runner.invoke(app, ["case", "status", "--case", case, "--json", "-"])
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def _short(name: str) -> str:
    return name.split(".")[0].upper()


@pytest.fixture(scope="module")
def scanned_case(fleet: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> str:
    case = str(tmp_path_factory.mktemp("case") / "incident.db")
    paths = [str(fleet[n]) for n in ("EXCH01", "EXCH02", "EXCH03", "empty")] + [str(fleet["EXCH01"].parent / "missing")]
    res = runner.invoke(app, ["case", "scan", *paths, "--case", case, "-j", "2", "-q"])
    assert res.exit_code == 3, res.output  # two paths could not be scanned
    return case


def test_scan_stores_every_server_and_errors(scanned_case: str, fleet: dict[str, Path]) -> None:
    doc = _status(scanned_case)
    servers = {_short(s["name"]): s for s in doc["servers"]}
    assert set(servers) == {"EXCH01", "EXCH02", "EXCH03", "EMPTY", "MISSING"}
    assert servers["EXCH01"]["verdict"] == "compromised" and servers["EXCH01"]["priority"] == "disconnect now"
    assert servers["EXCH03"]["verdict"] == "no_evidence"
    assert "empty" in servers["EMPTY"]["error"] and servers["EMPTY"]["verdict"] == "error"
    assert "does not exist" in servers["MISSING"]["error"]
    for s in doc["servers"]:
        assert {"name", "evidence", "verdict", "priority", "scanned_by"} <= set(s)
        assert s["scanned_by"]["engine"] == "local"
    assert servers["EXCH01"]["scanned_by"]["worker"]  # host:pid of the worker process
    assert servers["EXCH01"]["evidence"] == str(fleet["EXCH01"].resolve())
    shared = doc["shared_indicators"]
    assert shared and all({"type", "value", "servers"} <= set(i) for i in shared)
    assert any({_short(n) for n in i["servers"]} == {"EXCH01", "EXCH02"} for i in shared)
    assert doc["timeline"] and doc["schema_revision"]


def test_rescan_replaces_entries(scanned_case: str, fleet: dict[str, Path], tmp_path: Path) -> None:
    case = str(tmp_path / "copy.db")
    for _ in range(2):
        res = runner.invoke(app, ["case", "scan", str(fleet["EXCH03"]), "--case", case, "-q", "-j", "1"])
        assert res.exit_code == 0, res.output
    assert len(_status(case)["servers"]) == 1


def test_status_terminal_and_unknown_case(scanned_case: str, tmp_path: Path) -> None:
    res = runner.invoke(app, ["case", "status", "--case", scanned_case])
    assert res.exit_code == 0, res.output
    assert "disconnect now" in res.output and "Indicators seen on more than one server" in res.output
    res = runner.invoke(app, ["case", "status", "--case", str(tmp_path / "none.db")])
    assert res.exit_code == 2 and "There is no case" in res.output and "Traceback" not in res.output


def test_attacker_text_is_escaped_in_the_terminal(tmp_path: Path) -> None:
    case = str(tmp_path / "c.db")
    with open_case(case) as store:
        store.add_scan(ScanResult(evidence_path=str(tmp_path / "e"), hostname="EVIL\x1b[31m[bold red]x[/]",
                                  verdict=Verdict.ATTEMPTED, verdict_reason="[link=http://x]y[/link]"))
    res = runner.invoke(app, ["case", "status", "--case", case], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output
    assert "[bold red]x[/]" in res.output  # shown as text, not applied as markup


def test_add_results_made_elsewhere(fleet: dict[str, Path], tmp_path: Path) -> None:
    case = str(tmp_path / "added.db")
    scan_json = tmp_path / "exch03.json"
    res = runner.invoke(app, ["scan", str(fleet["EXCH03"]), "--json", str(scan_json), "-q", "-j", "1"])
    assert res.exit_code in (0, 3), res.output
    probe = tmp_path / "probe.json"
    probe.write_text(json.dumps({"format": "extriage-probe/1", "results": [
        {"target": "https://exch03.example.org", "build": "15.1.2176.2", "worst_state": "vulnerable",
         "state": {"proxylogon": "vulnerable"}, "nodes": []}]}))
    verify = tmp_path / "verify.json"
    verify.write_text(json.dumps({"source": str(fleet["EXCH03"].resolve()), "mitigations": [
        {"id": "ecp", "title": "ECP application pool stopped", "state": "in-force", "reason": ""}]}))
    bad = tmp_path / "bad.json"
    bad.write_text('{"evidence_path": "/x", "schema_version": "1.0", "findings": [{"rule_id": "R", "count": -4}]}')
    truncated = tmp_path / "cut.json"
    truncated.write_text(scan_json.read_text()[:500])
    res = runner.invoke(app, ["case", "add", str(scan_json), str(probe), str(bad), str(truncated), str(verify), "--case", case])
    assert res.exit_code == 2
    assert "bad.json holds a value no scan writes: findings[0].count" in res.output.replace("\n", " ")
    assert "truncated" in res.output and "Traceback" not in res.output
    doc = _status(case)
    (server,) = doc["servers"]
    assert server["scanned_by"]["engine"] == "import"
    assert server["exposure"] == "vulnerable"
    assert server["mitigations"][0]["state"].startswith("in-force")


def test_fleet_report(scanned_case: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    res = runner.invoke(app, ["case", "report", "--case", scanned_case, "-o", str(out), "-f", "html,csv,stix,misp,cisa"])
    assert res.exit_code == 0, res.output
    for name in ("report.html", "indicators.csv", "stix-bundle.json", "misp-event.json", "cisa-incident-report.md",
                 "fleet.csv", "fleet-status.json"):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text()
    assert "EXCH01" in html and "EXCH02" in html
    with (out / "indicators.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    values = [(r["type"], r["value"]) for r in rows]
    assert len(values) == len(set(values))  # de-duplicated across servers
    assert any(len(r["servers"].split()) >= 2 for r in rows)
    with (out / "fleet.csv").open() as fh:
        fleet_rows = list(csv.DictReader(fh))
    assert len(fleet_rows) == 5 and fleet_rows[0]["priority"] == "disconnect now"


def test_a_crash_keeps_what_was_stored(fleet: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Results are stored as each server finishes: an interrupt after the first keeps it."""
    case = str(tmp_path / "crash.db")
    real = case_runner.run_local

    def crashing(paths: list[str], *args: Any, **kwargs: Any) -> Any:
        gen = real(paths, *args, **kwargs)
        yield next(gen)
        gen.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(case_runner, "run_local", crashing)
    res = runner.invoke(app, ["case", "scan", str(fleet["EXCH01"]), str(fleet["EXCH03"]), "--case", case, "-q", "-j", "1"])
    assert res.exit_code != 0
    with open_case(case, create=False) as store:
        assert store.count_servers() == 1


def test_case_scan_into_postgresql(fleet: dict[str, Path], pg_url: str) -> None:
    res = runner.invoke(app, ["case", "scan", str(fleet["EXCH02"]), str(fleet["empty"]), "--case", pg_url, "-q", "-j", "2"])
    assert res.exit_code == 3, res.output
    doc = _status(pg_url)
    assert {_short(s["name"]) for s in doc["servers"]} == {"EXCH02", "EMPTY"}
