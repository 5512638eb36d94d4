"""Which sub-command modules exist. Each module exposes ``register(app)``.

``extriage scan …`` should not pay for importing the probe's HTTP client, the report renderers or
the generator: :func:`modules_for` picks only the module of the sub-command named on the command
line (``COMMANDS``), and every module when the line names none (``--help``, no arguments, an
unknown name, options before the command). ``tests/core/test_commands.py`` checks that
``COMMANDS`` lists exactly the names the modules register, so the table cannot drift.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence

import typer

#: One line per command module (``extriage/cli/<module>.py``, exposing ``register(app)``): the
#: sub-command names it registers, as typed on the command line. Adding a command = its module + one
#: line here (docs/extending.md).
COMMANDS: dict[str, tuple[str, ...]] = {
    "scan_cmd": ("scan",),
    "generate_cmd": ("generate", "demo"),
    "patch_cmd": ("patch-status",),
    "probe_cmd": ("probe",),
    "mitigation_cmd": ("mitigation",),  # mitigation verify|plan
    "report_cmd": ("report",),
    "case_cmd": ("case",),  # case scan|status|add|report
}

COMMAND_MODULES = list(COMMANDS)
#: Sub-command name -> the module registering it.
COMMAND_NAMES = {name: module for module, names in COMMANDS.items() for name in names}


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
