"""Evidence stays byte-identical (content, size, mtime) whatever links sit where outputs go.

Every command's outputs are aimed at hard links to evidence files (``cp -al`` copies make them),
symlinks named like the files a command writes (pointing into the evidence), through ``..`` and
relative paths. The outputs must replace those names, never write through them."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register as register_commands
from extriage.cli.main import app
from extriage.generator.api import generate

register_commands()
runner = CliRunner()

REPORT_FILES = ("report.html", "report.md", "stix-bundle.json", "misp-event.json", "indicators.csv", "timeline.csv",
                "timeline.timesketch.jsonl", "cisa-incident-report.md")
SIGMA_FILES = ("splunk.spl", "elasticsearch-lucene.txt", "README.md")


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file under ``root``: (SHA-256, size, mtime in ns)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            st = p.stat()
            out[str(p.relative_to(root))] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(evidence folder, a scan result of it) — the result written beside, not inside."""
    base = tmp_path_factory.mktemp("case")
    evidence = base / "evidence"
    generate(evidence, size="200KB", days=3)
    result = base / "result.json"
    res = runner.invoke(app, ["scan", str(evidence), "-q", "--json", str(result)])
    assert res.exit_code in (0, 10, 20), res.output
    yield evidence, result


def _logs(evidence: Path) -> list[Path]:
    logs = sorted(p for p in evidence.rglob("*.log") if p.is_file())
    assert len(logs) >= 4
    return logs


def _hard(link: Path, target: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.link(target, link)
    return link


def _trap_folder(folder: Path, logs: list[Path], names: tuple[str, ...]) -> None:
    """``folder`` holding, under every name a command writes, a link into the evidence: symlinks
    and hard links alternately."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        target = logs[i % len(logs)]
        if i % 2:
            _hard(folder / name, target)
        else:
            (folder / name).symlink_to(target)


def _assert_replaced(folder: Path, names: tuple[str, ...]) -> None:
    for name in names:
        p = folder / name
        assert p.is_file() and not p.is_symlink() and p.stat().st_nlink == 1, name


def test_scan_outputs_replace_links_never_write_through(case: tuple[Path, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    evidence, _ = case
    logs = _logs(evidence)
    before = snapshot(evidence)
    out = tmp_path / "out"
    _hard(out / "result.json", logs[0])
    _hard(out / "timeline.csv", logs[1])
    report = out / "report"
    _trap_folder(report, logs, REPORT_FILES)
    (report / "sigma").symlink_to(logs[0].parent, target_is_directory=True)  # a folder of ours, pointing into the evidence
    (out / "sub").mkdir()
    monkeypatch.chdir(out / "sub")  # relative output paths, one through ".."
    res = runner.invoke(app, ["scan", str(evidence), "-q", "--json", "../result.json",
                              "--timeline", "../sub/../timeline.csv", "--report", "../report"])
    assert res.exit_code in (0, 10, 20), res.output
    assert snapshot(evidence) == before
    assert json.loads((out / "result.json").read_text(encoding="utf-8"))["evidence_path"]
    _assert_replaced(out, ("result.json", "timeline.csv"))
    _assert_replaced(report, REPORT_FILES)
    assert (report / "sigma").is_dir() and not (report / "sigma").is_symlink()
    _assert_replaced(report / "sigma", SIGMA_FILES)
    assert not list(out.rglob(".*.tmp")), "temporary files left behind"


def test_symlinked_output_into_the_evidence_is_refused(case: tuple[Path, Path], tmp_path: Path) -> None:
    evidence, result = case
    before = snapshot(evidence)
    link = tmp_path / "result.json"
    link.symlink_to(_logs(evidence)[0])
    res = runner.invoke(app, ["scan", str(evidence), "-q", "--json", str(link)])
    assert res.exit_code == 2 and "read-only" in res.output
    res = runner.invoke(app, ["report", str(result), "--out", str(evidence / "C")])
    assert res.exit_code == 2 and "read-only" in res.output
    assert snapshot(evidence) == before


def test_report_command_replaces_links(case: tuple[Path, Path], tmp_path: Path) -> None:
    evidence, result = case
    logs = _logs(evidence)
    before = snapshot(evidence)
    _trap_folder(tmp_path / "rep", logs, REPORT_FILES)
    _trap_folder(tmp_path / "rep" / "sigma", logs, SIGMA_FILES)
    res = runner.invoke(app, ["report", str(result), "--out", str(tmp_path / "x" / ".." / "rep")])
    assert res.exit_code == 0, res.output
    assert snapshot(evidence) == before
    _assert_replaced(tmp_path / "rep", REPORT_FILES)
    _assert_replaced(tmp_path / "rep" / "sigma", SIGMA_FILES)


def test_other_commands_replace_links(case: tuple[Path, Path], tmp_path: Path) -> None:
    evidence, _ = case
    logs = _logs(evidence)
    before = snapshot(evidence)
    names = ("patch.json", "verify.json", "plan.json", "gen.json", "probe.json", "probe.csv")
    for i, name in enumerate(names):
        _hard(tmp_path / name, logs[i % len(logs)])
    plan_dir = tmp_path / "plan"
    _trap_folder(plan_dir, logs, ("Invoke-ExtriageMitigation.ps1", "rewrite-rules.xml", "NOTES.md"))
    runs = [
        ["patch-status", "15.1.2176.2", "--json", str(tmp_path / "patch.json")],
        ["mitigation", "verify", str(evidence), "--json", str(tmp_path / "verify.json")],
        ["mitigation", "plan", "--build", "15.1.2176.2", "--json", str(tmp_path / "plan.json"), "--out", str(plan_dir)],
        ["generate", str(tmp_path / "gen"), "--size", "100KB", "--days", "1", "-q", "--json", str(tmp_path / "gen.json")],
        ["probe", "127.0.0.1:9", "--connect-timeout", "2", "--read-timeout", "2", "--json", str(tmp_path / "probe.json"), "--csv", str(tmp_path / "probe.csv")],
    ]
    for args in runs:
        res = runner.invoke(app, args)
        assert res.exception is None or isinstance(res.exception, SystemExit), (args, res.output)
    assert snapshot(evidence) == before
    _assert_replaced(tmp_path, names)
    for p in plan_dir.iterdir():
        assert not p.is_symlink() and p.stat().st_nlink == 1, p
