"""Ctrl-C while the command is still importing ends it with one line and exit 130, not a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def test_ctrl_c_during_the_imports_is_one_line_and_exit_130(tmp_path: Path) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    code = (
        "import extriage.cli.entry as entry, sys; "
        f"sys.argv = ['extriage', 'scan', {str(evidence)!r}, '-q']; entry.main()"
    )
    # -X importtime reports each import as it completes: the signal is sent once the console
    # script's module is loaded and while Typer, Rich and the sub-commands are still importing
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.rstrip().endswith("extriage.cli.entry"):
            proc.send_signal(signal.SIGINT)
            break
    _, err = proc.communicate(timeout=120)
    said = [line for line in err.splitlines() if line and not line.startswith("import time:")]
    assert proc.returncode == 130, said
    assert len(said) == 1 and said[0].startswith("extriage: stopped by SIGINT"), said
