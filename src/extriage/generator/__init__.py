"""Deterministic sample-evidence generator: realistic Exchange server trees with planted attacks.

``generate(dest, scenario=..., seed=..., size=..., layout=..., waves=...)`` writes weeks of benign
HttpProxy, IIS, ECP Server and OABGenerator logs around a minimal server tree, plus (on request) a
full ProxyLogon attack, attempts only, or scanner noise; the same seed gives the same bytes.
Other areas plant their own evidence through :mod:`extriage.generator.registry` (the plug point).
"""

from extriage.generator.api import GeneratedServer, GeneratorError, generate, is_generated, parse_size
from extriage.generator.plan import ALL_WAVES, SCENARIOS, AttackPlan, Shell, make_plan
from extriage.generator.tree import LAYOUTS, Tree

__all__ = [
    "ALL_WAVES",
    "LAYOUTS",
    "SCENARIOS",
    "AttackPlan",
    "GeneratedServer",
    "GeneratorError",
    "Shell",
    "Tree",
    "generate",
    "is_generated",
    "make_plan",
    "parse_size",
]
