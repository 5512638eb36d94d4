"""Which sub-command modules exist. Each module exposes ``register(app)``."""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = [
    "scan_cmd",  # extriage scan
    "generate_cmd",  # extriage generate, extriage demo
    "patch_cmd",  # extriage patch-status
    "probe_cmd",  # extriage probe
    "mitigation_cmd",  # extriage mitigation verify|plan
    "report_cmd",  # extriage report
]


def register(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"extriage.cli.{name}").register(app)
