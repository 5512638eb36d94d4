"""Helpers every sub-command shares: JSON output with ``-`` for stdout, user errors without tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from extriage.findings import EXIT_USAGE

#: Human output goes to stdout; progress and errors go to stderr so ``--json -`` stays clean.
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one clear sentence (escaped: it may quote file names) and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def escape(text: str) -> str:
    """Make arbitrary text (log lines, file names) safe to print through Rich: no markup, no
    terminal control sequences."""
    from rich.markup import escape as rich_escape

    return rich_escape(sanitize_terminal(text))


def sanitize_terminal(text: str) -> str:
    """Replace control characters (ANSI escapes, bells, carriage returns) by visible escapes."""
    out_chars = []
    for ch in text:
        code = ord(ch)
        if ch == "\t":
            out_chars.append(" ")
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out_chars.append(f"\\x{code:02x}")
        else:
            out_chars.append(ch)
    return "".join(out_chars)


def write_json(data: Any, dest: str) -> None:
    """Write ``data`` as JSON to ``dest``; ``-`` means standard output."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if dest == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    try:
        Path(dest).write_text(text + "\n", encoding="utf-8")
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
