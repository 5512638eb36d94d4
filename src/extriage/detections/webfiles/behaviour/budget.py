"""The per-file time budget of the behaviour analysis: a file not fully analysed in it is
reported, never silently passed.

The analysis checks the clock between its passes, but one regular-expression search is a single call:
a hostile page can make one search run far past the budget (a page of 300,000 unclosed ``<a`` tags
and a stub class: one search 12-17 s before session 10). :func:`bounded` makes the budget hold inside a
search too: in the main thread of a process (the scan's workers and its main process), a real-time
timer interrupts the analysis at its deadline (Python's regular-expression engine lets signal handlers
run during a search) and raises :class:`Timeout`. Elsewhere (another thread, or a process whose
``SIGALRM`` or real-time timer someone else uses) the clock checks between passes are the bound."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

#: Seconds of analysis per file at the default ``--file-timeout`` (see :func:`for_timeout`); past it the
#: file is reported.
BUDGET = 5.0


def for_timeout(file_timeout: float) -> float:
    """The per-file budget under a scan's ``--file-timeout`` (30 s by default): :data:`BUDGET`, never
    more than the timeout itself, and a sixth of a larger one - a page that ran out of budget makes the
    verdict inconclusive, and scanning again with a larger ``--file-timeout`` is how a user finishes it."""
    return min(file_timeout, max(BUDGET, file_timeout / 6))


class Timeout(Exception):
    """The per-file time budget ran out."""


def _ring(signum: int, frame: FrameType | None) -> None:
    raise Timeout


_ALARM = getattr(signal, "SIGALRM", None)


@contextlib.contextmanager
def bounded(deadline: float) -> Iterator[None]:
    """Raise :class:`Timeout` in the code of the ``with`` block when ``time.monotonic()`` passes
    ``deadline``, even in the middle of one regular-expression search. Use it inside the ``try`` that
    catches :class:`Timeout` (the timer may ring while the block is left). Does nothing outside the
    main thread, on systems without ``SIGALRM``, or when the process already uses ``SIGALRM`` or its
    real-time timer (not ours to take)."""
    if (
        _ALARM is None
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(_ALARM) not in (signal.SIG_DFL, _ring)
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):
        yield
        return
    previous = signal.signal(_ALARM, _ring)
    try:
        signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 0.001))
        yield
    finally:
        # the timer off first, then the default handler back (a ring already received and not yet
        # handled then finds no Python handler and is dropped; the handler is left ours only if a ring
        # interrupted this very block, and ours is accepted next time)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(_ALARM, previous)
