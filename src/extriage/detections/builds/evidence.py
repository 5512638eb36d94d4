"""Find the server's build in the evidence and reconcile every source of it.

Sources, most authoritative first (reference microsoft-tools.md §3.1, remote-probe.md §2.1):
``ExSetup.exe``'s version resource (reflects Security Updates); the ``#Version:`` header of the newest
HttpProxy logs (the build that wrote them); the versioned ``owa``/``ecp`` folders (a new folder per
update; the ``owa/auth/<CU>`` folder is CU-only); the SOFTWARE hive's ``Msi*`` values and Uninstall
``DisplayVersion`` (CU level only). The installed-update lists (``Microsoft\\Updates`` and Uninstall
entries) name KBs but not builds, so they are checked against the chosen build: a KB listed as
installed while ExSetup.exe is below that KB's build means a failed or partial install.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from extriage.detections.builds.table import load_table, product_of
from extriage.detections.builds.version import Build, BuildParseError, parse_build
from extriage.evidence.locate import Inventory, LocatedFile
from extriage.evidence.reading import iter_lines, read_artifact
from extriage.formats.pe_version import MAX_PE_SIZE, PeVersionError, read_pe_version
from extriage.formats.registry_hive import MAX_HIVE_SIZE, ExchangeRegistry, HiveError, read_exchange_registry

_FOLDER_RE = re.compile(r"/(owa|ecp)/(?:[^/]+/){0,2}?([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,5}(?:\.[0-9]{1,5})?)/")
_HIVE_SUFFIX = "windows/system32/config/software"
#: How many HttpProxy logs to read the header of: the newest ones tell the running build.
HTTPPROXY_HEADERS = 4
HEADER_LINES = 12

HashLookup = Callable[[str], "str | None"]
#: How each source kind is named in messages.
KIND_LABELS = {
    "exsetup": "ExSetup.exe",
    "httpproxy-header": "the HttpProxy log header",
    "owa-folder": "the OWA versioned folder",
    "ecp-folder": "the ECP versioned folder",
    "registry-msi": "the registry Msi* values",
    "registry-uninstall": "the registry Uninstall entry",
}


def _label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _without_path(reason: str, path: str) -> str:
    """Readers name the file in their messages ("X is not...", "X: the..."); the problem list names it
    already, so keep only the reason ("not a Windows executable (no MZ header)")."""
    for prefix in (path + ": ", path + " is ", path + " "):
        if reason.startswith(prefix) and len(reason) > len(prefix):
            return reason[len(prefix) :]
    return reason


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(slots=True)
class BuildSource:
    """One place in the evidence that says something about the build."""

    kind: str  # exsetup | httpproxy-header | owa-folder | ecp-folder | registry-msi | registry-uninstall
    path: str  # logical path (as the user knows it)
    raw: str  # what was read, verbatim
    build: str  # parsed build ("" when the source names only a KB)
    precision: str  # full | cu-only
    display: str = ""  # real path of the file read
    sha256: str | None = None
    timestamp: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "raw": self.raw,
            "build": self.build,
            "precision": self.precision,
            "sha256": self.sha256,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
        }


@dataclass(slots=True)
class FileRead:
    display: str
    sha256: str
    size: int
    mtime: datetime | None


@dataclass(slots=True)
class BuildEvidence:
    build: Build | None = None
    chosen: BuildSource | None = None
    sources: list[BuildSource] = field(default_factory=list)
    installed_updates: list[dict[str, str]] = field(default_factory=list)  # {kb, name, key, installed}
    disagreements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason): not read
    files_read: list[FileRead] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "build": None if self.build is None else str(self.build),
            "chosen_source": None if self.chosen is None else self.chosen.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
            "installed_updates": list(self.installed_updates),
            "disagreements": list(self.disagreements),
            "notes": list(self.notes),
            "not_read": [{"path": p, "reason": r} for p, r in self.problems],
        }


def _read_whole(f: LocatedFile, limit: int, ev: BuildEvidence) -> bytes | None:
    if f.ref.size > limit:
        ev.problems.append((f.display(), f"too large to read ({f.ref.size:,} bytes)"))
        return None
    try:
        with read_artifact(f.ref) as reader:
            data = reader.read(limit + 1)
            reader.drain()
            ev.files_read.append(FileRead(f.display(), reader.hexdigest(), reader.bytes_read, f.ref.mtime))
    except OSError as exc:
        ev.problems.append((f.display(), f"cannot be read: {exc.strerror or exc}"))
        return None
    if len(data) > limit:
        ev.problems.append((f.display(), f"too large to read (over {limit:,} bytes)"))
        return None
    return data


def _header_version(f: LocatedFile, hash_lookup: HashLookup | None, ev: BuildEvidence) -> str | None:
    """The ``#Version:`` header of an HttpProxy log; hashes the whole file unless already hashed."""
    found: str | None = None
    try:
        with read_artifact(f.ref) as reader:
            for lineno, line, _cut in iter_lines(reader, max_line=4096):
                if line.startswith(b"#Version:"):
                    found = line[9:].strip().decode("ascii", "replace")
                    break
                if lineno >= HEADER_LINES:
                    break
            known = hash_lookup(f.display()) if hash_lookup else None
            if known is None:
                reader.drain()
                ev.files_read.append(
                    FileRead(f.display(), reader.hexdigest(), reader.bytes_read, f.ref.mtime)
                )
    except OSError as exc:
        ev.problems.append((f.display(), f"cannot be read: {exc.strerror or exc}"))
        return None
    return found


def _parse(text: str) -> Build | None:
    try:
        b = parse_build(text)
    except BuildParseError:
        return None
    return b if product_of(b) is not None else None


def collect_build_evidence(inventory: Inventory, hash_lookup: HashLookup | None = None) -> BuildEvidence:
    """Read every build source in the evidence and reconcile them (see the module docstring)."""
    ev = BuildEvidence()
    installs = inventory.exchange_installs
    exsetups = [f for f in inventory.files if f.key.endswith("/bin/exsetup.exe") or f.key == "exsetup.exe"]
    # the live hive; a loose file named SOFTWARE only when there is none (RegBack copies are older)
    hives = [f for f in inventory.files if f.key.endswith(_HIVE_SUFFIX)]
    hives = hives or [f for f in inventory.files if f.key.rsplit("/", 1)[-1] == "software"]
    proxies = [f for f in inventory.files if "/logging/httpproxy/" in "/" + f.key and f.key.endswith(".log")]

    for f in exsetups:
        data = _read_whole(f, MAX_PE_SIZE, ev)
        if data is None:
            continue
        try:
            info = read_pe_version(data, f.display())
        except PeVersionError as exc:
            ev.problems.append((f.display(), _without_path(str(exc), f.display())))
            continue
        text = info.file_version or info.strings.get("FileVersion", "")
        b = _parse(text)
        if b is None or b.cu_only:
            ev.problems.append((f.display(), f"version resource {text!r} is not an Exchange build"))
            continue
        ev.sources.append(
            BuildSource(
                "exsetup",
                f.logical,
                info.raw_line(),
                str(b),
                "full",
                f.display(),
                ev.files_read[-1].sha256,
                f.ref.mtime,
            )
        )

    # HttpProxy headers: newest logs by modification time (then name)
    proxies.sort(key=lambda f: (f.ref.mtime or datetime.min.replace(tzinfo=UTC), f.key))
    for f in proxies[-HTTPPROXY_HEADERS:]:
        before = len(ev.problems)
        header = _header_version(f, hash_lookup, ev)
        if not header:
            if len(ev.problems) == before:  # read, but nothing to take: say so rather than stay silent
                ev.notes.append(f"{f.display()}: no #Version header in its first {HEADER_LINES} lines (not a build source).")
            continue
        b = _parse(header)
        if b is None or b.build == 0:
            ev.notes.append(f"{f.display()}: #Version header {header[:80]!r} is not an Exchange build.")
            continue
        sha = hash_lookup(f.display()) if hash_lookup else None
        sha = sha or next((r.sha256 for r in ev.files_read if r.display == f.display()), None)
        ev.sources.append(
            BuildSource(
                "httpproxy-header",
                f.logical,
                f"#Version: {header}",
                str(b),
                "full",
                f.display(),
                sha,
                f.ref.mtime,
            )
        )
    if len(proxies) > HTTPPROXY_HEADERS:
        ev.notes.append(
            f"Read the #Version header of the {HTTPPROXY_HEADERS} newest of {len(proxies)} HttpProxy logs."
        )

    folders: dict[tuple[str, str], LocatedFile] = {}
    for f in inventory.files:
        m = _FOLDER_RE.search("/" + f.key)
        if m and (installs == [] or any(f.key.startswith(r + "/") or r == "" for r in installs)):
            folders.setdefault((m.group(1), m.group(2)), f)
    for kind in ("owa", "ecp"):
        builds = [(b, f) for (k, text), f in folders.items() if k == kind and (b := _parse(text)) is not None]
        full = sorted((x for x in builds if not x[0].cu_only), key=lambda x: x[0].key)
        cu = sorted((x for x in builds if x[0].cu_only), key=lambda x: x[0].key)
        for group in (full, cu):
            if group:
                b, f = group[-1]
                names = ", ".join(str(x[0]) for x in group)
                ev.sources.append(
                    BuildSource(
                        f"{kind}-folder",
                        _folder_of(f.logical, str(b)),
                        f"versioned folders: {names}",
                        str(b),
                        "cu-only" if b.cu_only else "full",
                        f.display(),
                    )
                )

    for f in hives:
        data = _read_whole(f, MAX_HIVE_SIZE, ev)
        if data is None:
            continue
        try:
            reg = read_exchange_registry(data, f.display())
        except HiveError as exc:
            ev.problems.append((f.display(), _without_path(str(exc), f.display())))
            continue
        _registry_sources(reg, f, ev)

    _reconcile(ev)
    return ev


def _folder_of(logical: str, build: str) -> str:
    idx = logical.find(build)
    return logical[: idx + len(build)] if idx >= 0 else logical


def _registry_sources(reg: ExchangeRegistry, f: LocatedFile, ev: BuildEvidence) -> None:
    sha = ev.files_read[-1].sha256 if ev.files_read else None
    for setup in reg.setup:
        cu = setup.cu_build()
        if cu is not None:
            b = Build(cu[0], cu[1], cu[2], None)
            raw = ", ".join(f"{k}={v}" for k, v in setup.values.items() if k.startswith("Msi"))
            ev.sources.append(
                BuildSource(
                    "registry-msi", f"{f.logical} :: {setup.key}", raw, str(b), "cu-only", f.display(), sha
                )
            )
    for name, version in reg.uninstall_versions.items():
        parsed = _parse(version)
        if parsed is not None:
            cu_build = Build(parsed.major, parsed.minor, parsed.build, None)
            ev.sources.append(
                BuildSource(
                    "registry-uninstall",
                    f"{f.logical} :: Uninstall",
                    f"{name}: DisplayVersion={version}",
                    str(cu_build),
                    "cu-only",
                    f.display(),
                    sha,
                )
            )
    seen: set[tuple[str, str]] = set()
    for upd in [*reg.updates, *reg.uninstall]:
        if not upd.kb or (upd.kb, upd.key) in seen:
            continue
        seen.add((upd.kb, upd.key))
        ev.installed_updates.append(
            {"kb": upd.kb, "name": upd.name, "key": upd.key, "installed": upd.installed, "hive": f.logical}
        )


def _reconcile(ev: BuildEvidence) -> None:
    by_kind: dict[str, list[BuildSource]] = {}
    for s in ev.sources:
        by_kind.setdefault(s.kind, []).append(s)
    chosen: BuildSource | None = None
    for kind in ("exsetup", "httpproxy-header", "owa-folder", "ecp-folder"):
        full = [s for s in by_kind.get(kind, []) if s.precision == "full"]
        if full:
            if kind == "httpproxy-header":
                chosen = max(full, key=lambda s: (s.timestamp.timestamp() if s.timestamp else 0.0, s.path))
            else:
                chosen = max(full, key=lambda s: parse_build(s.build).key)
            break
    if chosen is None:
        for kind in ("registry-msi", "registry-uninstall", "owa-folder", "ecp-folder"):
            if by_kind.get(kind):
                chosen = max(by_kind[kind], key=lambda s: parse_build(s.build).key)
                break
    if chosen is None:
        return
    ev.chosen = chosen
    ev.build = parse_build(chosen.build)
    b = ev.build
    if chosen.kind != "exsetup":
        ev.notes.append(
            f"No readable ExSetup.exe: the build comes from {_label(chosen.kind)} ({chosen.path})."
        )
    exsetups = {s.build for s in by_kind.get("exsetup", [])}
    if len(exsetups) > 1:
        ev.disagreements.append(
            f"ExSetup.exe copies disagree: {', '.join(sorted(exsetups))}; using {chosen.build}."
        )
    for s in ev.sources:
        if s is chosen:
            continue
        other = parse_build(s.build)
        if s.precision == "cu-only" or b.cu_only:
            if (other.major, other.minor, other.build) != (b.major, b.minor, b.build):
                ev.disagreements.append(
                    f"{_label(s.kind)} ({s.path}) names CU build {other.major}.{other.minor}.{other.build} but "
                    f"{_label(chosen.kind)} says {b}: an interrupted CU upgrade, or stale data."
                )
        elif other != b:
            if s.kind == "httpproxy-header" and other < b:
                ev.notes.append(f"HttpProxy log {s.path} was written by {other} (before the update to {b}).")
            elif s.kind.endswith("-folder") and other > b:
                ev.disagreements.append(
                    f"{_cap(_label(s.kind))} for {other} exists but {_label(chosen.kind)} is at {b}: an update was started and "
                    "not completed (failed or rolled back install)."
                )
            else:
                ev.disagreements.append(
                    f"{_cap(_label(s.kind))} ({s.path}) says {other} but {_label(chosen.kind)} says {b}."
                )
    _check_kbs(ev, b, chosen)


def _check_kbs(ev: BuildEvidence, b: Build, chosen: BuildSource) -> None:
    table = load_table()
    done: set[str] = set()
    for upd in ev.installed_updates:
        kb = upd["kb"]
        if kb in done:
            continue
        done.add(kb)
        rows = [
            r
            for r in table.rows
            if r.kb.upper() == kb.upper()
            and (r.build.major, r.build.minor, r.build.build) == (b.major, b.minor, b.build)
        ]
        if not rows:
            continue
        row = rows[0]
        if b.cu_only:
            ev.notes.append(
                f"{kb} ({row.name}, build {row.build}) is listed as installed ({upd['key']}), but no source shows "
                "the exact build; read ExSetup.exe to confirm it."
            )
        elif b < row.build:
            ev.disagreements.append(
                f"{kb} is listed as installed ({upd['key']}) but {_label(chosen.kind)} is at {b}, below {row.name} "
                f"({row.build}): a failed or partial install — the update's fixes are not in place."
            )
