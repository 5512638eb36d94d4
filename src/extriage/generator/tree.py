"""Write files by their Windows path into the chosen evidence layout.

Planters never build output paths themselves: they call ``tree.write_text(r"C:\\inetpub\\...")``
and the :class:`Tree` maps the path to the layout the user asked for, the same layouts
:mod:`extriage.evidence.locate` reads back:

* ``drive``: DEST is the root of drive C: (``DEST/Program Files/...``), like a mounted image;
* ``kape``: ``DEST/C/Program Files/...``;
* ``velociraptor``: ``DEST/uploads/auto/C%3A/Program Files/...``;
* ``zip`` / ``zip-velociraptor``: a ``.zip`` of the KAPE / Velociraptor tree (built in a staging
  folder beside DEST, then zipped; see :func:`extriage.generator.api.generate`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

LAYOUTS = ("drive", "kape", "velociraptor", "zip", "zip-velociraptor")


class Tree:
    """A generated evidence tree rooted at ``root`` in one directory layout (zip layouts stage as
    ``kape`` or ``velociraptor``). Picklable, so worker processes can write into it too."""

    def __init__(self, root: Path, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        self.root = Path(root)
        self.layout = layout
        self._dir_layout = {"zip": "kape", "zip-velociraptor": "velociraptor"}.get(layout, layout)

    # ---- path mapping -------------------------------------------------------------------------
    def real_path(self, windows_path: str) -> Path:
        """Where the file with this Windows path lives on the local disk."""
        p = windows_path.replace("/", "\\")
        if len(p) < 3 or p[1] != ":" or p[2] != "\\" or not p[0].isalpha():
            raise ValueError(f"not an absolute Windows path: {windows_path!r}")
        drive = p[0].upper()
        parts = [s for s in p[3:].split("\\") if s]
        if any(s in (".", "..") for s in parts):
            raise ValueError(f"path with . or .. segments: {windows_path!r}")
        if self._dir_layout == "drive":
            if drive != "C":
                raise ValueError(f"the drive layout holds drive C: only, not {windows_path!r}")
            return self.root.joinpath(*parts)
        if self._dir_layout == "kape":
            return self.root.joinpath(drive, *parts)
        return self.root.joinpath("uploads", "auto", f"{drive}%3A", *[s.replace("%", "%25") for s in parts])

    def exists(self, windows_path: str) -> bool:
        return self.real_path(windows_path).exists()

    # ---- writing ------------------------------------------------------------------------------
    def write_bytes(self, windows_path: str, data: bytes, mtime: datetime | None = None) -> Path:
        path = self.real_path(windows_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            self.set_mtime(windows_path, mtime)
        return path

    def write_text(
        self,
        windows_path: str,
        text: str,
        encoding: str = "utf-8",
        bom: bool = False,
        mtime: datetime | None = None,
        newline: str = "\r\n",
    ) -> Path:
        """Write text with Windows line ends (``\\n`` in ``text`` become ``newline``)."""
        data = text.replace("\r\n", "\n").replace("\n", newline).encode(encoding)
        if bom and encoding.lower().replace("-", "") in ("utf8",):
            data = b"\xef\xbb\xbf" + data
        return self.write_bytes(windows_path, data, mtime)

    @contextmanager
    def open_append(self, windows_path: str) -> Iterator[BinaryIO]:
        """Open a file for appending bytes (created with its folders when missing)."""
        path = self.real_path(windows_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as fh:
            yield fh

    def mkdir(self, windows_path: str) -> None:
        self.real_path(windows_path).mkdir(parents=True, exist_ok=True)

    def set_mtime(self, windows_path: str, when: datetime) -> None:
        ts = when.timestamp()
        os.utime(self.real_path(windows_path), (ts, ts))

    def windows_paths(self) -> Iterator[str]:
        """Every file in the tree, as its Windows path (for reports and tests)."""
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                real = Path(dirpath) / name
                win = self.windows_path_of(real)
                if win is not None:
                    yield win

    def windows_path_of(self, real: Path) -> str | None:
        try:
            rel = real.relative_to(self.root).parts
        except ValueError:
            return None
        if self._dir_layout == "drive":
            return "C:\\" + "\\".join(rel) if rel and rel[0] != MARKER else None
        if self._dir_layout == "kape":
            return f"{rel[0]}:\\" + "\\".join(rel[1:]) if len(rel) > 1 and len(rel[0]) == 1 else None
        if len(rel) > 3 and rel[:2] == ("uploads", "auto") and rel[2].endswith("%3A"):
            return f"{rel[2][0]}:\\" + "\\".join(s.replace("%25", "%") for s in rel[3:])
        return None


#: Name of the file at DEST that marks a folder as generated (holds the plan's facts as JSON).
MARKER = "extriage-generated.json"


# ---- the manifest: what a generation wrote, so --force removes exactly that ---------------------
def tree_files(root: Path) -> list[str]:
    """Every entry under ``root`` as a sorted relative POSIX path, folders with a final ``/``, the
    marker excepted; symlinks (to folders too) are listed as entries, never entered."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                filenames.append(name)
            else:
                found.append((here / name).relative_to(root).as_posix() + "/")
        for name in filenames:
            rel = (here / name).relative_to(root).as_posix()
            if rel != MARKER:
                found.append(rel)
    return sorted(found)


class ForeignFiles(Exception):
    """The folder holds entries no generation wrote; nothing was removed."""


def remove_generated(root: Path, manifest: list[str]) -> None:
    """Remove the entries a previous generation listed in its marker (:func:`tree_files`), deepest
    first, then the marker; ``root`` itself stays. Anything else under ``root`` — a file, a symlink,
    a folder the user made — raises :class:`ForeignFiles` *before* anything is removed."""
    listed = set(manifest)
    foreign = [rel for rel in tree_files(root) if rel not in listed]
    if foreign:
        raise ForeignFiles(f"{len(foreign)} entries extriage generate did not write (e.g. {foreign[0]})")
    for rel in sorted(listed, key=lambda r: (-r.rstrip("/").count("/"), r)):
        path = root / rel.rstrip("/")
        with contextlib.suppress(FileNotFoundError):
            if rel.endswith("/") and not path.is_symlink():
                os.rmdir(path)  # empty by now: its listed content went first, and nothing else was in it
            else:
                os.unlink(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(root / MARKER)
