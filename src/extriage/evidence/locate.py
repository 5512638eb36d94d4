"""Where things are in the evidence: layout, Windows paths, Exchange installs, IIS log folders.

The same server can arrive as a live drive (``C:\\``), a mounted image, a KAPE collection
(``<dest>/C/Program Files/...``), a Velociraptor collection (``uploads/auto/C%3A/...``,
``uploads/ntfs/%5C%5C.%5CC%3A/...``), a zip of either, or a plain folder of logs. Every file gets
a *logical* Windows path (``C:\\Program Files\\...``) when its drive can be told, and a lower-case
``key`` with forward slashes for case-insensitive matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote

from extriage.evidence.source import ArtifactRef, SkipCallback, SourceSpec, display_of, iter_files

#: Top-level folders of a Windows system drive; seeing them tells a drive root from a log folder.
DRIVE_ROOT_NAMES = frozenset(
    {"windows", "program files", "program files (x86)", "programdata", "users", "inetpub", "$extend", "root"}
)
_VELO_RE = re.compile(r"(?:^|/)uploads/(auto|ntfs|file|mft)/(.+)$", re.IGNORECASE)


def _velo(member: str) -> re.Match[str] | None:
    """``_VELO_RE.search(member)``, the search skipped for a path without "pload" in any case (the
    regex, case-blind with no literal prefix, is tried at every offset: ~23 % of listing a tree of
    small logs, asked three times a file). Exact: no character but P, L, O, A, D lower-cases to
    p, l, o, a, d, the only letters of "uploads" a case-blind match can meet in another form."""
    if "pload" not in member.lower():
        return None
    return _VELO_RE.search(member)
_VELO_DRIVE_RE = re.compile(r"^(?:\\\\[.?]\\)?([A-Za-z]):$")
_INSTALL_MARKERS = (
    # (marker inside an install, how many path segments the marker spans)
    "/logging/httpproxy/",
    "/logging/ecp/",
    "/logging/oabgeneratorlog/",
    "/logging/cmdletinfra/",
    "/frontend/httpproxy/",
    "/clientaccess/owa/",
    "/clientaccess/ecp/",
    "/bin/exsetup.exe",
    "/transportroles/",
)
_ANY_INSTALL_MARKER = re.compile("|".join(re.escape(m) for m in _INSTALL_MARKERS))


@dataclass(slots=True)
class LocatedFile:
    ref: ArtifactRef
    logical: str  # e.g. "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\..." or "logs/a.log"
    key: str  # lower-case, "/" separated version of ``logical`` for matching
    _shown: str = field(default="", repr=False, compare=False)  # display(), computed once

    @property
    def name(self) -> str:
        return self.ref.name

    def display(self) -> str:
        """The path as shown to the user (every stage asks, several times per file: kept)."""
        if not self._shown:
            self._shown = self.ref.display()
        return self._shown


@dataclass(slots=True)
class Inventory:
    """Every file of the evidence with its logical path, and the places that matter."""

    spec: SourceSpec
    layout: str
    files: list[LocatedFile] = field(default_factory=list)
    exchange_installs: list[str] = field(default_factory=list)  # keys, e.g. "c:/program files/.../v15"
    drives: list[str] = field(default_factory=list)  # drive letters seen, upper case
    #: Archives inside the evidence whose members are listed in ``files`` (display paths).
    archives: set[str] = field(default_factory=set)
    #: Disk images found (display path -> format); the files read from them are in ``files``.
    images: dict[str, str] = field(default_factory=dict)
    #: What was read inside containers (each volume of each image), for the coverage.
    notes: list[str] = field(default_factory=list)
    #: An image with several NTFS volumes: which one holds the Exchange install (or that none does).
    exchange_volume: str = ""

    @property
    def shape(self) -> str:
        """The layout of the files, whatever holds them: drive, kape, velociraptor, folder, file."""
        return self.layout.rsplit(":", 1)[-1]

    @property
    def plain(self) -> bool:
        """A plain folder of logs (or one file): every file is a candidate, not only the usual places."""
        return self.shape in ("folder", "file")

    def under(self, prefix_key: str) -> Iterator[LocatedFile]:
        prefix = prefix_key.rstrip("/") + "/"
        for f in self.files:
            if f.key.startswith(prefix):
                yield f

    def matching(self, predicate: Callable[[LocatedFile], bool]) -> Iterator[LocatedFile]:
        return (f for f in self.files if predicate(f))

    def lookup(self, logical_path: str) -> LocatedFile | None:
        """Find a file by a Windows or posix path as it appears in a log, case-insensitively."""
        wanted = path_key(logical_path)
        for f in self.files:
            if f.key == wanted:
                return f
        # a path without drive, or with a different drive letter/UNC prefix: match on the tail
        tail = wanted.split(":", 1)[-1].lstrip("/")
        if len(tail) < 3:
            return None
        for f in self.files:
            if f.key.endswith("/" + tail) or f.key == tail:
                return f
        return None


_UNC_DRIVE_RE = re.compile(r"^//[^/]+/([a-z])\$(/.*)?$")


def path_key(path: str) -> str:
    """Normalise a Windows/posix/UNC path to the lower-case matching key used in :class:`LocatedFile`."""
    p = path.strip().strip("'\"").replace("\\", "/")
    low = p.lower()
    # \\127.0.0.1\C$\inetpub\... and \\localhost\c$\... -> c:/inetpub/...
    m = _UNC_DRIVE_RE.match(low) if low.startswith("//") else None
    if m:
        return f"{m.group(1)}:{m.group(2) or '/'}".rstrip("/")
    while "//" in low:
        low = low.replace("//", "/")
    return low.rstrip("/")


_DRIVE_FOLDER_RE = re.compile(r"^[A-Za-z][:$]?$")


def kape_roots(members: Iterable[str]) -> set[str]:
    """Folders holding KAPE-style drive folders: the parent of any ``<letter>/<top-level Windows folder>``.

    Once a collection is known to be KAPE-shaped (``<dest>/C/Windows``...), every other drive letter
    folder beside ``C`` is a drive too, even when its top folder is not a standard one
    (``<dest>/D/IISLogs``, ``<dest>/E/ExchangeLogs``).
    """
    roots: set[str] = set()
    for member in members:
        if _velo(member):
            continue
        parts = member.split("/")
        for i in range(len(parts) - 2):
            if _DRIVE_FOLDER_RE.match(parts[i]) and parts[i + 1].lower() in DRIVE_ROOT_NAMES:
                roots.add("/".join(parts[:i]))
                break
    return roots


def _logical_for(member: str, layout_hint: str, kape: Iterable[str] = ()) -> tuple[str, str | None]:
    """Map a member path to (logical windows path, drive letter or None)."""
    m = _velo(member)
    if m:
        parts = [unquote(p) for p in m.group(2).split("/")]
        drive_part = parts[0]
        dm = _VELO_DRIVE_RE.match(drive_part)
        if dm:
            letter = dm.group(1).upper()
            return letter + ":\\" + "\\".join(parts[1:]), letter
        return "\\".join(parts), None
    # KAPE: <root>/<letter>/... for any letter folder beside a standard drive folder
    for root in kape:
        prefix = root + "/" if root else ""
        if not member.startswith(prefix):
            continue
        parts = member[len(prefix) :].split("/")
        if len(parts) > 1 and _DRIVE_FOLDER_RE.match(parts[0]):
            letter = parts[0][0].upper()
            return letter + ":\\" + "\\".join(parts[1:]), letter
    parts = member.split("/")
    if layout_hint == "system-drive" or (layout_hint == "drive" and parts[0].lower() in DRIVE_ROOT_NAMES):
        return "C:\\" + "\\".join(parts), "C"
    return member, None


def detect_layout(members: Iterable[str], spec: SourceSpec) -> str:
    """Name the evidence layout from its member paths (first match wins on a sample)."""
    kape = velo = drive = 0
    for i, member in enumerate(members):
        if i > 20000:
            break
        low = member.lower()
        if _velo(member):
            velo += 1
            continue
        parts = low.split("/")
        if parts[0] in DRIVE_ROOT_NAMES:
            drive += 1
        for j, seg in enumerate(parts[:-1]):
            # ``c`` (KAPE) or ``c:`` (acquire's ``fs/C:/…``)
            if _DRIVE_FOLDER_RE.match(seg) and parts[j + 1] in DRIVE_ROOT_NAMES:
                kape += 1
                break
    prefix = "zip:" if spec.kind == "zip" else ""
    if velo and velo >= kape:
        return prefix + "velociraptor"
    if kape:
        return prefix + "kape"
    if drive:
        return prefix + "drive"
    return prefix + ("file" if spec.kind == "file" else "folder")


def _install_root(key: str) -> str | None:
    k = "/" + key
    if _ANY_INSTALL_MARKER.search(k) is None:  # most files: one C search instead of one per marker
        return None
    for marker in _INSTALL_MARKERS:
        idx = k.find(marker)
        if idx >= 0:
            root = k[1:idx] if idx > 0 else ""
            return root
    return None


def build_inventory(spec: SourceSpec, on_skip: SkipCallback) -> Inventory:
    """List the evidence once and locate what matters in it. A container inside it (a disk image:
    :mod:`extriage.evidence.loaders`) is replaced by the files it holds; the stages never see it."""
    from extriage.evidence.images import exchange_volume_note, expand_container

    refs: list[ArtifactRef] = []
    images: dict[str, str] = {}
    archives: set[str] = set()
    notes: list[str] = []
    parts: set[str] = set()
    for ref in iter_files(spec, on_skip):
        if ref.spec.prefix and ref.spec.kind == "zip":
            archives.add(display_of(ref.spec))
        inside = expand_container(ref, on_skip, images, notes, parts)
        if inside is None:
            refs.append(ref)
        else:
            refs.extend(inside)
    if parts:  # the other segments of split images read above are not files of their own
        refs = [r for r in refs if r.spec.kind != "dir" or r.display() not in parts]
    layout = detect_layout((r.located for r in refs), spec)
    if images and spec.kind == "file":
        # the evidence is one disk image, or one tar archive (an acquire collection): "tar:kape" as "zip:kape"
        kind = "tar:" if next(iter(images.values())).endswith("tar archive") else "image:"
        layout = kind + (layout if layout != "file" else "folder")
    inv = Inventory(spec=spec, layout=layout, archives=archives, images=images, notes=notes)
    installs: dict[str, None] = {}
    drives: dict[str, None] = {}
    hint = inv.shape
    if hint == "drive" and any(r.located.split("/", 1)[0].lower() == "windows" for r in refs):
        # the root of a system drive: every folder on it is on C:, also the ones no list knows
        # (C:\MOVEitTransfer\wwwroot, C:\Sites\...), so that applicationHost.config's paths find them
        hint = "system-drive"
    kape = sorted(kape_roots(r.located for r in refs), key=len, reverse=True)
    for ref in refs:
        logical, drive = _logical_for(ref.located, hint, kape)
        key = path_key(logical)
        inv.files.append(LocatedFile(ref, logical, key))
        if drive:
            drives[drive] = None
        root = _install_root(key)
        if root is not None:
            installs[root] = None
    inv.exchange_installs = sorted(installs, key=lambda r: (r.count("/"), r))
    inv.drives = sorted(drives)
    if images:
        note = exchange_volume_note([(f.ref, f.key) for f in inv.files], inv.exchange_installs)
        inv.exchange_volume = note
    return inv


def install_of(key: str, installs: Iterable[str]) -> str | None:
    """The Exchange install root (key) that contains ``key``, if any."""
    best: str | None = None
    for root in installs:
        prefix = root + "/" if root else ""
        if key.startswith(prefix) and (best is None or len(root) > len(best)):
            best = root
    return best


def relative_to_install(key: str, installs: Iterable[str]) -> str | None:
    """``key`` relative to its Exchange install root (e.g. ``frontend/httpproxy/owa/auth/x.aspx``)."""
    root = install_of(key, installs)
    if root is None:
        return None
    return key[len(root) + 1 :] if root else key


def logical_name(path: str) -> str:
    """The file name of a Windows or posix path (part of the shared evidence API)."""
    return PurePosixPath(path.replace("\\", "/")).name
