"""Command-line values of the plain types converted without Pydantic: ~0.06 CPU-s off every command.

Typer (0.2x) converts each parameter's value with a Pydantic ``TypeAdapter`` built for it when the
command runs: ``extriage scan`` paid 56-57 ms importing Pydantic and its dependencies and ~10 ms
building twelve adapters before its first line ran, in the main process, while the other core idles
(issue 18, session 17). Every parameter of every ``extriage`` command is a ``str``, ``int``,
``float``, ``bool`` or ``list[str]`` without a custom parser, bounds or path checks, and for those the
values Typer hands over are already what the adapter returns (``"4"`` -> ``4`` aside).

:func:`install` gives Typer's parameters a coercion that returns, for such a parameter, the value
Typer's own adapter would return, *only* for the inputs whose result is certain: a ``str`` as it is,
a number already of its type, an integer or decimal written plainly (``-12``, ``30``, ``2.5``), a
list or tuple of ``str``. Anything else (another spelling, a wrong value, another annotation, a
parser, bounds) goes to Typer's own coercion, built only then, so its errors and results stay
Typer's word for word. It is a no-op where Typer's internals differ from what it expects (another
Typer version: that version's own coercion runs). ``tests/core/test_cli_coercion.py`` compares
both on the inputs the fast path accepts and checks a scan's main process imports no Pydantic.
"""

from __future__ import annotations

import re
from typing import Any

_MISS = object()
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")  # plainly written: no sign +, spaces, _ or leading zeros
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?")
#: The annotations converted here (what every extriage parameter is).
PLAIN = (str, int, float, bool, list[str])


def fast_value(annotation: Any, value: Any, multiple: bool) -> Any:
    """The value Typer's Pydantic adapter returns for ``value`` of a parameter of ``annotation``
    (one of :data:`PLAIN`), or ``_MISS`` when that is not certain here (``None`` is not a value:
    :meth:`_Plain.coerce`)."""
    kind = type(value)
    if multiple:
        if annotation == list[str] and kind in (list, tuple) and all(type(item) is str for item in value):
            return list(value)
        return _MISS
    if annotation is str:
        return value if kind is str else _MISS
    if annotation is bool:
        return value if kind is bool else _MISS
    if annotation is int:
        if kind is int:
            return value
        return int(value) if kind is str and _INT.fullmatch(value) else _MISS
    if annotation is float:
        if kind is float:
            return value
        return float(value) if kind is str and _DECIMAL.fullmatch(value) else _MISS
    return _MISS


class _Plain:
    """A parameter's coercion: :func:`fast_value`, else Typer's own ``RuntimeParam`` (built then)."""

    def __init__(self, param: Any, build: Any) -> None:
        self._param = param
        self._build = build  # typer._coercion.build_runtime_param
        self._own: Any = None

    def own(self) -> Any:
        if self._own is None:
            self._own = self._build(self._param.type_descriptor)
        return self._own

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multiple = bool(param.multiple or param.nargs == -1)
        if value is None:  # no value given, no default: what Typer's RuntimeParam.coerce returns
            return () if multiple else None
        if not (multiple and isinstance(value, str)):
            fast = fast_value(self._param.type_descriptor.annotation, value, multiple)
            if fast is not _MISS:
                return fast
        return self.own().coerce(value, param=param, ctx=ctx)  # errors and the rest: Typer's

    def __getattr__(self, name: str) -> Any:  # anything else asked of a RuntimeParam: Typer's own
        return getattr(self.own(), name)


def plain(param: Any) -> bool:
    """Whether ``param`` (a Typer parameter) is one :func:`fast_value` can convert."""
    descriptor = getattr(param, "type_descriptor", None)
    info = getattr(descriptor, "parameter_info", None)
    if descriptor is None or info is None or getattr(descriptor, "file_annotation", None) is not None:
        return False
    if any(getattr(info, name, None) is not None for name in ("parser", "min", "max")) or getattr(info, "clamp", False):
        return False
    return any(descriptor.annotation == kind for kind in PLAIN)


def install() -> bool:
    """Give Typer's parameters :class:`_Plain` coercion; False (nothing changed) when this Typer has
    no lazily built per-parameter coercion of the expected shape."""
    try:
        from typer._coercion import build_runtime_param
        from typer.core import _TyperParameter
    except ImportError:
        return False
    original = getattr(_TyperParameter, "get_runtime_param", None)
    if original is None or getattr(original, "_extriage_plain", False):
        return original is not None

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None and plain(self):
            self._runtime_param = _Plain(self, build_runtime_param)
        return original(self)  # Typer's own: returns the one set, builds its own only when none is

    get_runtime_param._extriage_plain = True  # type: ignore[attr-defined]
    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    return True
