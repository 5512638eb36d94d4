"""IIS modules registered in ``applicationHost.config`` that are not the ones IIS and Exchange ship.

A native module (``<globalModules><add name=".." image="..dll">``) is loaded into every IIS worker process
and sees every request: the backdoor of choice on Exchange servers after ProxyLogon (ESET's fourteen IIS
malware families, Frebniis, SessionManager), and no web page is involved, so no web shell check can find
one. A managed module registered for the whole server (``<system.webServer><modules><add type="..">``,
Owowa's way into OWA) does the same from a .NET assembly. What IIS and Exchange register is data
(``data/iis_modules.yml``); a module name it does not know, or a known name registered with another DLL
or type, is a finding for review. The finding does not raise the verdict: legitimate products (single
sign-on, MFA for OWA, security agents) install modules too.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml
from extriage.detections.waves.registry import shells_wave_id
from extriage.evidence.locate import path_key
from extriage.findings import Confidence, EvidenceLine, Finding, Indicators, Outcome, Severity
from extriage.formats.iis_config import AppHostConfig, expand_env
from extriage.formats.pe_version import PeVersionError, read_pe_version

RULE_UNKNOWN = "WF-IIS-NATIVE-MODULE-UNKNOWN"
RULE_OTHER_DLL = "WF-IIS-NATIVE-MODULE-OTHER-DLL"
RULE_MANAGED_UNKNOWN = "WF-IIS-MANAGED-MODULE-UNKNOWN"
RULE_MANAGED_OTHER_TYPE = "WF-IIS-MANAGED-MODULE-OTHER-TYPE"
#: ATT&CK: Server Software Component: IIS Components.
_ATTACK = ["T1505.004"]
_EXCHANGE = "exchange:"


@dataclass(frozen=True, slots=True)
class KnownModule:
    image: str  # lower-case file name
    folders: tuple[str, ...]  # lower-case folder keys without drive; "exchange:/bin" = inside an install


@dataclass(slots=True)
class ModuleEntry:
    """One ``<globalModules>`` entry that is not what IIS or Exchange ship under its name."""

    name: str
    image: str  # as written in the config
    line: int
    known_as: KnownModule | None  # the module this name belongs to, when the name is known


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files("extriage.detections.webfiles").joinpath("data/iis_modules.yml").read_text("utf-8")
    data: dict[str, Any] = load_yaml(text)
    return data


@lru_cache(maxsize=1)
def known_modules() -> dict[str, KnownModule]:
    """Native module name (lower case) -> what IIS/Exchange register under it."""
    out: dict[str, KnownModule] = {}
    for name, spec in _data()["modules"].items():
        out[str(name).lower()] = KnownModule(
            str(spec["image"]).lower(), tuple(str(f).lower().rstrip("/") for f in spec["folders"])
        )
    return out


def image_path(image: str) -> str:
    """The DLL path a config's ``image`` attribute names, quotes dropped and environment variables expanded."""
    return expand_env(image.strip().strip('"'))


def _folder_and_name(image: str) -> tuple[str, str]:
    """The DLL's folder as a lower-case ``/`` path without its drive (``/windows/system32/inetsrv``), and its
    lower-case file name."""
    folder, name = posixpath.split(path_key(image_path(image)))
    return (folder.split(":", 1)[1] if ":" in folder[:3] else folder), name


def _is_known(known: KnownModule, image: str) -> bool:
    folder, name = _folder_and_name(image)
    if name != known.image:
        return False
    for want in known.folders:
        if want.startswith(_EXCHANGE):  # any install folder: Exchange's is chosen at setup
            if folder.endswith(want[len(_EXCHANGE) :]):
                return True
        elif folder == want:
            return True
    return False


def unexpected_modules(cfg: AppHostConfig) -> list[ModuleEntry]:
    """The config's native modules that are not what IIS/Exchange register under their name, in file order."""
    known = known_modules()
    out: list[ModuleEntry] = []
    for lname, node in cfg.global_modules.items():
        image = node.get("image") or ""
        spec = known.get(lname)
        if spec is not None and _is_known(spec, image):
            continue
        out.append(ModuleEntry(node.get("name") or lname, image, node.line, spec))
    return sorted(out, key=lambda e: e.line)


@lru_cache(maxsize=1)
def known_managed() -> tuple[dict[str, str], frozenset[str]]:
    """Managed module name (lower case) -> its type (lower case), and Microsoft's public key tokens."""
    data = _data()
    names = {str(k).lower(): str(v).lower() for k, v in data["managed"].items()}
    return names, frozenset(str(t).lower() for t in data["microsoft_tokens"])


@dataclass(slots=True)
class ManagedEntry:
    """One managed ``<modules>`` entry of the server's config that is not IIS's or Microsoft's."""

    name: str
    type: str  # as written
    line: int
    known_type: str | None  # the type IIS registers under this name, when the name is known


def _token(assembly_parts: list[str]) -> str:
    for part in assembly_parts:
        key, _, value = part.partition("=")
        if key.strip().lower() == "publickeytoken":
            return value.strip().lower()
    return ""


def unexpected_managed(cfg: AppHostConfig) -> list[ManagedEntry]:
    """Managed modules the config registers for the whole server (or a ``<location>`` of it) whose type is
    neither IIS's own under that name nor in an assembly signed with one of Microsoft's keys."""
    names, tokens = known_managed()
    out: list[ManagedEntry] = []
    blocks = [cfg.root.find("system.webServer")] + [loc.node.find("system.webServer") for loc in cfg.locations]
    for block in blocks:
        modules = block.find("modules") if block is not None else None
        for add in modules.children if modules is not None else []:
            written = add.get("type") or ""
            if add.tag != "add" or not written.strip():
                continue  # (a native module's name: judged with <globalModules>)
            name = add.get("name") or ""
            type_name, *assembly = (p.strip() for p in written.split(","))
            known_type = names.get(name.lower())
            if known_type == type_name.lower() and (not assembly or _token(assembly) in tokens):
                continue
            if assembly and _token(assembly) in tokens:
                continue  # Microsoft's assembly (strong-named: the token cannot be borrowed)
            out.append(ManagedEntry(name, written, add.line, known_type))
    return sorted(out, key=lambda e: e.line)


def managed_finding(entry: ManagedEntry, config_display: str, config_sha: str | None, raw: str) -> Finding:
    """The review finding of one unexpected managed module."""
    if entry.known_type is not None:
        rule, severity = RULE_MANAGED_OTHER_TYPE, Severity.HIGH
        title = f"IIS managed module {entry.name!r} registered with another type than IIS's own: {entry.type}"
        why = f"IIS registers {entry.name} as {entry.known_type}; this server's config loads another class under that name."
    else:
        rule, severity = RULE_MANAGED_UNKNOWN, Severity.MEDIUM
        title = f"IIS managed module registered for the whole server, not IIS's or Microsoft's: {entry.name} ({entry.type})"
        why = (
            "A managed module registered in applicationHost.config runs in every .NET application of the server and "
            "sees every request (Owowa, made to steal OWA credentials, was one). Legitimate products register modules "
            "too: confirm which product this one belongs to, and find its assembly (GAC or a bin folder)."
        )
    line = EvidenceLine(config_display, entry.line or None, raw, {"module": entry.name, "type": entry.type}, sha256=config_sha)
    return _review(rule, title, severity, why, line, Indicators(), "managed-module", _OWOWA)


@dataclass(slots=True)
class ModuleFile:
    """The module's DLL as found in the evidence: where, its SHA-256 and what its version resource says."""

    display: str
    sha256: str
    size: int
    version: dict[str, str]  # CompanyName, FileDescription, OriginalFilename, ... ({} when none)
    problem: str = ""  # why no version was read ("is not a Windows executable", ...)


def read_module_file(data: bytes, display: str, sha256: str, size: int) -> ModuleFile:
    try:
        version = read_pe_version(data, display)
    except PeVersionError as exc:
        return ModuleFile(display, sha256, size, {}, str(exc))
    keep = ("CompanyName", "FileDescription", "ProductName", "OriginalFilename", "FileVersion")
    return ModuleFile(display, sha256, size, {k: version.strings[k] for k in keep if k in version.strings})


def module_finding(entry: ModuleEntry, config_display: str, config_sha: str | None, raw: str, dll: ModuleFile | None) -> Finding:
    """The review finding of one unexpected native module."""
    if entry.known_as is not None:
        rule, severity = RULE_OTHER_DLL, Severity.HIGH
        title = f"IIS native module {entry.name!r} registered with another DLL than IIS's own: {entry.image}"
        why = (
            f"IIS ships {entry.name} as {entry.known_as.image} in {', '.join(entry.known_as.folders)}; this server's "
            "applicationHost.config loads another file under that name into every worker process. Malware hides "
            "among IIS's own module names."
        )
    else:
        rule, severity = RULE_UNKNOWN, Severity.MEDIUM
        title = f"IIS native module not known to extriage: {entry.name} ({entry.image})"
        why = (
            "A native module is loaded into every IIS worker process and sees every request: IIS backdoors (IIS-Raid, "
            "RGDoor, IIStealer, Frebniis) are native modules, and no web shell check finds them. Legitimate products "
            "install native modules too: confirm which product this one belongs to."
        )
    if dll is None:
        seen = " The DLL is not in the evidence: collect it (and its hash) to check it."
    elif dll.version:
        seen = " The DLL in the evidence (" + dll.display + ") says: " + "; ".join(f"{k}={v}" for k, v in dll.version.items()) + "."
    else:
        seen = f" The DLL in the evidence ({dll.display}) has no version information ({dll.problem})."
    fields: dict[str, Any] = {"module": entry.name, "image": entry.image}
    if dll is not None:
        fields.update({"dll": dll.display, "dll_sha256": dll.sha256, "dll_size": dll.size, **dll.version})
    line = EvidenceLine(config_display, entry.line or None, raw, fields, sha256=config_sha)
    seen_by = Indicators(paths=[entry.image], hashes=[dll.sha256] if dll is not None else [])
    return _review(rule, title, severity, why + seen, line, seen_by, "native-module", _ESET)


_ESET = "https://www.welivesecurity.com/2021/08/06/anatomy-native-iis-malware/"
_OWOWA = "https://securelist.com/owowa-credential-stealer-and-remote-access/105219/"


def _review(
    rule: str, title: str, severity: Severity, why: str, line: EvidenceLine, seen: Indicators, kind: str, ref: str
) -> Finding:
    """A module finding: for review (info: it does not raise the verdict), in the web shells' wave."""
    return Finding(
        rule,
        title,
        severity,
        Confidence.MEDIUM,
        Outcome.INFO,
        description=why,
        wave=shells_wave_id(),
        attack=list(_ATTACK),
        evidence=[line],
        indicators=seen,
        tags=[kind, "review"],
        references=[ref],
    )
