"""A container that failed half-way is finalised without "Exception ignored in …" on stderr.

Python 3.13 finalises dissect's half-built containers (truncated or corrupt images) at once and their
``close`` fails on attributes never set; 3.11 usually keeps them until exit. These tests build that
finaliser without dissect, so they hold on any Python."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from extriage.evidence.loaders import image


def _half_built(filename: str) -> Any:
    """An object whose finaliser raises AttributeError from code said to live in ``filename``."""
    namespace: dict[str, Any] = {}
    source = "class Half:\n    def __del__(self):\n        self._stream.close()\n"
    exec(compile(source, filename, "exec"), namespace)
    return namespace["Half"]()


def _reported(filename: str) -> list[Any]:
    seen: list[Any] = []
    before = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        with image._failed_containers_quiet():
            obj = _half_built(filename)
            del obj
            gc.collect()
    finally:
        sys.unraisablehook = before
    return seen


def test_a_dissect_container_failing_in_its_finaliser_is_quiet() -> None:
    where = os.path.join(os.sep, "venv", "dissect", "target", "containers", "ewf.py")
    assert _reported(where) == []


def test_any_other_finaliser_error_is_still_reported() -> None:
    seen = _reported(os.path.join(os.sep, "venv", "somewhere", "else.py"))
    assert len(seen) == 1 and isinstance(seen[0].exc_value, AttributeError)


def test_the_hook_is_put_back() -> None:
    before = sys.unraisablehook
    with image._failed_containers_quiet():
        assert sys.unraisablehook is not before
    assert sys.unraisablehook is before


def test_frames_of_a_chained_failure_are_dropped() -> None:
    try:
        try:
            raise ValueError("inner")
        except ValueError as inner:
            raise RuntimeError("outer") from inner
    except RuntimeError as exc:
        image._drop_frames(exc)
        assert exc.__traceback__ is None and exc.__cause__ is not None
        assert exc.__cause__.__traceback__ is None
