"""The ``extriage`` command. Each sub-command lives in its own module and registers itself here."""

from __future__ import annotations

import typer

from extriage import __version__

app = typer.Typer(
    name="extriage",
    help=(
        "Triage on-premises Microsoft Exchange servers: was it exploited (scan), is it patched "
        "(patch-status), is it exposed (probe), are the interim mitigations in force (mitigation)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"extriage {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """extriage — Exchange compromise triage."""


def _register() -> None:
    # Sub-command modules register themselves on import; keep this list in one place.
    from extriage.cli import commands

    commands.register(app)


def main() -> None:
    _register()
    app()
