"""Work shared by the formats of one ``write_reports`` call, done once.

The HTML, Markdown and CISA renderers each derive the same facts from a result, and STIX, MISP, the
CSV and the CISA draft each collect the same indicators: on a 16,000-finding case that repeated work
was most of the report's time. Inside :func:`render_scope` the first call computes and later calls
with the same (unchanged: the scope lasts one rendering) results reuse it; outside a scope nothing is
kept, so a caller that changes a result and renders again always gets fresh values.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_SCOPE: ContextVar[dict[Hashable, Any] | None] = ContextVar("extriage_report_memo", default=None)


@contextmanager
def render_scope() -> Iterator[None]:
    """Share derived values between the renderers called inside the block."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def memoized(key: Hashable, compute: Callable[[], T], *keep: object) -> T:
    """``compute()``, or its value from earlier in this scope. ``key`` names the inputs by identity
    (``id()``); ``keep`` holds those inputs alive with the value so an id cannot be reused."""
    scope = _SCOPE.get()
    if scope is None:
        return compute()
    if key not in scope:
        scope[key] = (compute(), keep)
    value: T = scope[key][0]
    return value
