"""Module-level patterns compiled on their first use instead of at import (issue 18, P6, session 17).

Every scan's main process imports the behaviour engine while planning, before the logs stage, on one
core while the other waits: compiling the ~250 module-level patterns of ``taint``, ``normalise`` and
``extract`` there cost 0.03-0.08 CPU-s. :func:`lazy` stands for ``re.compile`` in those tables: the
object it returns compiles its pattern when a method is first looked up, then keeps the compiled
pattern's bound methods in its own ``__dict__``, so later lookups cost what a compiled pattern's do
(no ``__getattr__`` call). :func:`warm` compiles all of them at once: the prepare thread's web-file
warmer (``scan/prepare.py``, beside the logs stage) and the worker fork server's preload
(``webfiles/warm_behaviour.py``) call it, so the stage's first page finds them ready. Same pattern
text, same flags: the compiled objects, and so every result, are those ``re.compile`` gave.

A lazy pattern is not an :class:`re.Pattern` instance: it is for the engine's own tables, used
through their methods and attributes (``search``, ``sub``, ``pattern``...), never handed to ``re``'s
module functions or an ``isinstance`` test.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, Generic, cast

#: What a compiled pattern offers, copied to the lazy one once compiled.
_ATTRIBUTES = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "scanner",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class _LazyPattern(Generic[AnyStr]):
    """A pattern and its flags, compiled on first use (see the module's text)."""

    def __init__(self, pattern: AnyStr, flags: int) -> None:
        self._text: AnyStr = pattern
        self._flags = flags

    def compiled(self) -> re.Pattern[AnyStr]:
        """The compiled pattern; its methods and attributes become this object's own. (Two threads
        compiling at once both store the same cached object's attributes: harmless.)"""
        compiled = re.compile(self._text, self._flags)
        own = self.__dict__
        for name in _ATTRIBUTES:
            own[name] = getattr(compiled, name)
        return compiled

    def __getattr__(self, name: str) -> Any:
        # only reached while the attribute is not yet in __dict__, i.e. before the first compile
        if name.startswith("__") or name in ("_text", "_flags"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"lazy({self._text!r}, {self._flags!r})"


_ALL: list[_LazyPattern[Any]] = []


def lazy(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, done on the first use of the result (or by :func:`warm`)."""
    made = _LazyPattern(pattern, int(flags))
    _ALL.append(made)
    return cast("re.Pattern[AnyStr]", made)


def pending() -> int:
    """How many lazy patterns are not compiled yet (tests, diagnostics)."""
    return sum(1 for p in _ALL if "search" not in p.__dict__)


def warm() -> int:
    """Compile every lazy pattern of the modules imported so far; returns how many were compiled now."""
    done = 0
    for made in list(_ALL):
        if "search" not in made.__dict__:
            made.compiled()
            done += 1
    return done
