"""``extriage probe`` through the CLI: JSON contract, CSV, --only, exit codes, user errors."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from extriage.cli import probe_cmd
from extriage.cli.main import _register, app

from .conftest import Farm

runner = CliRunner()
_register()

FAST = ["--connect-timeout", "1", "--read-timeout", "1", "--rate", "0"]


def test_json_contract(farm: Farm) -> None:
    res = runner.invoke(
        app, ["probe", farm["lb-pair"], farm["not-exchange"], farm["refused"], "--json", "-", *FAST]
    )
    assert res.exit_code == probe_cmd.EXIT_VULNERABLE, res.output
    doc = json.loads(res.stdout)
    assert doc["mode"] == "version-only" and doc["user_agent"].startswith("extriage-probe/")
    results = doc["results"]
    assert next(r["target"] for r in results) == farm["lb-pair"]  # worst first
    for r in results:
        assert {"target", "state", "build", "confidence", "nodes", "evidence", "error"} <= set(r)
        assert set(r["state"]) == {"proxylogon", "proxyshell", "proxynotshell", "proxytoken", "other"}
    lb = results[0]
    assert {n["name"] for n in lb["nodes"]} == {"EXLB01", "EXLB02"}
    assert lb["evidence"][0]["request"].startswith("GET ") and lb["evidence"][0]["status"] == 200
    schema = json.loads(
        resources.files("extriage.probe").joinpath("probe-result.schema.json").read_text("utf-8")
    )
    jsonschema.validate(doc, schema)
    refused = next(r for r in results if r["target"] == farm["refused"])
    assert refused["error"] == "connection refused" and set(refused["state"].values()) == {"error"}


def test_csv_and_only(farm: Farm, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    res = runner.invoke(
        app,
        [
            "probe",
            farm["ex2016-cu19-cuonly"],
            farm["ex2016-cu23-patched"],
            "--csv",
            str(out),
            "--only",
            "vulnerable-unless-su",
            "-q",
            *FAST,
        ],
    )
    assert res.exit_code == probe_cmd.EXIT_VULNERABLE
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["target"] for r in rows] == [farm["ex2016-cu19-cuonly"]]
    assert rows[0]["proxylogon"] == "vulnerable-unless-su" and "KB5000871 (15.1.2176.9)" in rows[0]["needs"]
    assert rows[0]["install"] == "Exchange 2016 CU22 Nov22SU KB5019758 (15.1.2375.37)"  # for ProxyNotShell


def test_table_and_patched_exit_code(farm: Farm) -> None:
    res = runner.invoke(app, ["probe", farm["ex2016-cu23-patched"], *FAST])
    # every wave a build decides is patched: exit 0; CVE-2024-21410 (Extended Protection) stays
    # "unknown" in the table with a note, since no remote check can settle it
    assert res.exit_code == probe_cmd.EXIT_OK, res.output
    assert "patched" in res.stdout and "15.1.2507.35" in res.stdout
    assert "Extended Protection" in res.stdout


def test_an_unreachable_target_keeps_the_run_undecided(farm: Farm) -> None:
    res = runner.invoke(app, ["probe", farm["ex2016-cu23-patched"], farm["refused"], *FAST])
    assert res.exit_code == probe_cmd.EXIT_INCOMPLETE, res.output
    assert "NOT shown to be safe" in res.stdout


def test_user_errors_are_one_sentence(tmp_path: Path) -> None:
    res = runner.invoke(app, ["probe"])
    assert res.exit_code == 2 and "No targets" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["probe", "--targets", str(tmp_path / "nope.txt")])
    assert res.exit_code == 2 and "nope.txt" in res.output
    res = runner.invoke(app, ["probe", "x.example", "--only", "safe"])
    assert res.exit_code == 2 and "not a state" in res.output


def test_hostile_server_text_is_escaped(farm: Farm) -> None:
    """Header values are attacker-controlled: the table must not interpret Rich markup."""
    from extriage.probe.output import table
    from extriage.probe.result import TargetResult

    r = TargetResult(target="[bold red]x[/]\x1b[2J", error="bad\x07[link=http://evil]y[/link]")
    from rich.console import Console

    con = Console(file=io.StringIO(), width=200, color_system=None)
    con.print(table([r]))
    text = con.file.getvalue()  # type: ignore[attr-defined]
    assert "[bold red]x[/]" in text and "\\x1b" in text and "\\x07" in text and "[link=http://evil]" in text


def test_detail_names_the_one_update_to_install_and_each_reason_once(farm: Farm) -> None:
    from extriage.probe.output import _detail, install

    from .test_probe_mock import run

    res = run([farm["ex2019-federated"], farm["ex2016-cu19-cuonly"], farm["not-exchange"]])
    fed = res[farm["ex2019-federated"]]
    # ProxyLogon needs Mar21SU, ProxyShell May21SU, ProxyNotShell CU11 Nov22SU: updates are cumulative,
    # so the highest one is the single action.
    assert install(fed) == "Exchange 2019 CU11 Nov22SU KB5019758 (15.2.986.36)"
    assert "install at least: Exchange 2019 CU11 Nov22SU KB5019758 (15.2.986.36)" in _detail(fed)
    cu = _detail(res[farm["ex2016-cu19-cuonly"]])
    assert any(d.startswith("patched only if installed: ") and "KB5000871" in d for d in cu)
    assert "install at least: Exchange 2016 CU22 Nov22SU KB5019758 (15.1.2375.37)" in cu
    ne = _detail(res[farm["not-exchange"]])
    assert len(ne) == 1 and ne[0].startswith("no Exchange marker in 3 HTTP responses")
    assert install(res[farm["not-exchange"]]) == ""
