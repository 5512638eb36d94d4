"""A stand-in for ``extriage.detections.builds.assess`` with the agreed interface, covering only the
CUs the mock serves (fix builds from remote-probe.md §5.3). It lets the probe's mapping logic be
tested on its own; tests marked ``real_builds`` use the patch engineer's module."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Update:
    kb: str
    build: str
    name: str


@dataclass
class CveStatus:
    id: str
    wave: str
    status: str
    known_exploited: bool = True
    fixed_by: Update | None = None


@dataclass
class Assessment:
    product: str
    cu: str
    su: str | None
    exact_match: bool
    nearest: str
    cves: list[CveStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


WAVE_CVE = {"proxylogon": "CVE-2021-26855", "proxyshell": "CVE-2021-34473", "proxynotshell": "CVE-2022-41040"}
MAR21 = Update("KB5000871", "", "Mar21SU")
#: CU base -> product, {wave: "included" | fixing SU build | None (no SU on this CU: upgrade)}
TABLE: dict[str, tuple[str, dict[str, str | None]]] = {
    "15.0.1497": (
        "Exchange 2013 CU23",
        {"proxylogon": "15.0.1497.12", "proxyshell": "15.0.1497.18", "proxynotshell": "15.0.1497.44"},
    ),
    "15.1.2176": (
        "Exchange 2016 CU19",
        {"proxylogon": "15.1.2176.9", "proxyshell": "15.1.2176.14", "proxynotshell": None},
    ),
    "15.1.2507": (
        "Exchange 2016 CU23",
        {"proxylogon": "included", "proxyshell": "included", "proxynotshell": "15.1.2507.16"},
    ),
    "15.2.792": (
        "Exchange 2019 CU8",
        {"proxylogon": "15.2.792.10", "proxyshell": "15.2.792.15", "proxynotshell": None},
    ),
    "15.2.986": (
        "Exchange 2019 CU11",
        {"proxylogon": "included", "proxyshell": "included", "proxynotshell": "15.2.986.36"},
    ),
    "15.2.1118": (
        "Exchange 2019 CU12",
        {"proxylogon": "included", "proxyshell": "included", "proxynotshell": "15.2.1118.20"},
    ),
    "14.3.496": (
        "Exchange 2010 SP3 RU30",
        {"proxylogon": "included", "proxyshell": "included", "proxynotshell": "included"},
    ),
    "14.3.513": (
        "Exchange 2010 SP3 RU32",
        {"proxylogon": "included", "proxyshell": "included", "proxynotshell": "included"},
    ),
}


def _t(b: str) -> tuple[int, ...]:
    return tuple(int(p) for p in b.split("."))


def assess(text: str) -> Assessment:
    parts = text.split(".")
    if len(parts) not in (3, 4) or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a build: {text}")
    cu = ".".join(parts[:3])
    if cu not in TABLE:
        raise ValueError(f"unknown CU {cu}")
    product, fixes = TABLE[cu]
    cves = []
    for wave, fix in fixes.items():
        upd = Update("KB" + wave, fix, f"{wave}-SU") if fix and fix != "included" else None
        if fix == "included":
            st = "fixed"
        elif fix is None:
            st = "vulnerable"
        elif len(parts) == 3:
            st = "vulnerable-unless-su"
        else:
            st = "fixed" if _t(text) >= _t(fix) else "vulnerable"
        cves.append(CveStatus(WAVE_CVE[wave], wave, st, True, upd))
    return Assessment(product, "", None, True, text, cves)
