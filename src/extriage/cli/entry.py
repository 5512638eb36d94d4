"""The ``extriage`` console script: Ctrl-C from the very first moment ends the command quietly.

The command's own handlers (:mod:`extriage.cli.interrupt`) are installed once the CLI is imported;
the imports before that (Typer, Rich, the sub-commands: ~0.1 s) would otherwise end in Python's
``KeyboardInterrupt`` traceback. Nothing has started by then, so leaving at once is safe. This
module imports nothing of the project so that the handler is in place before any of it loads.
"""

from __future__ import annotations

import os
import signal
import sys


def _stopped_while_starting(signum: int, frame: object) -> None:
    sys.stderr.write(f"\nextriage: stopped by {signal.Signals(signum).name} while starting: nothing was read.\n")
    sys.stderr.flush()
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _stopped_while_starting)


def main() -> None:
    from extriage.cli.main import main as run

    run()
