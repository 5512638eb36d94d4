"""Native IIS modules registered in ``applicationHost.config`` that are not the ones IIS and Exchange ship.

A native module (``<globalModules><add name=".." image="..dll">``) is loaded into every IIS worker process
and sees every request: the backdoor of choice on Exchange servers after ProxyLogon (ESET's fourteen IIS
malware families, Frebniis), and no web page is involved, so no web shell check can find one. What IIS
and Exchange register is data (``data/native_modules.yml``); a module name it does not know, or a known
name registered with another DLL, is a finding for review. The finding does not raise the verdict:
legitimate products (single sign-on, MFA for OWA, security agents) install native modules too.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml
from extriage.evidence.locate import path_key
from extriage.findings import Confidence, EvidenceLine, Finding, Indicators, Outcome, Severity
from extriage.formats.iis_config import AppHostConfig, expand_env
from extriage.formats.pe_version import PeVersionError, read_pe_version

RULE_UNKNOWN = "WF-IIS-NATIVE-MODULE-UNKNOWN"
RULE_OTHER_DLL = "WF-IIS-NATIVE-MODULE-OTHER-DLL"
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

    @property
    def folder_key(self) -> str:
        return _folder_key(self.image)


@lru_cache(maxsize=1)
def known_modules() -> dict[str, KnownModule]:
    """Module name (lower case) -> what IIS/Exchange register under it."""
    text = resources.files("extriage.detections.webfiles").joinpath("data/native_modules.yml").read_text("utf-8")
    data: dict[str, Any] = load_yaml(text)
    out: dict[str, KnownModule] = {}
    for name, spec in data["modules"].items():
        out[str(name).lower()] = KnownModule(
            str(spec["image"]).lower(), tuple(str(f).lower().rstrip("/") for f in spec["folders"])
        )
    return out


def _folder_key(image: str) -> str:
    """The DLL's folder as a lower-case ``/`` path without its drive (``/windows/system32/inetsrv``)."""
    key = path_key(expand_env(image.strip().strip('"')))
    folder = posixpath.dirname(key)
    return folder.split(":", 1)[1] if ":" in folder[:3] else folder


def _is_known(known: KnownModule, image: str) -> bool:
    if posixpath.basename(path_key(expand_env(image.strip().strip('"')))) != known.image:
        return False
    folder = _folder_key(image)
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
    return Finding(
        rule,
        title,
        severity,
        Confidence.MEDIUM,
        Outcome.INFO,
        description=why + seen,
        wave="post-exploitation",
        attack=list(_ATTACK),
        evidence=[EvidenceLine(config_display, entry.line or None, raw, fields, sha256=config_sha)],
        indicators=Indicators(paths=[entry.image], hashes=[dll.sha256] if dll is not None else []),
        tags=["native-module", "review"],
        references=["https://www.welivesecurity.com/2021/08/06/anatomy-native-iis-malware/"],
    )
