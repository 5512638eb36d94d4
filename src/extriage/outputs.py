"""Every file extriage writes goes through here: a new file beside the destination, renamed into place.

Why not ``open(dest, "w")``: the output location may already hold a link into the evidence. A hard
link (``cp -al`` copies of a collection make them) shares its content with the evidence file, and a
symlink named ``report.html`` points wherever its creator wanted; opening either for writing
overwrites the evidence. Writing a fresh temporary file in the destination folder (created with
``O_EXCL``, so never through an existing name) and renaming it over ``dest`` replaces the *name* —
the linked file keeps its content, size and mtime. A write that fails half way (full disk) leaves the
previous file untouched and no temporary behind. A destination that is a stream — a character
device or a FIFO, such as ``/dev/stdout`` or ``/dev/null`` — is written to directly: renaming over
``/dev/stdout`` would replace the device entry, not write to the terminal.

Folders the writers create (``--report DIR/sigma``) are made the same way: a symlink standing where a
folder of ours belongs is replaced by a real folder, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

from extriage.safetext import VISIBLE_ERRORS, surrogates_as_escapes

#: Flags for the temporary file: new (never an existing name or a symlink), write-only, binary.
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _new_temp(dest: Path) -> tuple[int, Path]:
    """A new, empty file in ``dest``'s folder (permissions as a plain ``open`` would give them)."""
    for _ in range(100):
        tmp = dest.with_name(f".{dest.name[:80]}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, _TMP_FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file beside {dest}")


@overload
def open_output(dest: str | os.PathLike[str], mode: Literal["w"] = "w", *, encoding: str = "utf-8",
                newline: str | None = None) -> contextlib.AbstractContextManager[IO[str]]: ...
@overload
def open_output(dest: str | os.PathLike[str], mode: Literal["wb"], *, encoding: str = "utf-8",
                newline: str | None = None) -> contextlib.AbstractContextManager[IO[bytes]]: ...
def open_output(
    dest: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8", newline: str | None = None
) -> contextlib.AbstractContextManager[IO[str]] | contextlib.AbstractContextManager[IO[bytes]]:
    """Open ``dest`` for writing the way every output must be written (see the module docstring).

    Use as ``with open_output(path) as fh: ...``: the content appears at ``dest`` only when the
    block ends without an exception; on an exception the temporary file is removed and ``dest`` is
    left as it was. ``mode`` is ``"w"`` (text, ``encoding``/``newline`` as for :func:`open`) or
    ``"wb"``. Text that ``encoding`` cannot hold (a lone surrogate from a non-UTF-8 file name) is
    written as its visible escape (:mod:`extriage.safetext`), never an exception. Raises OSError (e.g. ``IsADirectoryError`` when ``dest`` is a folder)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"open_output writes new files only (mode 'w' or 'wb'), not {mode!r}")
    return _open_output(Path(dest), mode, encoding, newline)  # type: ignore[return-value]


@contextlib.contextmanager
def _open_output(dest: Path, mode: str, encoding: str, newline: str | None) -> Iterator[IO[str] | IO[bytes]]:
    if dest.is_dir() and not dest.is_symlink():
        raise IsADirectoryError(21, "Is a directory", str(dest))
    if _is_stream(dest):  # /dev/stdout, /dev/null, a named pipe to another tool: write to it, never rename over it
        raw_stream = os.fdopen(_open_stream(dest), "wb")
        stream: IO[str] | IO[bytes] = (
            raw_stream if mode == "wb"
            else io.TextIOWrapper(raw_stream, encoding=encoding, errors=VISIBLE_ERRORS, newline=newline)
        )
        with stream:
            yield stream
        return
    fd, tmp = _new_temp(dest)
    try:
        raw = os.fdopen(fd, "wb")
        fh: IO[str] | IO[bytes] = (
            raw if mode == "wb" else io.TextIOWrapper(raw, encoding=encoding, errors=VISIBLE_ERRORS, newline=newline)
        )
        with fh:
            yield fh
        os.replace(tmp, dest)  # replaces the name: a hard or symbolic link there is unlinked, never followed
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


#: Seconds to wait for a reader to open a named pipe given as an output (a reader started at the same
#: time as the command may come a moment later); after that the pipe is an error, never a hang.
PIPE_READER_WAIT = 5.0


def _open_stream(dest: Path) -> int:
    """Open a device or named pipe for writing without waiting for ever on a reader that may never
    come: a pipe nobody opens within :data:`PIPE_READER_WAIT` is an error (ENXIO), said in one
    sentence. Writes then block as usual while the reader catches up."""
    deadline = time.monotonic() + PIPE_READER_WAIT
    while True:
        try:
            fd = os.open(dest, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0))
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            if time.monotonic() >= deadline:
                raise OSError(errno.ENXIO, f"nothing read this named pipe within {PIPE_READER_WAIT:g} s "
                                           "(start the reader first)", str(dest)) from None
            time.sleep(0.05)
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


def _is_stream(dest: Path) -> bool:
    """``dest`` is (or links to) a character device or a FIFO: a stream, not a file to replace."""
    try:
        mode = os.stat(dest).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_bytes(dest: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``dest`` through a renamed temporary file. Raises OSError."""
    with open_output(dest, "wb") as fh:
        fh.write(data)


def write_text(dest: str | os.PathLike[str], text: str, encoding: str = "utf-8", newline: str | None = None) -> None:
    """Write ``text`` to ``dest`` through a renamed temporary file (``newline`` as for :func:`open`).
    Raises OSError."""
    with open_output(dest, "w", encoding=encoding, newline=newline) as fh:
        fh.write(text)


def output_folder(path: str | os.PathLike[str]) -> Path:
    """Make sure ``path`` is a real folder to write into (created with its parents when missing).

    A symlink at ``path`` itself is replaced by a new empty folder (it would lead the outputs
    somewhere else — into the evidence, say); the user's own choice of a symlinked *parent* is
    respected (the evidence check resolves it). Raises OSError, NotADirectoryError when ``path`` is
    a file."""
    p = Path(path)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        p.mkdir(parents=True, exist_ok=True)
        return p
    if stat.S_ISLNK(st.st_mode):
        os.unlink(p)
        p.mkdir()
    elif not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(20, "Not a directory", str(p))
    return p


#: The end of a line of two-space-indented JSON holding a number with a fraction or an exponent (the
#: only way orjson spells a float): ``1.5``, ``1e-7``, ``2.5e+20``. A line that ends in a digit holds a
#: number (a string value ends in ``"``), so these never match inside strings. Two searches take a
#: few ms on a 2.7 MB scan result; one pattern with both branches takes ~30 ms.
_FRACTION_AT_EOL = re.compile(rb"\.[0-9]+,?\n")
_EXPONENT_AT_EOL = re.compile(rb"e[-+][0-9]+,?\n")


def _not_plain(obj: Any) -> Any:
    raise TypeError(f"not plain JSON data: {type(obj).__name__}")


def json_bytes(data: Any) -> bytes:
    """``json.dumps(data, indent=2, ensure_ascii=False, default=str)`` as UTF-8: the same bytes,
    about ten times faster on a scan result (6 ms instead of 57 ms for 2.7 MB).

    orjson (already a dependency) writes plain JSON data — dicts with string keys, lists, strings,
    ints, bools, None — exactly like the standard library with these options: two-space indent,
    ``": "`` and ``","`` separators, the same string escapes, ``[]``/``{}`` for empty containers
    (``tests/report/test_json_bytes.py`` holds it to that). Anything else takes the standard library,
    so its text does not change either: objects ``json`` would ``str()`` (dates, dataclasses, sets,
    numpy scalars, Paths...), non-string keys, ints beyond 64 bits, lone surrogates, nesting deeper
    than 254 levels, and any float, whose digits the two libraries spell differently outside
    1e-4..1e16. One difference is left: a NaN or infinite float, which is not JSON, would come out
    as ``null`` instead of ``NaN``/``Infinity``."""
    if isinstance(data, dict | list):
        try:
            import orjson

            raw = orjson.dumps(
                data,
                default=_not_plain,
                option=orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS,
            )
        except (ImportError, TypeError):  # orjson.JSONEncodeError is a TypeError
            pass
        else:
            if not (_FRACTION_AT_EOL.search(raw) or _EXPONENT_AT_EOL.search(raw)):
                return raw
    return surrogates_as_escapes(json.dumps(data, indent=2, ensure_ascii=False, default=str)).encode("utf-8")
