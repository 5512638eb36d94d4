"""The ``extriage`` command. Each sub-command lives in its own module and registers itself here."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from extriage import __version__
from extriage.cli import coercion

coercion.install()  # plain values without Pydantic (~0.06 CPU-s of every command; extriage.cli.coercion)


def _new_app() -> typer.Typer:
    """The root command, without sub-commands (each module registers its own)."""
    root = typer.Typer(
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
    root.callback()(_root)
    return root


def _version(value: bool) -> None:
    if value:
        typer.echo(f"extriage {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """extriage — Exchange compromise triage."""
    if os.environ.get("EXTRIAGE_WAVES_DIR"):
        _check_wave_folders()


def _check_wave_folders() -> None:
    """Waves added through EXTRIAGE_WAVES_DIR (registry entries, their rules and chains) are read once
    before any command, so a mistake in them is one sentence naming the file, not a traceback later."""
    from extriage.cli.common import fail
    from extriage.detections.correlation import load_knowledge
    from extriage.detections.logrules import load_rules
    from extriage.detections.waves.registry import load_registry

    try:
        load_registry()
        load_knowledge()
        load_rules()
    except ValueError as exc:  # WaveRegistryError, ChainError, RuleError: each names its file
        fail(str(exc))


app = _new_app()

#: Command modules already registered on ``app`` (tests register them all, ``main`` one or all).
_registered: set[str] = set()


def _register(args: Sequence[str] | None = None) -> None:
    """Register the sub-commands ``args`` (the command line after the program name) needs: only
    the named one's module, or all of them (``args`` None, help, no or unknown command). The list of
    modules lives in one place, :mod:`extriage.cli.commands`."""
    from extriage.cli import commands

    wanted = commands.COMMAND_MODULES if args is None else commands.modules_for(args)
    todo = [name for name in wanted if name not in _registered]
    commands.register(app, todo)
    _registered.update(todo)


def listing_app() -> typer.Typer:
    """The root command with every sub-command listed by name and help only
    (:data:`extriage.cli.commands.SUMMARIES`), for ``extriage``, ``--help`` and ``--version``:
    no command module is imported. Nothing can run a listed command (those arguments end in the
    help or the version before any command is looked at)."""
    from extriage.cli import commands

    listing = _new_app()
    for name, summary in commands.SUMMARIES.items():
        listing.command(name, help=summary)(_listed_only)
    return listing


def _listed_only() -> None:
    raise typer.Exit(2)  # never reached: see listing_app


def main() -> None:
    from extriage.cli import commands

    args = sys.argv[1:]
    if commands.listing_only(args):
        listing_app()()
        return
    _register(args)
    from extriage.cli.interrupt import ending_promptly

    with ending_promptly():
        app()
