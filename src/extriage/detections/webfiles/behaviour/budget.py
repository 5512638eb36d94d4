"""The per-file time budget of the behaviour analysis: a file not fully analysed in it is
reported, never silently passed.

The budget is **CPU time of the analysing thread** (:func:`now`), not time on the wall: a page's result
must not depend on how busy the machine is. With a wall clock, a benign 1 MB code file that needs ~3
CPU-s ran out of a 5 s budget on a loaded machine (a fleet scan, a shared server) and made the verdict
inconclusive; the same evidence scanned again on a quiet machine was not (A7, session 14). A hostile
page is still bounded: it gets the budget's CPU seconds, however long the machine takes to give them.

The analysis checks the clock between its passes, but one regular-expression search is a single call:
a hostile page can make one search run far past the budget (a page of 300,000 unclosed ``<a`` tags
and a stub class: one search 12-17 s before session 10). :func:`bounded` makes the budget hold inside a
search too: in the main thread of a process (the scan's workers and its main process), the process's
CPU-time timer (``ITIMER_PROF``) interrupts the analysis at its deadline (Python's regular-expression
engine lets signal handlers run during a search) and raises :class:`Timeout`. That timer counts every
thread of the process, so when it rings before this thread has used its budget it is set again for
what is left. Elsewhere (another thread, or a process whose ``SIGPROF`` or CPU-time timer someone else
uses) the clock checks between passes are the bound."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

#: CPU seconds of analysis per file at the default ``--file-timeout`` (see :func:`for_timeout`); past it
#: the file is reported.
BUDGET = 5.0

#: The budget's clock: CPU seconds of the calling thread (deadlines are ``now() + budget``).
now = time.thread_time


def for_timeout(file_timeout: float) -> float:
    """The per-file budget under a scan's ``--file-timeout`` (30 s by default): :data:`BUDGET`, never
    more than the timeout itself, and a sixth of a larger one - a page that ran out of budget makes the
    verdict inconclusive, and scanning again with a larger ``--file-timeout`` is how a user finishes it."""
    return min(file_timeout, max(BUDGET, file_timeout / 6))


class Timeout(Exception):
    """The per-file time budget ran out."""


#: The deadline (:func:`now`) of the :func:`bounded` block the timer serves; None once the block is left.
_deadline: list[float | None] = [None]


def _ring(signum: int, frame: FrameType | None) -> None:
    deadline = _deadline[0]
    if deadline is None:  # a ring handled after the block was left: nothing to interrupt, nothing to set again
        return
    left = deadline - now()
    if left > 0:  # the process's timer counts other threads too: not yet this thread's budget
        signal.setitimer(signal.ITIMER_PROF, max(left, 0.001))
        return
    # set again before raising: a handler run inside a gc callback, a __del__ or a weakref callback has its
    # exception printed and dropped, and the block would go on with no bound inside a search (the lead's
    # session-19 note); raised where it counts, the block's finally disarms the timer
    signal.setitimer(signal.ITIMER_PROF, _AGAIN)
    raise Timeout


#: CPU seconds after which a ring whose Timeout was swallowed rings again.
_AGAIN = 0.05


_SIGNAL = getattr(signal, "SIGPROF", None)


@contextlib.contextmanager
def bounded(deadline: float) -> Iterator[None]:
    """Raise :class:`Timeout` in the code of the ``with`` block when :func:`now` (this thread's CPU
    time) passes ``deadline``, even in the middle of one regular-expression search. Use it inside the
    ``try`` that catches :class:`Timeout` (the timer may ring while the block is left). Does nothing
    outside the main thread, on systems without ``SIGPROF``, or when the process already uses
    ``SIGPROF`` or its CPU-time timer (not ours to take: a profiler, say)."""
    if (
        _SIGNAL is None
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(_SIGNAL) not in (signal.SIG_DFL, _ring)
        or signal.getitimer(signal.ITIMER_PROF)[0] > 0
    ):
        yield
        return
    previous = signal.signal(_SIGNAL, _ring)
    _deadline[0] = deadline
    try:
        signal.setitimer(signal.ITIMER_PROF, max(deadline - now(), 0.001))
        yield
    finally:
        # the block marked left first (a ring handled from here on neither raises nor sets the timer
        # again: with the default handler back, a timer left running would end the process), then the
        # timer off, then the default handler back (a ring already received and not yet handled then
        # finds no Python handler and is dropped; the handler is left ours only if a ring interrupted
        # this very block, and ours is accepted next time)
        _deadline[0] = None
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(_SIGNAL, previous)
