"""Helpers every sub-command shares: JSON output with ``-`` for stdout, user errors without tracebacks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from extriage import outputs
from extriage.findings import EXIT_USAGE
from extriage.outputs import json_bytes
from extriage.safetext import escape as escape  # (re-exported: the commands import it from here)
from extriage.safetext import sanitize_terminal as sanitize_terminal

if TYPE_CHECKING:
    from rich.console import Console

    #: Human output goes to stdout; progress and errors go to stderr so ``--json -`` stays clean.
    out: Console
    err: Console


def __getattr__(name: str) -> Any:
    """``out`` and ``err`` (rich consoles) are made on first use: ``scan -q --json`` prints nothing
    and never imports rich (≈ 35 ms of its start-up). A module importing them by name gets them
    made at its own import, as before."""
    if name not in ("out", "err"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    made = Console(highlight=False, soft_wrap=False) if name == "out" else \
        Console(stderr=True, highlight=False, soft_wrap=True)
    globals()[name] = made
    return made


def console(stderr: bool = False) -> Console:
    """``err`` (``stderr``) or ``out``, made now if no one has used it yet."""
    name = "err" if stderr else "out"
    made: Console | None = globals().get(name)
    return made if made is not None else __getattr__(name)  # type: ignore[no-any-return]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one clear sentence (escaped: it may quote file names) and exit with ``code``."""
    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def write_json(data: Any, dest: str) -> None:
    """Write ``data`` as JSON (two-space indent, UTF-8, a final newline) to ``dest``; ``-`` means
    standard output."""
    raw = json_bytes(data)
    if dest == "-":
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:  # the bytes as they are, whatever the terminal's encoding
            buffer.write(raw + b"\n")
            buffer.flush()
        else:
            sys.stdout.write(raw.decode("utf-8") + "\n")
            sys.stdout.flush()
        return
    if os.linesep != "\n":  # what text mode (the former ``write_text``) writes on Windows
        raw = raw.replace(b"\n", os.linesep.encode())
    try:
        outputs.write_bytes(dest, raw + os.linesep.encode())
    except OSError as exc:
        fail(f"Cannot write {dest}: {exc.strerror or exc}.")


def check_output_outside(dest: str | None, evidence_root: str) -> None:
    """Refuse to write an output file inside the evidence path (evidence is read-only)."""
    if not dest or dest == "-":
        return
    try:
        target = Path(dest).expanduser().resolve()
        root = Path(evidence_root).expanduser().resolve()
    except OSError:
        return
    if target == root or root in target.parents:
        fail(f"Refusing to write {dest} inside the evidence path {evidence_root}: evidence is read-only.")


def reviewed_pages(path: str | None) -> dict[str, dict[str, object]]:
    """``--reviewed FILE`` read and checked before any evidence is: the scan options' entry (empty for none)."""
    if path is None:
        return {}
    from extriage.detections.webfiles.appcontext import reviewed_option

    try:
        return {"reviewed_pages": reviewed_option(path)}
    except OSError as exc:
        fail(f"Cannot read the --reviewed file {path}: {exc.strerror or exc}.")
    except ValueError as exc:
        fail(f"Invalid --reviewed file: {exc}")
