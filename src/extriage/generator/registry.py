"""Planters: modules that add their own evidence to a generated server tree.

PLUG POINT for other areas. A planter module exposes one function::

    def plant(tree: Tree, plan: AttackPlan, rng: random.Random) -> None

* ``tree`` (:class:`extriage.generator.tree.Tree`) maps Windows paths to the chosen layout:
  ``tree.write_text(path, text, encoding=..., bom=..., mtime=...)``, ``tree.write_bytes(path, data,
  mtime=...)``, ``with tree.open_append(path) as fh: fh.write(b"...")``, ``tree.exists(path)``,
  ``tree.set_mtime(path, dt)``. Paths look like ``C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx``.
* ``plan`` (:class:`extriage.generator.plan.AttackPlan`) holds the facts every planter must agree
  on: ``scenario``, ``components`` (subset of proxylogon/attempts/scanner), ``waves`` (requested
  waves: proxylogon, proxyshell, proxynotshell, proxytoken), ``webshell_files`` and ``events``
  flags, ``hostname``/``fqdn``/``domain``/``netbios_domain``/``public_host``/``server_ip``,
  ``install_path``, ``build``/``build_text``/``version_header``, ``start``/``end`` of the logs,
  ``attacker_ips`` (``[0]`` exploits, ``[1]`` operates the web shells), ``attempt_ips``,
  ``scanner_ips``, ``attack_start``/``attack_end``, ``moments`` (named instants such as
  ``webshell_written``, ``webshell_first_use``, ``lsass_dump``, ``archive_staged``), ``shells``
  (:class:`Shell` path/url/written_by; ``shell_path``/``shell_url`` are the first one).
  Planters may record their own facts in ``plan.extras["<area>"]`` (JSON-ready).
* ``rng`` is a :class:`random.Random` seeded from the plan's seed and the module name: use only
  it (never the global random module or the clock) so the same seed gives the same bytes.

Planters run after the core logs are written, in the order below; a planter that wants to add
log lines in the Exchange formats can use :mod:`extriage.generator.append` (it creates the file
with the right header when needed). Missing modules are skipped with the same rule as
:mod:`extriage.scan.registry`: only a ModuleNotFoundError for the module itself is ignored.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from types import ModuleType
from typing import Protocol

from extriage.generator.plan import AttackPlan
from extriage.generator.tree import Tree

PLANTER_MODULES = [
    "extriage.generator.events",  # exported Windows events (events area)
    "extriage.generator.webfiles",  # web shells, modified pages, LSASS dumps, Temporary ASP.NET Files
    "extriage.generator.waves",  # ProxyShell / ProxyNotShell / ProxyToken log lines (later waves)
]


class Planter(Protocol):
    def __call__(self, tree: Tree, plan: AttackPlan, rng: random.Random) -> None: ...


PlantFunction = Callable[[Tree, AttackPlan, random.Random], None]


def load_planters(modules: list[str] | None = None) -> tuple[list[tuple[str, PlantFunction]], list[str]]:
    """Import the planter modules; return ``([(name, plant), ...], [missing module names])``."""
    found: list[tuple[str, PlantFunction]] = []
    missing: list[str] = []
    for name in PLANTER_MODULES if modules is None else modules:
        try:
            module: ModuleType = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                missing.append(name)
                continue
            raise
        plant = getattr(module, "plant", None)
        if not callable(plant):
            raise TypeError(f"planter module {name} has no plant(tree, plan, rng) function")
        found.append((name, plant))
    return found, missing


def planter_rng(plan: AttackPlan, module_name: str) -> random.Random:
    return random.Random(f"{plan.seed}:{module_name}")
