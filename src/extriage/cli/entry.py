"""The ``extriage`` console script: Ctrl-C from the very first moment ends the command quietly.

The command's own handlers (:mod:`extriage.cli.interrupt`) are installed once the CLI is imported;
the imports before that (Typer, Rich, the sub-commands: ~0.1 s) would otherwise end in Python's
``KeyboardInterrupt`` traceback. Nothing has started by then, so leaving at once is safe. This
module imports nothing of the project so that the handler is in place before any of it loads.

When the command has finished, the process ends at once (:func:`_end`): the interpreter's exit
handlers run as usual, but its teardown of every module and object it still holds (after a 2 GB
scan, 0.10-0.15 CPU-s in the main process while the other core idles) and the worker fork server's
own teardown are skipped (issue 18, session 16).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading


def _stopped_while_starting(signum: int, frame: object) -> None:
    sys.stderr.write(f"\nextriage: stopped by {signal.Signals(signum).name} while starting: nothing was read.\n")
    sys.stderr.flush()
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _stopped_while_starting)


def main() -> None:
    from extriage.cli.main import main as run

    try:
        run()
    except SystemExit as exc:
        code = exc.code
        if code is None or (isinstance(code, int) and 0 <= code <= 255):
            _end(code or 0)
        raise  # an exit message (sys.exit("text")) or an odd code: Python's own way
    _end(0)


def _end(code: int) -> None:
    """End the process with ``code`` the way the interpreter would, less its teardown: the threads
    it waits for are waited for (``threading._shutdown``, as at exit, which also stops idle worker
    pools' manager threads) and the exit handlers run (multiprocessing's clean-up of the pools'
    semaphores, logging, ``weakref.finalize``), then the fork server is stopped (it would otherwise
    tear its own interpreter down after this process is gone, and a reader of the command's output
    pipe waits for that) and the standard streams are flushed. Every output file is closed by then
    (``extriage.outputs``). Skipped: freeing each object the process still holds, which writes
    nothing. When a stream cannot be flushed (a closed pipe) this returns and the caller raises
    ``SystemExit`` as before, so the exit status and message stay Python's."""
    shutdown = getattr(threading, "_shutdown", None)
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if not callable(shutdown) or not callable(run_exitfuncs):  # another Python: its own exit
        return
    shutdown()
    run_exitfuncs()
    atexit._clear()  # ran once: never twice, whatever happens next
    scan_context = sys.modules.get("extriage.scan.context")
    if scan_context is not None:  # a fork server may be running: it ends now rather than after us
        scan_context.stop_fork_server()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    os._exit(code)
