"""Sub-command registration: ``extriage scan`` imports only its own module, and the name -> module
table in ``extriage.cli.commands`` says exactly what the modules register (so it cannot drift)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer
from typer.main import get_group

from extriage.cli import commands


def _names_registered_by(modules: list[str]) -> set[str]:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """A callback makes ``app`` a group whatever the number of commands."""

    commands.register(app, modules)
    return set(get_group(app).commands)


@pytest.mark.parametrize("module", commands.COMMAND_MODULES)
def test_table_lists_what_each_module_registers(module: str) -> None:
    expected = {name for name, mod in commands.COMMAND_NAMES.items() if mod == module}
    assert _names_registered_by([module]) == expected


def test_table_covers_every_module_and_every_command() -> None:
    assert set(commands.COMMAND_NAMES.values()) == set(commands.COMMAND_MODULES)
    assert _names_registered_by(commands.COMMAND_MODULES) == set(commands.COMMAND_NAMES)


@pytest.mark.parametrize(
    ("args", "modules"),
    [
        (["scan", "/evidence", "--json", "r.json"], ["scan_cmd"]),
        (["scan", "--help"], ["scan_cmd"]),
        (["generate", "out"], ["generate_cmd"]),
        (["demo"], ["generate_cmd"]),
        (["patch-status", "15.1.2176.9"], ["patch_cmd"]),
        (["probe", "mail.example.org"], ["probe_cmd"]),
        (["mitigation", "verify", "/evidence"], ["mitigation_cmd"]),
        (["report", "r.json", "-o", "out"], ["report_cmd"]),
        ([], commands.COMMAND_MODULES),
        (["--help"], commands.COMMAND_MODULES),
        (["--version"], commands.COMMAND_MODULES),
        (["scna", "/evidence"], commands.COMMAND_MODULES),  # unknown: click lists the real ones
        (["-q", "scan"], commands.COMMAND_MODULES),  # options before the command
    ],
)
def test_modules_for_the_command_line(args: list[str], modules: list[str]) -> None:
    assert commands.modules_for(args) == modules


def test_register_twice_adds_nothing() -> None:
    from extriage.cli.main import _register, app

    _register()
    before = (len(app.registered_commands), len(app.registered_groups))
    _register()
    _register(["scan", "x"])
    assert (len(app.registered_commands), len(app.registered_groups)) == before


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


def test_scan_imports_only_its_own_module() -> None:
    code = (
        "import json, sys\n"
        "from extriage.cli.main import _register\n"
        "_register(['scan', '/evidence', '--quiet', '--json', 'r.json'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    loaded = set(json.loads(res.stdout))
    assert "extriage.cli.scan_cmd" in loaded
    others = {f"extriage.cli.{m}" for m in commands.COMMAND_MODULES} - {"extriage.cli.scan_cmd"}
    assert not others & loaded
    # what a plain ``scan --json`` does not need: network probe, report renderers, generator, progress bars
    unwanted = ("httpx", "jinja2", "extriage.probe", "extriage.report", "extriage.generator", "rich.progress")
    assert not [m for m in loaded if m.startswith(unwanted)]


def test_command_line_with_one_module_and_with_all() -> None:
    res = _run("import sys; sys.argv = ['extriage', 'scan', '--help']; from extriage.cli.main import main; main()")
    assert res.returncode == 0, res.stderr
    assert "--json" in res.stdout
    res = _run("import sys; sys.argv = ['extriage', '--help']; from extriage.cli.main import main; main()")
    assert res.returncode == 0, res.stderr
    for name in commands.COMMAND_NAMES:
        assert name in res.stdout
    res = _run("import sys; sys.argv = ['extriage', 'scna']; from extriage.cli.main import main; main()")
    assert res.returncode == 2
    assert "No such command" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("args", "listing"),
    [([], True), (["--help"], True), (["--version"], True), (["--help", "scan"], True),
     (["scan", "--help"], False), (["-q", "scan"], False), (["scna"], False)],
)
def test_listing_only(args: list[str], listing: bool) -> None:
    assert commands.listing_only(args) is listing


def test_root_help_from_the_table_is_the_modules_help() -> None:
    """``extriage --help`` is rendered from ``SUMMARIES`` without importing the command modules:
    it must read exactly as the help of the app with every module registered (names, order, text)."""
    from typer.testing import CliRunner

    from extriage.cli.main import _register, app, listing_app

    _register()
    runner = CliRunner()
    env = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    full = runner.invoke(app, ["--help"], env=env)
    listed = runner.invoke(listing_app(), ["--help"], env=env)
    assert full.exit_code == listed.exit_code == 0
    assert listed.output == full.output
    assert list(commands.SUMMARIES) == list(get_group(app).commands)


def test_version_and_root_help_import_no_command_module() -> None:
    for arg in ("--version", "--help"):
        code = (
            "import json, sys\n"
            f"sys.argv = ['extriage', {arg!r}]\n"
            "from extriage.cli.main import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
        )
        res = _run(code)
        assert res.returncode == 0, res.stderr
        loaded = set(json.loads(res.stderr.strip().splitlines()[-1]))
        assert not {f"extriage.cli.{m}" for m in commands.COMMAND_MODULES} & loaded
        assert not [m for m in loaded if m.startswith(("extriage.scan", "extriage.detections", "httpx"))]
    res = _run("import sys; sys.argv = ['extriage', '--version']; from extriage.cli.main import main; main()")
    assert res.returncode == 0 and res.stdout.startswith("extriage ")
