"""Which sub-command modules exist. Each module exposes ``register(app)``."""

from __future__ import annotations

import importlib

import typer

#: module name under extriage.cli -> owner area. Add a line to add a command.
COMMAND_MODULES = [
    "scan_cmd",
]


def register(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"extriage.cli.{name}")
        module.register(app)
