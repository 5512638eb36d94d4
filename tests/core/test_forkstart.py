"""The fork server started by the console script for ``extriage scan``, before the CLI is imported
(issue 18, session 19): the command line is read as Typer reads it or not at all, the evidence is
excluded from the cache folders before the server starts, and only a scan that will use workers
starts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from extriage.cli import main as cli_main
from extriage.scan import forkstart

_LINES = [
    ["EV"], ["EV", "-q"], ["-q", "EV"], ["EV", "-j", "2"], ["EV", "-j2"], ["EV", "--jobs", "3"], ["EV", "--jobs=3"],
    ["-j", "1", "EV"], ["EV", "-j", "-1"], ["EV", "-j", "0"], ["EV", "-j", "2", "-j", "1"],
    ["EV", "--json", "out.json", "-q"], ["--json", "-", "EV"], ["EV", "--json=o.json"], ["EV", "--timeline", "t.csv"],
    ["EV", "--rules", "r1", "--rules", "r2"], ["EV", "--max-file-size", "5"], ["EV", "--file-timeout", "2.5"],
    ["EV", "--log-rules", "lr"], ["EV", "--prefilter-engine", "re2"], ["EV", "--report", "rep"],
    ["EV", "--reviewed", "rev.txt"], ["--", "EV"], ["-q", "--", "-EV"], ["EV", "--quiet", "--jobs", "2"],
    ["--json", "EV", "EV2"], ["-j", "2", "EV", "-q"],
]
_NOT_READ = [
    [], ["EV", "EV2"], ["--help"], ["EV", "--help"], ["EV", "-x"], ["EV", "--jobs"], ["EV", "-j", "two"],
    ["EV", "-qj2"], ["EV", "--quiet=1"], ["EV", "-j=2"], ["EV", "--json"], ["EV", "--unknown", "1"],
    ["EV", "-j", "+2"], ["EV", "-j", " 2"], ["EV", "--no-quiet"], ["EV", "-j", "٢"],
]


def _scan_command() -> typer.core.TyperCommand:
    cli_main._register(["scan"])
    group = typer.main.get_command(cli_main.app)
    return group.commands["scan"]  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("argv", _LINES + _NOT_READ, ids=lambda a: " ".join(a) or "(none)")
def test_the_line_is_read_as_typer_reads_it_or_not_at_all(argv: list[str]) -> None:
    target = forkstart.scan_target(argv)
    if argv in _LINES:
        assert target is not None, "a plain scan command line must be read"
    else:
        assert target is None
    if target is None:
        return
    ctx = _scan_command().make_context("scan", list(argv))
    assert target == (ctx.params["path"], ctx.params["jobs"])


def test_every_option_of_the_scan_command_is_known() -> None:
    options = [p for p in _scan_command().params if isinstance(p, typer.core.TyperOption)]
    names = {n for p in options for n in (*p.opts, *p.secondary_opts)}
    assert names - {"--help"} == forkstart.SCAN_VALUE_OPTIONS | forkstart.SCAN_FLAGS
    flags = {n for p in options if p.is_flag for n in (*p.opts, *p.secondary_opts)}
    assert flags == forkstart.SCAN_FLAGS


_PROBE = """
import json, os, sys
from extriage import cache
from extriage.scan import forkstart
forkstart.PARALLEL_MIN_BYTES = 4000
seen = []
real = forkstart.start_workers
def spy(modules):
    seen.append({"typer": "typer" in sys.modules, "cli": "extriage.cli.main" in sys.modules,
                 "excluded": os.environ.get(cache.EXCLUDE_ENV, ""), "modules": list(modules)})
    real(modules)
forkstart.start_workers = spy
import atexit
atexit.register(lambda: sys.stderr.write("PROBE " + json.dumps(seen) + "\\n"))
sys.argv = ["extriage", *sys.argv[1:]]
from extriage.cli.entry import main
main()
"""


def _run(argv: list[str]) -> tuple[int, list[dict[str, object]]]:
    res = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=300)
    probe = [line for line in res.stderr.splitlines() if line.startswith("PROBE ")]
    assert probe, res.stderr
    return res.returncode, json.loads(probe[-1][6:])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")
def test_the_console_script_starts_the_server_before_the_cli_and_after_the_cache_exclusion(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "x.log").write_bytes(b"x" * 5000)
    code, seen = _run(["scan", str(ev), "-q", "-j", "2", "--json", str(tmp_path / "r.json")])
    assert code in (0, 3) and (tmp_path / "r.json").is_file()
    assert seen, "the server was started"
    first = seen[0]
    assert first["typer"] is False and first["cli"] is False  # before the CLI's imports
    assert str(ev.resolve()) in str(first["excluded"]).split(":")  # the evidence never holds a cache folder
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import worker_modules

    assert first["modules"] == worker_modules(ScanOptions(jobs=2))  # what the command would preload


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")
@pytest.mark.parametrize("case", ["one worker", "small", "missing", "not plain"])
def test_no_server_from_the_console_script_for_a_scan_without_workers(tmp_path: Path, case: str) -> None:
    ev = tmp_path / "ev"
    if case != "missing":
        ev.mkdir()
        (ev / "x.log").write_bytes(b"x" * (100 if case == "small" else 5000))
    argv = ["scan", str(ev), "-q", "--json", str(tmp_path / "r.json"), "-j", "1" if case == "one worker" else "2"]
    if case == "not plain":
        argv.insert(2, "-qj2")
    _code, seen = _run(argv)
    assert not [s for s in seen if s["cli"] is False]  # nothing before the CLI; the command decides itself


_BROKEN = """
import sys
from extriage.scan import forkstart
def broken(argv):
    raise OSError(24, "Too many open files")
forkstart.start_for_scan = broken
sys.argv = ["extriage", *sys.argv[1:]]
from extriage.cli.entry import main
main()
"""


def test_a_failing_head_start_is_no_traceback_and_the_scan_still_runs(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "x.log").write_bytes(b"x" * 5000)
    argv = ["scan", str(ev), "-q", "-j", "2", "--json", str(tmp_path / "r.json")]
    res = subprocess.run([sys.executable, "-c", _BROKEN, *argv], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode in (0, 3) and (tmp_path / "r.json").is_file()
