"""Every file extriage writes goes through here: a new file beside the destination, renamed into place.

Why not ``open(dest, "w")``: the output location may already hold a link into the evidence. A hard
link (``cp -al`` copies of a collection make them) shares its content with the evidence file, and a
symlink named ``report.html`` points wherever its creator wanted; opening either for writing
overwrites the evidence. Writing a fresh temporary file in the destination folder (created with
``O_EXCL``, so never through an existing name) and renaming it over ``dest`` replaces the *name* —
the linked file keeps its content, size and mtime. A write that fails half way (full disk) leaves the
previous file untouched and no temporary behind.

Folders the writers create (``--report DIR/sigma``) are made the same way: a symlink standing where a
folder of ours belongs is replaced by a real folder, never followed.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal, overload

from extriage.safetext import VISIBLE_ERRORS

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
