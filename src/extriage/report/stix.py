"""A STIX 2.1 bundle for partners: who saw it, indicators with patterns, sightings, the ATT&CK
techniques and the CVEs, all under the chosen TLP 2.0 marking.

The few fixed objects (marking, identities, techniques, CVEs, scanner observations) are made with
:mod:`stix2`, which validates them. The objects that grow with the evidence — one indicator,
sighting and relationships per attacker value, thousands on a big case — are written as plain
STIX 2.1 JSON: ``stix2`` spends ~7 ms on each (most of it re-parsing a pattern that :func:`quote`
already made safe), which made the bundle of 16,000 web shells take minutes. Their shapes are held
to the standard by the tests, which parse every exported bundle with ``stix2`` (``allow_custom=False``).

Only attacker evidence becomes an indicator (public IPs, user agents, web shell hashes and paths, URL
paths of attacker findings). Scanner addresses are shared as observed data labelled ``scanner`` (what
was seen, not something to block); our own probe, accounts, internal hosts and internal addresses
name the victim and stay out.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stix2

from extriage import outputs
from extriage.findings import ScanResult
from extriage.report.indicators import IndicatorRow, collect_indicators
from extriage.report.redact import is_internal_ip
from extriage.report.summary import report_title
from extriage.response.facts import server_name
from extriage.response.roles import ATTACKER_OUTCOMES, Role

#: TLP 2.0 marking definitions of the OASIS STIX TLP 2.0 extension (fixed ids, shared by everyone).
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: Namespace for deterministic ids: re-exporting the same scan gives the same STIX ids.
_NS = uuid.UUID("6f6c0c8e-5b1f-4c43-9f0e-3f1f2f6b1e21")


def tlp_marking(level: str) -> stix2.MarkingDefinition:
    return stix2.MarkingDefinition(
        id=TLP2_IDS[level],
        created="2022-10-01T00:00:00.000Z",
        name=f"TLP:{level.upper()}",
        extensions={TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
    )


_NS_BYTES = _NS.bytes
#: Bits of a 128-bit UUID: the version nibble and the variant bits (RFC 9562 §5.5).
_VERSION_MASK, _VERSION_5 = 0xF000 << 64, 0x5000 << 64
_VARIANT_MASK, _VARIANT_RFC = 0xC000 << 48, 0x8000 << 48


def _id(kind: str, *parts: str) -> str:
    """``kind--uuid5(_NS, parts joined by |)``, computed without :class:`uuid.UUID` (a third of the
    bundle's time on 16,000 web shells). A lone surrogate (a non-UTF-8 file name) is hashed as its
    code point, where :func:`uuid.uuid5` would raise."""
    digest = hashlib.sha1(_NS_BYTES + "|".join(parts).encode("utf-8", "surrogatepass")).digest()
    x = int.from_bytes(digest[:16]) & ~_VERSION_MASK & ~_VARIANT_MASK | _VERSION_5 | _VARIANT_RFC
    h = f"{x:032x}"
    return f"{kind}--{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def quote(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped (STIX 2.1 §9.2)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(row: IndicatorRow) -> tuple[str, str] | None:
    """(pattern, name) for a shareable indicator, or None for values that name the victim."""
    v = row.value
    if row.type == "ip":
        try:
            ip = ipaddress.ip_address(v)
        except ValueError:
            return None  # redacted or malformed
        if is_internal_ip(str(ip)) or ip.is_multicast:
            return None
        kind = "ipv4-addr" if ip.version == 4 else "ipv6-addr"
        return f"[{kind}:value = {quote(str(ip))}]", f"Attacker IP {ip}"
    if row.type == "user-agent":
        return (
            f"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = {quote(v)}]",
            f"Attacker user agent {v[:80]}",
        )
    if row.type == "sha256":
        if len(v) != 64 or any(c not in "0123456789abcdef" for c in v.lower()):
            return None
        return f"[file:hashes.'SHA-256' = {quote(v.lower())}]", f"File SHA-256 {v.lower()}"
    if row.type == "file-path":
        norm = v.replace("/", "\\")
        directory, _, name = norm.rpartition("\\")
        if not name:
            return None
        if directory:
            return (
                f"[file:name = {quote(name)} AND file:parent_directory_ref.path = {quote(directory)}]",
                f"File {name}",
            )
        return f"[file:name = {quote(name)}]", f"File {name}"
    if row.type == "url-path":
        return f"[network-traffic:extensions.'http-request-ext'.request_value = {quote(v)}]", f"Requested path {v[:80]}"
    return None


def _scanner_observation(row: IndicatorRow, now: datetime, common: dict[str, Any]) -> list[Any]:
    """A scanner's address as observed data labelled ``scanner`` (no indicator: not for blocking)."""
    try:
        ip = ipaddress.ip_address(row.value)
    except ValueError:
        return []
    if is_internal_ip(str(ip)):
        return []
    sco: Any = (stix2.IPv4Address if ip.version == 4 else stix2.IPv6Address)(value=str(ip))
    first = row.first_seen or now
    seen = stix2.ObservedData(
        id=_id("observed-data", "scanner", row.value),
        first_observed=first,
        last_observed=row.last_seen or first,
        number_observed=min(max(row.count, 1), 999_999_999),
        object_refs=[sco.id],
        labels=["scanner", "benign"],
        **common,
    )
    return [sco, seen]


def _technique_ref(t: str) -> dict[str, str]:
    url = "https://attack.mitre.org/techniques/" + t.replace(".", "/") + "/"
    return {"source_name": "mitre-attack", "external_id": t, "url": url}


def bundle_dict(results: list[ScanResult], tlp: str = "amber", organisation: str = "Reporting organisation") -> dict[str, Any]:
    """The STIX 2.1 bundle as plain JSON data (see the module docstring)."""
    bundle_id, objects = _bundle(results, tlp, organisation, datetime.now(UTC))
    return {"type": "bundle", "id": bundle_id, "objects": list(objects)}


def _bundle(
    results: list[ScanResult], tlp: str, organisation: str, now: datetime
) -> tuple[str, Iterator[dict[str, Any]]]:
    """The bundle's id and its objects, made one at a time as they are asked for.

    Why a stream: the objects that grow with the evidence (an indicator, a sighting and its
    relationships per attacker value) are written one by one by :func:`write_stix`, never held
    together: 16,000 web shells made a 145 MB bundle that was built and serialised whole. The
    report's ``object_refs`` are the only thing kept (ids), and it comes last.
    """
    report_id = _id("report", *sorted({server_name(r) for r in results}), now.isoformat())
    return _id("bundle", report_id), _objects(results, tlp, organisation, now, report_id)


def _objects(
    results: list[ScanResult], tlp: str, organisation: str, now: datetime, report_id: str
) -> Iterator[dict[str, Any]]:
    marking = tlp_marking(tlp)
    marks = [marking.id]
    org = stix2.Identity(
        id=_id("identity", "org", organisation), name=organisation, identity_class="organization", object_marking_refs=marks
    )
    common: dict[str, Any] = {"created_by_ref": org.id, "object_marking_refs": marks}
    objects: list[Any] = [marking, org]
    systems: dict[str, stix2.Identity] = {}
    for r in results:
        name = server_name(r)
        systems[name] = stix2.Identity(
            id=_id("identity", "system", name),
            name=f"Exchange server {name}",
            identity_class="system",
            description=f"Verdict: {r.verdict.value}. {r.verdict_reason}".strip(),
            **common,
        )
    objects.extend(systems.values())
    techniques: dict[str, stix2.AttackPattern] = {}
    vulns: dict[str, stix2.Vulnerability] = {}
    rows = collect_indicators(results)
    for row in rows:
        if not row.actionable:
            continue  # a scanner's checks say nothing about what the attacker used
        for t in row.attack:
            if t not in techniques:
                techniques[t] = stix2.AttackPattern(
                    id=_id("attack-pattern", t), name=f"MITRE ATT&CK {t}", external_references=[_technique_ref(t)], **common
                )
        for c in row.cves:
            if c not in vulns:
                vulns[c] = stix2.Vulnerability(
                    id=_id("vulnerability", c),
                    name=c,
                    external_references=[{"source_name": "cve", "external_id": c, "url": f"https://www.cve.org/CVERecord?id={c}"}],
                    **common,
                )
    for r in results:
        for f in r.findings:
            if f.outcome not in ATTACKER_OUTCOMES:
                continue  # "this build is open to …" or a scanner's check: not what the attacker used
            for c in f.cves:
                if c not in vulns:
                    vulns[c] = stix2.Vulnerability(
                        id=_id("vulnerability", c), name=c, external_references=[{"source_name": "cve", "external_id": c}], **common
                    )
    objects.extend(techniques.values())
    objects.extend(vulns.values())
    made_at = _stamp(now)
    plain = {"spec_version": "2.1", "created_by_ref": org.id, "created": made_at, "modified": made_at}
    technique_ids = {t: ap.id for t, ap in techniques.items()}  # stix2 attribute access: ~5 µs each
    system_ids = {name: ident.id for name, ident in systems.items()}
    kept: list[tuple[IndicatorRow, str, str]] = []  # (row, indicator id, first seen) of the indicators
    for row in rows:
        if row.role is Role.SCANNER and row.type == "ip":
            observed = _scanner_observation(row, now, common)
            if observed:
                objects.extend(observed)
            continue
        if row.actionable and pattern_for(row) is not None:
            kept.append((row, _id("indicator", row.type, row.value), _stamp(row.first_seen or now)))
    refs: list[str] = []  # every id but the marking's, for the report
    for obj in objects:
        fixed: dict[str, Any] = json.loads(obj.serialize())
        if fixed["type"] != "marking-definition":
            refs.append(fixed["id"])
        yield fixed
    objects.clear()
    for row, ind_id, first in kept:
        made = pattern_for(row)
        assert made is not None
        pattern, name = made
        refs.append(ind_id)
        yield {
            "type": "indicator", **plain, "id": ind_id,
            "name": name,
            "description": row.context(),
            "indicator_types": ["malicious-activity"] if set(row.outcomes) & {"success", "webshell", "attempt"} else ["anomalous-activity"],
            "pattern": pattern,
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": first,
            "labels": sorted({*row.outcomes, "exchange"}),
            "object_marking_refs": marks,
        }
    for row, ind_id, _first in kept:
        for t in row.attack:
            rel_id = _id("relationship", ind_id, "indicates", t)
            refs.append(rel_id)
            yield {
                "type": "relationship", **plain, "id": rel_id,
                "relationship_type": "indicates", "source_ref": ind_id, "target_ref": technique_ids[t],
                "object_marking_refs": marks,
            }
    for t, ap in techniques.items():
        for c in sorted({c for row in rows if row.actionable and t in row.attack for c in row.cves}):
            rel_id = _id("relationship", t, "targets", c)
            refs.append(rel_id)
            yield {
                "type": "relationship", **plain, "id": rel_id,
                "relationship_type": "targets", "source_ref": ap.id, "target_ref": vulns[c].id,
                "object_marking_refs": marks,
            }
    for row, ind_id, first in kept:
        seen_on = [system_ids[s] for s in row.servers if s in system_ids]
        sighting_id = _id("sighting", ind_id)
        refs.append(sighting_id)
        yield {
            "type": "sighting", **plain, "id": sighting_id,
            "first_seen": first,
            "last_seen": max(first, _stamp(row.last_seen or row.first_seen or now)),  # fixed-width: text order is time order
            "count": min(max(row.count, 1), 999_999_999),
            "sighting_of_ref": ind_id,
            "where_sighted_refs": seen_on or [org.id],
            "object_marking_refs": marks,
        }
    yield {
        "type": "report", **plain, "id": report_id,
        "name": report_title(results) + ": " + ", ".join(f"{server_name(r)} ({r.verdict.value})" for r in results),
        "report_types": ["indicator", "attack-pattern", "vulnerability"],
        "published": made_at,
        "object_refs": refs,
        "object_marking_refs": marks,
    }


def build_bundle(results: list[ScanResult], tlp: str = "amber", organisation: str = "Reporting organisation") -> stix2.Bundle:
    """The bundle as :mod:`stix2` objects, every object and pattern validated by the library (slow on
    big cases: for tests and callers that want the objects)."""
    return stix2.parse(bundle_dict(results, tlp, organisation), allow_custom=False)


def _stamp(when: datetime) -> str:
    """A STIX timestamp: UTC, milliseconds, ``Z``."""
    t = when.astimezone(UTC) if when.tzinfo else when
    return t.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"  # strftime: 3x slower


def write_stix(results: list[ScanResult], dest: Path, tlp: str = "amber") -> int:
    """Write the bundle object by object (bounded memory); the bytes are those of
    ``outputs.json_bytes(bundle_dict(...))``. Returns the number of objects."""
    return write_bundle(dest, *_bundle(results, tlp, "Reporting organisation", datetime.now(UTC)))


def write_bundle(dest: Path, bundle_id: str, objects: Iterator[dict[str, Any]]) -> int:
    """``{"type": "bundle", "id": ..., "objects": [...]}`` indented as :func:`outputs.json_bytes` does,
    each object serialised alone and indented one level deeper (JSON strings hold no raw newline)."""
    count = 0
    with outputs.open_output(dest, "wb") as fh:
        fh.write(b'{\n  "type": "bundle",\n  "id": ' + outputs.json_bytes(bundle_id) + b',\n  "objects": [')
        for obj in objects:
            fh.write((b",\n    " if count else b"\n    ") + outputs.json_bytes(obj).replace(b"\n", b"\n    "))
            count += 1
        fh.write(b"\n  ]\n}\n" if count else b"]\n}\n")
    return count
