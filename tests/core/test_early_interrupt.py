"""Ctrl-C while the command is still importing ends it with one line and exit 130, not a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a new interpreter (the interrupt handlers are process-wide)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def _stopped_by_sigterm_in_one_line(ended: subprocess.CompletedProcess[str]) -> None:
    said = [line for line in ended.stderr.splitlines() if line]
    assert ended.returncode == 143, ended.stderr
    assert said == ["extriage: stopped by SIGTERM."], said


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


def test_a_signal_while_asking_the_fork_server_for_a_worker_waits_for_the_request() -> None:
    """Raised inside ``connect_to_new_process`` the interrupt closed the half-sent request and the
    fork server died printing an EOFError traceback (~1 in 20 SIGTERMs a second into a scan)."""
    import os as _os

    from extriage.cli.interrupt import _asking_fork_server

    where = _os.path.join(_os.sep, "py", "lib", "multiprocessing", "forkserver.py")
    namespace: dict[str, object] = {}
    exec(compile("import sys\ndef connect_to_new_process(f):\n    return f(sys._getframe())\n", where, "exec"), namespace)
    inside = namespace["connect_to_new_process"]
    assert callable(inside)
    assert inside(lambda frame: _asking_fork_server(frame)) is True
    assert inside(lambda frame: _asking_fork_server(sys._getframe())) is True  # a few frames up
    assert _asking_fork_server(sys._getframe()) is False


def test_the_resource_tracker_is_started_without_its_notes_on_stderr() -> None:
    """The tracker takes the command's -W options: its leak notes after an interrupt stay off the
    user's terminal (its clean-up of the semaphores stays)."""
    code = (
        "import multiprocessing.util as u\n"
        "from extriage.cli.interrupt import ending_promptly\n"
        "with ending_promptly():\n"
        "    print(u._args_from_interpreter_flags())\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert "-Wignore:resource_tracker:UserWarning" in out.stdout


def test_an_interrupt_while_a_class_is_created_is_still_one_line() -> None:
    """A signal landing in a dataclass field's ``__set_name__`` (a stage module being imported)
    reaches the command as Python's ``RuntimeError("Error calling __set_name__ ...")`` caused by
    the interrupt: the command still ends with one line and 128 + the signal, no traceback; any
    other RuntimeError is still the error it is."""
    body = (
        "import sys\n"
        "from extriage.cli.interrupt import Interrupted, ending_promptly\n"
        "class Field:\n"
        "    def __set_name__(self, owner, name):\n"
        "        raise {raised}\n"
        "with ending_promptly():\n"
        "    class Config:\n"
        "        sites = Field()\n"
    )
    _stopped_by_sigterm_in_one_line(_python(body.format(raised="Interrupted(128 + 15)")))
    other = _python(body.format(raised="ValueError('a real error')"))
    assert other.returncode == 1 and "Traceback" in other.stderr and "a real error" in other.stderr


def test_wrapped_interrupt_follows_causes_only() -> None:
    from extriage.cli.interrupt import Interrupted, wrapped_interrupt

    inner = Interrupted(143)
    outer = RuntimeError("Error calling __set_name__")
    outer.__cause__ = inner
    assert wrapped_interrupt(outer) is inner
    deeper = RuntimeError("again")
    deeper.__cause__ = outer
    assert wrapped_interrupt(deeper) is inner
    plain = RuntimeError("no interrupt")
    plain.__context__ = inner  # raised while handling one is not caused by it
    assert wrapped_interrupt(plain) is None


def test_a_thread_failing_in_the_interrupts_teardown_adds_no_traceback() -> None:
    """Tearing a pool down on an interrupt closes its pipes under its queue feeder thread, which then
    fails (seen: ``Exception in thread QueueFeederThread`` and its traceback on a Ctrl-C 0.45 s into a
    scan): the command still says one line. A thread failing before any interrupt keeps its traceback."""
    body = (
        "import os, signal, threading, time\n"
        "from extriage.cli.interrupt import ending_promptly\n"
        "ready = threading.Event()\n"
        "def feeder():\n"
        "    ready.wait()\n"
        "    raise OSError('the pipe was closed under the feeder')\n"
        "t = threading.Thread(target=feeder, name='QueueFeederThread')\n"
        "t.start()\n"
        "with ending_promptly():\n"
        "    try:\n"
        "        {before}\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(10)\n"
        "    finally:\n"
        "        ready.set()\n"
        "        t.join()\n"
    )
    _stopped_by_sigterm_in_one_line(_python(body.format(before="pass")))
    failing = _python(body.format(before="ready.set(); t.join()"))
    assert failing.returncode == 143 and "Traceback" in failing.stderr and "closed under the feeder" in failing.stderr
