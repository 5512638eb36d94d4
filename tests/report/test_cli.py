"""``extriage report`` end to end through the CLI: files written, one-sentence errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from extriage.cli.main import _register as register_commands
from extriage.cli.main import app

from . import samples

register_commands()
runner = CliRunner()


def _write(tmp_path: Path, name: str, data: object) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data), encoding="utf-8")
    return p


def test_report_command_writes_every_format(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.json", samples.compromised().to_dict())
    b = _write(tmp_path, "b.json", samples.clean().to_dict())
    out = tmp_path / "out"
    res = runner.invoke(app, ["report", str(a), str(b), "--out", str(out), "--tlp", "red"])
    assert res.exit_code == 0, res.output
    # the first screen says what the reports say, then where to start
    assert f"{samples.FQDN}: COMPROMISED" in res.output and "EXCH03: NO EVIDENCE" in res.output
    assert "first: verdict, response plan" in res.output
    assert (out / "report.html").is_file() and (out / "sigma" / "splunk.spl").is_file()
    assert "TLP:RED" in (out / "report.md").read_text(encoding="utf-8")


def test_report_command_formats_and_redact(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.json", samples.compromised().to_dict())
    out = tmp_path / "out"
    res = runner.invoke(app, ["report", str(a), "-o", str(out), "-f", "md,stix", "--redact"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["report.md", "stix-bundle.json"]
    assert samples.FQDN not in (out / "report.md").read_text(encoding="utf-8")


def test_errors_are_one_sentence_without_traceback(tmp_path: Path) -> None:
    text = json.dumps(samples.compromised().to_dict())
    cut = tmp_path / "cut.json"
    cut.write_text(text[:1000], encoding="utf-8")
    old = _write(tmp_path, "old.json", {**samples.clean().to_dict(), "schema_version": "0.3"})
    cases = [
        ([str(cut)], "truncated JSON"),
        ([str(old)], "schema version 0.3"),
        ([str(tmp_path / "missing.json")], "does not exist"),
    ]
    for args, message in cases:
        res = runner.invoke(app, ["report", *args, "--out", str(tmp_path / "o")])
        assert res.exit_code == 2
        assert message in res.output
        assert "Traceback" not in res.output
    res = runner.invoke(app, ["report", str(old), "--out", str(tmp_path / "o"), "--tlp", "purple"])
    assert res.exit_code == 2 and "Unknown TLP level" in res.output


def test_refuses_to_write_into_evidence(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    r = samples.clean()
    r.evidence_path = str(evidence)
    p = _write(tmp_path, "r.json", r.to_dict())
    res = runner.invoke(app, ["report", str(p), "--out", str(evidence / "reports")])
    assert res.exit_code == 2 and "evidence is read-only" in res.output
    assert not (evidence / "reports").exists()


def test_output_that_is_a_file_is_refused_in_one_sentence(tmp_path: Path) -> None:
    p = _write(tmp_path, "r.json", samples.clean().to_dict())
    res = runner.invoke(app, ["report", str(p), "--out", str(p)])
    assert res.exit_code == 2 and "r.json is a file; reports are written into a folder" in res.output
    assert "File exists" not in res.output and json.loads(p.read_text(encoding="utf-8"))  # untouched
