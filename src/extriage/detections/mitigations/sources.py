"""Where the mitigation verifier gets its files: an evidence inventory, or an in-memory set (tests).

Files are looked up by their Windows path on the server. Collections made by HealthChecker's data
collector (and the real configs in ``../shared/data/exchange-iis-config/``) are flat: the site root's
web.config is ``DefaultWebSite_web.config`` and a virtual directory's is ``DefaultWebSite-ECP_web.config``;
those names are accepted as a fallback so such folders verify too. Every file read is hashed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from extriage.evidence.locate import Inventory, LocatedFile, path_key
from extriage.evidence.reading import read_bounded

APPHOST_PATH = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
SYSTEM_HIVE_PATH = "C:\\Windows\\System32\\config\\SYSTEM"
SOFTWARE_HIVE_PATH = "C:\\Windows\\System32\\config\\SOFTWARE"
#: Configuration files are small; anything bigger is refused before reading.
MAX_READ = 32 * 1024 * 1024
MAX_HIVE = 512 * 1024 * 1024

#: HealthChecker's short names for virtual directories in flat collections.
_FLAT_ALIASES = {
    "autodiscover": ("autod",),
    "microsoft-server-activesync": ("eas",),
    "api": ("rest",),
    "pushnotifications": ("push",),
}


@dataclass(slots=True)
class LoadedFile:
    display: str
    data: bytes
    sha256: str
    size: int
    mtime: datetime | None = None


class FileSource(Protocol):
    read_log: list[LoadedFile]
    skipped: list[tuple[str, str]]
    notes: list[str]

    def read(self, windows_path: str, flat_names: Iterable[str] = (), limit: int = MAX_READ) -> LoadedFile | None: ...

    def describe(self) -> str: ...


def flat_names(site_name: str, app_path: str) -> list[str]:
    """HealthChecker-style flat names for the web.config of ``app_path`` in ``site_name``."""
    key = site_name.replace(" ", "").lower()
    stem = app_path.strip("/").lower()
    if not stem:
        return [f"{key}_web.config"]
    flat = stem.replace("/", "")
    names = [f"{key}-{flat}_web.config"]
    for alias in _FLAT_ALIASES.get(stem, ()):
        names.append(f"{key}-{alias}_web.config")
    return names


@dataclass
class InventorySource:
    """Read from an evidence inventory (folder, zip or single file), read-only, hashing each file."""

    inventory: Inventory
    read_log: list[LoadedFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _by_name: dict[str, list[LocatedFile]] = field(default_factory=dict)
    _by_key: dict[str, LocatedFile] = field(default_factory=dict)  # one lookup per web.config, not a scan
    _read_by_display: dict[str, LoadedFile] = field(default_factory=dict)
    _anchor: str = ""  # folder key of the first file found by exact path or name: flat names prefer it
    #: (parent folder, name) -> files, built on the first lookup by tail
    _by_parent: dict[tuple[str, str], list[LocatedFile]] | None = None

    def __post_init__(self) -> None:
        for f in self.inventory.files:
            self._by_name.setdefault(f.name.lower(), []).append(f)
            self._by_key.setdefault(f.key, f)

    def describe(self) -> str:
        return self.inventory.spec.root

    def _candidates(self, base: str, tail: str) -> list[LocatedFile]:
        """Files named ``base`` that may end with ``tail``, in inventory order: those whose parent folder
        is the tail's (a file ending with ``/app1/web.config`` is in a folder ``app1``), so 100,000
        ``web.config`` files are not all compared for each one looked up."""
        parts = tail.rsplit("/", 2)
        if len(parts) < 3:  # no parent folder in the tail: every file of the name
            return self._by_name.get(base, [])
        if self._by_parent is None:
            self._by_parent = {}
            for f in self.inventory.files:
                folder = f.key.rsplit("/", 2)
                if len(folder) == 3 and folder[2] == f.name.lower():
                    self._by_parent.setdefault((folder[1], folder[2]), []).append(f)
        return self._by_parent.get((parts[1], parts[2]), [])

    def _locate(self, windows_path: str, names: Iterable[str]) -> LocatedFile | None:
        wanted = path_key(windows_path)
        base = wanted.rsplit("/", 1)[-1]
        exact = self._by_key.get(wanted)
        if exact is not None:
            return exact
        # the same path under another drive letter or collection prefix: match the longest tail
        tail = wanted.split(":", 1)[-1]
        for f in self._candidates(base, tail):
            if f.key.endswith(tail):
                return f
        for name in names:
            hits = self._by_name.get(name.lower(), [])
            if not hits:
                continue
            if len(hits) > 1:
                same = [f for f in hits if f.key.rsplit("/", 1)[0] == self._anchor]
                chosen = same[0] if same else hits[0]
                if not self.notes:
                    self.notes.append(
                        f"The evidence holds several copies of the IIS configuration ({len(hits)} files named {name}: "
                        f"several servers?); files in the folder of {chosen.display()} were used. Verify each "
                        "server's folder separately."
                    )
                return chosen
            return hits[0]
        return None

    def read(self, windows_path: str, flat_names: Iterable[str] = (), limit: int = MAX_READ) -> LoadedFile | None:
        located = self._locate(windows_path, flat_names)
        if located is None:
            return None
        if not self._anchor:
            self._anchor = located.key.rsplit("/", 1)[0]
        display = located.display()
        done = self._read_by_display.get(display)
        if done is not None:
            return done
        if located.ref.size > limit:
            self.skipped.append((display, f"{located.ref.size:,} bytes is too large for this kind of file; not read"))
            return None
        try:
            # sized by the listing (a read of ``limit`` bytes allocates them: 100,000 web.configs),
            # then the rest up to the limit if the file grew since it was listed
            data, digest = read_bounded(located.ref, located.ref.size, limit)
        except OSError as exc:
            self.skipped.append((display, f"cannot be read: {exc.strerror or exc}"))
            return None
        loaded = LoadedFile(display, data, digest, len(data), located.ref.mtime)
        self.read_log.append(loaded)
        self._read_by_display[display] = loaded
        return loaded


@dataclass
class MemorySource:
    """Files given in memory by Windows path (tests, and the round trip of generated configs)."""

    files: dict[str, bytes]
    label: str = "(memory)"
    notes: list[str] = field(default_factory=list)
    read_log: list[LoadedFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        return self.label

    def read(self, windows_path: str, flat_names: Iterable[str] = (), limit: int = MAX_READ) -> LoadedFile | None:
        wanted = path_key(windows_path)
        for path, data in self.files.items():
            if path_key(path) == wanted:
                loaded = LoadedFile(path, data, hashlib.sha256(data).hexdigest(), len(data))
                self.read_log.append(loaded)
                return loaded
        return None
