"""The CLI starts, and a user error is one sentence with a distinct exit code, never a traceback."""

from __future__ import annotations

from typer.testing import CliRunner

from extriage.cli.main import _register, app

_register()
runner = CliRunner()


def test_version() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert "extriage" in r.output


def test_missing_path_is_a_clear_error(tmp_path) -> None:
    r = runner.invoke(app, ["scan", str(tmp_path / "nope")])
    assert r.exit_code == 2
    assert "does not exist" in r.output
    assert "Traceback" not in r.output
