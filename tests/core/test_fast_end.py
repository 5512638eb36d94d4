"""The ``extriage`` command ends without tearing its interpreter down (``extriage.cli.entry._end``):
same exit code, outputs and exit handlers as before, no fork server left behind, and the teardown
(0.10-0.15 CPU-s after a 2 GB scan, while the other core idles) skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: Run before the command in the child: an exit handler that says it ran (and the fork server's
#: process id, if one was started), and an object whose finaliser says when the interpreter's
#: teardown frees it (CPython clears ``__main__`` then).
_PROLOGUE = """
import atexit, sys
class _Teardown:
    def __del__(self):
        sys.stderr.write("torn down\\n")
_kept = _Teardown()
def _said():
    from multiprocessing import forkserver
    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    sys.stderr.write(f"exit handler ran; fork server {pid}\\n")
atexit.register(_said)
"""


def _command(argv: list[str], *, parallel: bool = False) -> subprocess.CompletedProcess[str]:
    code = _PROLOGUE + (
        "import extriage.scan.context as c, extriage.scan.pipeline as p\n"
        "c.PARALLEL_MIN_BYTES = 0; p.PARALLEL_MIN_FILES = 1\n" if parallel else ""
    ) + f"sys.argv = ['extriage', *{argv!r}]\nfrom extriage.cli.entry import main\nmain()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def _evidence(tmp_path: Path) -> Path:
    logs = tmp_path / "evidence"
    logs.mkdir()
    (logs / "notes.txt").write_text("nothing here\n" * 50)
    (logs / "more.txt").write_text("nothing either\n" * 50)
    return logs


def test_a_finished_scan_ends_with_its_code_its_whole_output_and_its_exit_handlers(tmp_path: Path) -> None:
    res = _command(["scan", str(_evidence(tmp_path)), "-q", "-j", "1", "--json", "-"])
    reference = subprocess.run(  # the same scan in-process through the CLI, the interpreter's own exit
        [sys.executable, "-c", "import sys\nsys.argv = ['extriage', 'scan', sys.argv[1], '-q', '-j', '1', '--json', '-']\n"
         "from extriage.cli.main import main\nmain()\n", str(tmp_path / "evidence")],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == reference.returncode
    assert res.returncode in (0, 3), res.stderr
    result = json.loads(res.stdout)  # every byte of the JSON reached the pipe
    assert result.keys() == json.loads(reference.stdout).keys()
    assert res.stderr.count("exit handler ran") == 1
    assert "torn down" not in res.stderr  # the teardown was skipped
    assert "Traceback" not in res.stderr


def test_a_usage_error_keeps_its_code_and_its_sentence(tmp_path: Path) -> None:
    res = _command(["scan", str(tmp_path / "missing"), "-q"])
    assert res.returncode == 2
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr
    assert res.stderr.count("exit handler ran") == 1 and "torn down" not in res.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")
def test_a_parallel_scan_leaves_no_fork_server_behind(tmp_path: Path) -> None:
    res = _command(["scan", str(_evidence(tmp_path)), "-q", "-j", "2", "--json", str(tmp_path / "r.json")], parallel=True)
    assert res.returncode in (0, 3), res.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["evidence_path"]
    said = [line for line in res.stderr.splitlines() if line.startswith("exit handler ran; fork server ")]
    assert len(said) == 1
    pid = int(said[0].rsplit(" ", 1)[1])  # a fork server was started (and its pid known) for this scan
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] == "Z":  # ended, not yet reaped by init
                break
        time.sleep(0.05)
    else:
        assert not os.path.exists(f"/proc/{pid}")
    assert "torn down" not in res.stderr and "Traceback" not in res.stderr


def test_an_exit_message_is_still_pythons_to_print(tmp_path: Path) -> None:
    """``sys.exit("text")``: not an exit code, so the interpreter's own exit prints it (status 1)."""
    code = _PROLOGUE + (
        "import extriage.cli.main as m\n"
        "def boom():\n    sys.exit('a sentence for the user')\n"
        "m.main = boom\n"
        "from extriage.cli.entry import main\nmain()\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "a sentence for the user" in res.stderr
    assert res.stderr.count("exit handler ran") == 1
    assert "torn down" in res.stderr  # Python's exit, teardown included
