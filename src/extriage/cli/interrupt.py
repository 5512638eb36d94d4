"""SIGTERM and Ctrl-C end a long command at once, with one line on stderr: no traceback, no hang.

Why a hard exit at the very end: a worker pool stopped in the middle of a task can leave the
``concurrent.futures`` manager thread blocked on a half-written result, and the interpreter's exit
joins that thread for ever (seen: ``extriage scan`` sent SIGTERM one second in, while its workers
started, never ended). By the time the exception reaches :func:`ending_promptly` the command's own
clean-up has run on the way out (``run_scan`` stops its workers and closes its containers, ``case
scan`` closes its store), so only the interpreter's exit handlers are skipped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn


class Interrupted(SystemExit):
    """Raised by the signal handlers of :func:`stop_on_signals` (a ``SystemExit``: ``except
    Exception`` blocks let it through)."""


#: Set by :func:`ending_promptly`: this process is the ``extriage`` command itself, not a host that
#: runs commands in-process (a test runner, CliRunner), whose own Ctrl-C handling must stay.
_ENTRY_POINT = False
#: What an interrupt leaves undone, said after "stopped by …" (set by the command that knows).
_UNFINISHED = ""


def stop_on_signals(unfinished: str = "") -> None:
    """From now on SIGTERM (and, in the ``extriage`` process itself, Ctrl-C) raise
    :class:`Interrupted` (exit code 128 + signal number), so the command's clean-up runs (the
    default SIGTERM action would kill this process alone and orphan its workers). ``unfinished``:
    what the user must know is missing if that happens."""
    global _UNFINISHED
    if unfinished:
        _UNFINISHED = unfinished

    def stop(signum: int, frame: FrameType | None) -> None:
        if _asking_fork_server(frame):
            # raised there, the exception would close the request half sent and the fork server would
            # die printing its EOFError traceback: the signal is delivered again once the request is sent
            timer = threading.Timer(0.02, os.kill, (os.getpid(), signum))
            timer.daemon = True
            timer.start()
            return
        _quiet_other_threads()
        raise Interrupted(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT) if _ENTRY_POINT else (signal.SIGTERM,):
        with contextlib.suppress(ValueError):  # not the main thread (embedded use): leave it alone
            signal.signal(sig, stop)


def _quiet_other_threads() -> None:
    """Once an interrupt ends the ``extriage`` command, other threads' errors are the teardown's doing:
    closing a pool's pipes under its queue feeder thread made it print a traceback (seen: Ctrl-C 0.45 s
    into a scan, ``Exception in thread QueueFeederThread``). The command says one line for the interrupt.
    In a host process (a test runner) threads keep Python's own hook."""
    if _ENTRY_POINT:
        threading.excepthook = _ignore_thread_error


def _ignore_thread_error(args: threading.ExceptHookArgs) -> None:
    """``threading.excepthook`` while an interrupt ends the command (see :func:`_quiet_other_threads`)."""


def _asking_fork_server(frame: FrameType | None) -> bool:
    """Whether the interrupted code is sending the fork server a request for a new worker
    (``multiprocessing.forkserver.connect_to_new_process``, a few frames up)."""
    depth = 0
    while frame is not None and depth < 8:
        code = frame.f_code
        if code.co_name == "connect_to_new_process" and code.co_filename.endswith(f"multiprocessing{os.sep}forkserver.py"):
            return True
        frame, depth = frame.f_back, depth + 1
    return False


@contextlib.contextmanager
def ending_promptly() -> Iterator[None]:
    """Around the whole command (the ``extriage`` entry point only, never in a host process such as
    a test runner): an interrupt ends the process here with its exit code and one line."""
    global _ENTRY_POINT
    _ENTRY_POINT = True
    # multiprocessing's resource tracker (a process of its own, started by the first pool with this
    # process's -W options) cleans up the semaphores of a pool cut short by an interrupt; when the cut
    # falls between a semaphore's unlink and its "unregister" message (measured: ~1 in 20 SIGTERMs
    # about a second into a scan) it also prints two UserWarnings about a leak that is not one.
    # Its clean-up stays; its notes are for CPython's developers, not for the user who pressed Ctrl-C.
    sys.warnoptions.append("ignore:resource_tracker:UserWarning")
    stop_on_signals()  # every command; scan and case scan call it again (in-process hosts: SIGTERM only)
    try:
        yield
    except (Interrupted, KeyboardInterrupt) as exc:
        _end_interrupted(exc)
    except RuntimeError as exc:
        inner = wrapped_interrupt(exc)
        if inner is None:
            raise
        _end_interrupted(inner)


def wrapped_interrupt(exc: BaseException) -> Interrupted | KeyboardInterrupt | None:
    """The interrupt ``exc`` was raised for, when Python wrapped it: an exception raised while a class
    is created (a dataclass field's ``__set_name__``, as a stage module is imported) reaches the
    caller as ``RuntimeError("Error calling __set_name__ ...")`` caused by it (Python 3.11; seen: a
    SIGTERM 1.5 s into a scan at load 7 printed that traceback instead of one line)."""
    seen = 0
    cause: BaseException | None = exc.__cause__
    while cause is not None and seen < 8:
        if isinstance(cause, (Interrupted, KeyboardInterrupt)):
            return cause
        cause, seen = cause.__cause__, seen + 1
    return None


def _end_interrupted(exc: Interrupted | KeyboardInterrupt) -> NoReturn:
    """End the process for the interrupt ``exc``: workers stopped, one line, its exit code."""
    _quiet_other_threads()  # (a KeyboardInterrupt of Python's own handler did not pass stop())
    code = exc.code if isinstance(exc, Interrupted) and isinstance(exc.code, int) else 128 + signal.SIGINT
    name = signal.Signals(code - 128).name if 128 < code < 128 + signal.NSIG else "an interrupt"
    scan_context = sys.modules.get("extriage.scan.context")
    if scan_context is not None:  # workers were possible: none may outlive this process
        scan_context.stop_fork_server()
    # multiprocessing's own exit work of priority >= 0 (unlinking the pools' semaphores, closing
    # queues), not the thread joins that can hang: else its resource tracker warns of leaks
    run_finalizers = getattr(sys.modules.get("multiprocessing.util"), "_run_finalizers", None)
    if callable(run_finalizers):
        with contextlib.suppress(Exception):
            run_finalizers(0)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.write(f"\nextriage: stopped by {name}{': ' + _UNFINISHED if _UNFINISHED else ''}.\n")
        sys.stderr.flush()
    os._exit(code)
