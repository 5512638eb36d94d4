"""Which sub-command modules exist. Each module exposes ``register(app)``.

``extriage scan …`` should not pay for importing the probe's HTTP client, the report renderers or
the generator: :func:`modules_for` picks only the module of the sub-command named on the command
line (``COMMAND_NAMES``), and every module when the line names none (``--help``, no arguments, an
unknown name, options before the command). ``tests/core/test_commands.py`` checks that
``COMMAND_NAMES`` lists exactly the names the modules register, so the table cannot drift.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence

import typer

COMMAND_MODULES = [
    "scan_cmd",  # extriage scan
    "generate_cmd",  # extriage generate, extriage demo
    "patch_cmd",  # extriage patch-status
    "probe_cmd",  # extriage probe
    "mitigation_cmd",  # extriage mitigation verify|plan
    "report_cmd",  # extriage report
    "case_cmd",  # extriage case scan|status|add|report
]

#: Sub-command name as typed on the command line -> the module in ``COMMAND_MODULES`` registering it.
COMMAND_NAMES = {
    "scan": "scan_cmd",
    "generate": "generate_cmd",
    "demo": "generate_cmd",
    "patch-status": "patch_cmd",
    "probe": "probe_cmd",
    "mitigation": "mitigation_cmd",
    "report": "report_cmd",
    "case": "case_cmd",
}


def modules_for(args: Sequence[str]) -> list[str]:
    """The command modules to import for the arguments after the program name: only the named
    sub-command's when the first argument is one, otherwise all of them (help, errors, options)."""
    if args and args[0] in COMMAND_NAMES:
        return [COMMAND_NAMES[args[0]]]
    return list(COMMAND_MODULES)


def register(app: typer.Typer, modules: Iterable[str] | None = None) -> None:
    """Import the command modules (all by default) and let each register its commands on ``app``."""
    for name in COMMAND_MODULES if modules is None else modules:
        importlib.import_module(f"extriage.cli.{name}").register(app)
