"""Reading a file the user names on the command line (a scan result, a probe target list).

Such a path may be anything: a FIFO (opening it for reading blocks until a writer comes, forever),
``/dev/zero`` or ``/dev/urandom`` (endless), a socket, a folder, a huge file. The file is opened
without blocking and checked *after* opening (so a swap between a check and the open cannot slip
through), only a regular file is read (:func:`extriage.evidence.source.open_regular_fd`), and never more
than a bound.
"""

from __future__ import annotations

import os

from extriage.evidence.source import NotRegularFileError, open_regular_fd


class UserFileError(ValueError):
    """The file cannot be used; the message is one sentence naming it."""


def read_bounded(path: str | os.PathLike[str], limit: int, what: str = "file") -> bytes:
    """The content of the regular file ``path``, at most ``limit`` bytes. Raises
    :class:`UserFileError` (missing, unreadable, not a regular file, larger than ``limit``)."""
    name = os.fsdecode(path)
    try:
        fd = open_regular_fd(path)
    except FileNotFoundError:
        raise UserFileError(f"{name} does not exist.") from None
    except IsADirectoryError:
        raise UserFileError(f"{name} is a folder, not a {what}.") from None
    except NotRegularFileError as exc:
        raise UserFileError(f"{name} is a {exc.kind}, not a {what}; give a regular file.") from None
    except OSError as exc:
        raise UserFileError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    try:
        st = os.fstat(fd)
        if st.st_size > limit:
            raise UserFileError(f"{name} is too large to be a {what} ({st.st_size:,} bytes; at most {limit:,}).")
        chunks: list[bytes] = []
        total = 0
        while True:  # the size may grow while we read: the bound holds on what is read
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UserFileError(f"{name} is too large to be a {what} (more than {limit:,} bytes).")
        return b"".join(chunks)
    except UserFileError:
        raise
    except OSError as exc:
        raise UserFileError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)
