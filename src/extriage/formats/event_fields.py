"""The fields each event source declares (``event_layouts.yml``): what event rules may name.

A source is a provider and an event id. Its fields are the names of its positional layout, of its
``named`` entry (events always written with named data) and of its ``derived`` entries (fields the
readers add: the Exchange cmdlet and its parameters, the local path of a share access); the
MSExchange Management layout holds for every event of its providers. Names compare
case-insensitively, as the event engine looks them up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml
from extriage.formats.event_record import EXCHANGE_MANAGEMENT_PROVIDERS

#: Fields of every event, whatever its source (the event engine's own names).
EVERY_EVENT = frozenset({"message", "text", "channel", "provider", "computer"})


@dataclass(frozen=True, slots=True)
class DeclaredFields:
    """Lower-case field names per (provider, event id); ``-1`` = every event of the provider."""

    names: dict[tuple[str, int], frozenset[str]]
    patterns: dict[tuple[str, int], tuple[re.Pattern[str], ...]]

    def for_source(self, provider: str, event_id: int | None) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]] | None:
        """The names and name patterns of one source, or None when nothing is declared for it."""
        prov = provider.lower()
        keys = [(prov, -1)] + ([(prov, event_id)] if event_id is not None else [])
        found = [k for k in keys if k in self.names]
        if not found:
            return None
        return (frozenset().union(*(self.names[k] for k in found)),
                tuple(p for k in found for p in self.patterns.get(k, ())))

    def providers_of(self, event_id: int) -> set[str]:
        """Providers with a declaration for ``event_id`` or for all their events."""
        return {p for p, e in self.names if e in (event_id, -1)}

    def has_event(self, event_id: int) -> bool:
        return any(e == event_id for _, e in self.names)


def _add(out: dict[tuple[str, int], set[str]], pats: dict[tuple[str, int], list[re.Pattern[str]]],
         providers: Iterable[str], event_ids: Iterable[Any], fields: Iterable[str]) -> None:
    ids = [int(e) for e in event_ids] or [-1]
    for provider in providers:
        for eid in ids:
            key = (str(provider).lower(), eid)
            for name in fields:
                low = str(name).lower()
                if low.endswith("*"):
                    pats.setdefault(key, []).append(re.compile(re.escape(low[:-1]) + ".+"))
                else:
                    out.setdefault(key, set()).add(low)


@cache
def declared_fields() -> DeclaredFields:
    """The declarations of the packaged ``event_layouts.yml``."""
    text = resources.files("extriage.formats").joinpath("event_layouts.yml").read_text(encoding="utf-8")
    doc = load_yaml(text)
    names: dict[tuple[str, int], set[str]] = {}
    pats: dict[tuple[str, int], list[re.Pattern[str]]] = {}
    _add(names, pats, EXCHANGE_MANAGEMENT_PROVIDERS, [], doc["exchange_management"])
    for section in ("layouts", "named", "derived"):
        for entry in doc.get(section) or []:
            _add(names, pats, entry["providers"], entry.get("event_ids") or [], entry["fields"])
    return DeclaredFields({k: frozenset(v) for k, v in names.items()},
                          {k: tuple(v) for k, v in pats.items()})
