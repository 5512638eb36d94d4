"""Evidence containers beyond the built-in ones, as loaders: one module per container, one line in
:data:`LOADERS` each.

Plain folders, single files and zip archives are read by :mod:`extriage.evidence.source` itself (the
hot paths of every scan). Any other container — a disk image today — is a module that turns a file
of the evidence into the files inside it, as :class:`~extriage.evidence.source.ArtifactRef` objects
whose ``spec.kind`` names the loader, and reopens one of them from that picklable locator in any
process. The stages never see the container: they get files (open, size, times, path as on the
server), as dissect's plugins only see ``target.fs``.

A loader module provides:

- ``recognise(head: bytes, tail: bytes) -> str``: what the file is ("" = not mine), from its first
  4 KiB and last 512 bytes;
- ``expand(ref, located, on_skip, notes) -> Iterator[ArtifactRef]``: the files inside ``ref`` (a file
  of the evidence, or the evidence itself), located under ``located``; every part that cannot be
  read goes to ``on_skip`` with one sentence, what was read to ``notes``;
- ``parts(ref) -> set[str]``: display paths of sibling files that belong to the same container
  (``.002`` of a split image), so they are not listed again as files;
- ``open_member(ref) -> BinaryIO`` and ``display(ref) -> str`` for the files it yielded;
- optionally ``times(ref) -> dict | None``: what the container keeps about a file beyond a copy of it
  (NTFS ``$STANDARD_INFORMATION`` and ``$FILE_NAME`` times), see :func:`file_times`;
- optionally ``journal(spec) -> (stream, folders) | None``: a volume's change journal, see
  :func:`change_journals`;
- optionally ``release(paths) -> None``: close what this process holds open of the containers at
  those paths (called by :func:`release` at the end of a scan).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any, BinaryIO, Protocol, cast

from extriage.evidence.source import ArtifactRef, SkipCallback


class Loader(Protocol):
    def recognise(self, head: bytes, tail: bytes) -> str: ...

    def expand(self, ref: ArtifactRef, located: str, on_skip: SkipCallback, notes: list[str]) -> Iterator[ArtifactRef]: ...

    def parts(self, ref: ArtifactRef) -> set[str]: ...

    def open_member(self, ref: ArtifactRef) -> BinaryIO: ...

    def display(self, ref: ArtifactRef) -> str: ...


#: kind -> module; the kind is what ``SourceSpec.kind`` holds for the files a loader yields.
LOADERS: dict[str, str] = {}


def register(kind: str, module: str) -> None:
    LOADERS[kind] = module


register("image", "extriage.evidence.loaders.image")  # raw/dd (split), E01, VMDK, VHD/VHDX, QCOW2, VDI
register("tar", "extriage.evidence.loaders.tar")  # acquire's output (fs/C:/…), any tar, plain or gzip

_loaded: dict[str, ModuleType] = {}


def loader(kind: str) -> Loader:
    """The loader of ``kind`` (imported on first use: dissect is only loaded when an image is met)."""
    mod = _loaded.get(kind)
    if mod is None:
        if kind not in LOADERS:
            raise KeyError(f"no evidence loader for {kind!r}")
        mod = _loaded[kind] = importlib.import_module(LOADERS[kind])
    return cast(Loader, mod)


def recognise(head: bytes, tail: bytes, wanted: Callable[[str], bool] = lambda _k: True) -> tuple[str, str]:
    """``(kind, what)`` of the first loader that recognises the bytes, or ``("", "")``."""
    for kind in LOADERS:
        if not wanted(kind):
            continue
        what = loader(kind).recognise(head, tail)
        if what:
            return kind, what
    return "", ""


def file_times(ref: ArtifactRef) -> dict[str, Any] | None:
    """The file system's own times of ``ref`` when its container keeps them (a file in an NTFS
    image), else None (a copied file has only the copy's times)."""
    if ref.spec.kind not in LOADERS:
        return None
    times = getattr(loader(ref.spec.kind), "times", None)
    if times is None:
        return None
    try:
        found: dict[str, Any] | None = times(ref)
    except Exception:  # a damaged record: the finding stands without the times
        return None
    return found


def change_journals(refs: Iterable[ArtifactRef]) -> Iterator[tuple[str, Any, dict[int, str], str]]:
    """``(volume shown, $J stream, folders by MFT segment, located prefix)`` of each volume of the
    listed files whose container keeps an NTFS change journal (stream None: it cannot be read)."""
    seen: set[tuple[str, str, tuple[int, int]]] = set()
    for ref in refs:
        spec = ref.spec
        key = (spec.kind, spec.root, spec.volume)
        if key in seen or spec.kind not in LOADERS:
            continue
        seen.add(key)
        opener = getattr(loader(spec.kind), "journal", None)
        if opener is None:
            continue
        shown = f"{spec.root}!{spec.inner[0]}"
        try:
            found = opener(spec)
        except Exception:  # an unreadable journal: said by the caller (stream None)
            found = (None, {})
        if found is not None:
            yield shown, found[0], found[1], spec.prefix


def release(paths: Iterable[str]) -> None:
    """Close the containers at ``paths`` (display paths of container files) in every loader that
    was used: their file handles are released at the end of a scan."""
    wanted = set(paths)
    if not wanted:
        return
    for mod in list(_loaded.values()):
        closer = getattr(mod, "release", None)
        if closer is not None:
            closer(wanted)
