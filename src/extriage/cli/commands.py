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

#: What ``extriage --help`` lists, in its order (commands, then the groups ``mitigation`` and
#: ``case``): each command's own help. ``extriage``, ``extriage --help`` and ``extriage --version``
#: show this table without importing any command module (each pulls in its own dependencies:
#: probe's HTTP client, the report renderers, the generator, the case store). The test
#: ``tests/core/test_commands.py`` renders the root help from the modules and from this table and
#: compares them, so it cannot drift.
SUMMARIES: dict[str, str] = {
    "scan": "Triage one Exchange server's evidence offline: verdict, attack story, timeline.",
    "generate": "Write a realistic sample Exchange server (logs and files), optionally attacked.",
    "demo": "Build a sample compromised Exchange server, scan it and show the result.",
    "patch-status": "Which ProxyLogon/ProxyShell/ProxyNotShell and other known-exploited CVEs a build leaves open, "
                    "and the exact update that closes them.",
    "probe": "Check which Exchange servers are exposed (ProxyLogon/ProxyShell/ProxyNotShell) over the network. "
             "Only for servers you own or are authorised to test.",
    "report": "Render scan results (extriage scan --json) into an HTML report with a response plan, a short Markdown "
              "report, STIX/MISP/CSV/Timesketch exports, Sigma hunting rules and a CISA report draft.",
    "mitigation": "Interim mitigations: verify from evidence what is in force; plan what a build still needs.",
    "case": "One case for many servers: scan a fleet into a case database (SQLite file or PostgreSQL), see which "
            "servers to disconnect, patch or rebuild first and what they share, and report on all of them.",
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


def listing_only(args: Sequence[str]) -> bool:
    """Whether the command line only asks for the root help or the version (no arguments,
    ``--help`` or ``--version`` first): both are answered from :data:`SUMMARIES` alone."""
    return not args or args[0] in ("--help", "--version")


def register(app: typer.Typer, modules: Iterable[str] | None = None) -> None:
    """Import the command modules (all by default) and let each register its commands on ``app``."""
    for name in COMMAND_MODULES if modules is None else modules:
        importlib.import_module(f"extriage.cli.{name}").register(app)
