"""Loading the web-file knowledge shipped as package data (YAML/JSON/YARA under ``data/``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml
from extriage.detections.waves.registry import post_exploitation_id, shell_wave, shells_wave_id, wave_of_cve
from extriage.findings import Confidence, Outcome, Severity

_DATA = "extriage.detections.webfiles"


@dataclass(frozen=True, slots=True)
class LocationRule:
    id: str
    title: str
    pattern: str
    severity: Severity
    confidence: Confidence
    outcome: Outcome
    description: str = ""
    except_pattern: str = ""
    wave: str = field(default_factory=shells_wave_id)
    attack: tuple[str, ...] = ("T1505.003",)
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KnownBad:
    """The MSTIC ProxyLogon feed: SHA-256 -> family, and the file paths it lists."""

    source: str
    reference: str
    sha256: dict[str, str] = field(default_factory=dict)
    paths: tuple[str, ...] = ()


def _text(name: str) -> str:
    return resources.files(_DATA).joinpath("data", name).read_text(encoding="utf-8")


@cache
def known_bad() -> KnownBad:
    raw: dict[str, Any] = json.loads(_text("mstic_iocs.json"))
    hashes = {h.lower(): str(v["family"]) for h, v in raw["sha256"].items()}
    return KnownBad(raw["source"], raw["reference"], hashes, tuple(raw["paths"]))


def _mstic_path_rules(kb: KnownBad) -> list[LocationRule]:
    """One exact-tail rule per MSTIC path, relative to the Exchange install or the drive root, so
    ``D:\\Exchange\\FrontEnd\\...`` and a KAPE copy match as well as ``C:\\Program Files\\...``."""
    import re

    rules = []
    for path in kb.paths:
        low = path.replace("\\", "/").lower()
        idx = low.find("/frontend/")
        tail = low[idx:] if idx >= 0 else low.split(":", 1)[-1]
        tool = not tail.endswith((".aspx", ".log"))
        rules.append(
            LocationRule(
                id="WF-IOC-MSTIC-PATH",
                title="File at a path Microsoft listed for ProxyLogon"
                + (" (tool)" if tool else " (web shell)"),
                pattern=re.escape(tail) + "$",
                severity=Severity.CRITICAL if not tool else Severity.HIGH,
                confidence=Confidence.HIGH,
                outcome=Outcome.SUCCESS if tool else Outcome.WEBSHELL,
                description=f"Listed in {kb.source}: {path}",
                # Microsoft's list is of the ProxyLogon intrusions: a page there was written through CVE-2021-27065
                wave=post_exploitation_id() if tool else wave_of_cve("CVE-2021-27065"),
                references=(kb.reference,),
            )
        )
    return rules


@cache
def location_rules() -> tuple[LocationRule, ...]:
    raw = load_yaml(_text("locations.yml"))
    rules = []
    for r in raw["rules"]:
        rules.append(
            LocationRule(
                id=r["id"],
                title=r["title"],
                pattern=r["pattern"],
                severity=Severity[r["severity"].upper()],
                confidence=Confidence[r["confidence"].upper()],
                outcome=Outcome(r["outcome"]),
                description=r.get("description", ""),
                except_pattern=r.get("except", ""),
                wave=shell_wave(r.get("wave")),
                attack=tuple(r.get("attack", ["T1505.003"])),
            )
        )
    rules.extend(_mstic_path_rules(known_bad()))
    return tuple(rules)


def builtin_rule_files() -> list[tuple[str, str]]:
    """(name, YARA source) of every rule file shipped in ``data/rules``."""
    folder = resources.files(_DATA).joinpath("data", "rules")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yar"):
            out.append((entry.name, entry.read_text(encoding="utf-8")))
    return out
