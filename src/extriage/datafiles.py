"""Parsing the YAML data files shipped with extriage (rules, catalogues, layouts, periods).

Every data file goes through :func:`load_yaml`, so all of them are read the same way and the fast
way: with libyaml's C safe loader (``yaml.CSafeLoader``) when PyYAML was built with it — several
times faster than the pure-Python loader, whose cost every ``extriage scan`` paid at start-up — and
with the pure-Python ``yaml.SafeLoader`` otherwise. Both are *safe* loaders with the same resolver
and constructor: plain data only (mappings, lists, strings, numbers, booleans, dates, null), never
Python objects. Errors are ``yaml.YAMLError`` either way; only the wording of the message may differ.
"""

from __future__ import annotations

from typing import Any

import yaml

#: libyaml's C safe loader when present, else the pure-Python safe loader (same semantics).
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The data in one YAML document (``None`` for an empty one), read with a safe loader."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a *safe* loader (C or Python)
