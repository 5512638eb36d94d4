"""What the flow walk knows of a value: the kinds of request input it carries, whether it is that input whole, where
it was read (line, source) and the names it went through."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Taint:
    kinds: set[str]
    direct: bool
    line: int
    source: str
    via: tuple[str, ...] = ()
