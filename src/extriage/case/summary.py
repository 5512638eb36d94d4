"""What the case keeps of one scan result besides the result itself: the server's summary columns,
its finding rows, the indicators compared across servers and its attack stories.

Everything is derived by the report's own fact extraction (:func:`extriage.response.facts.derive_facts`),
so the case and the per-server report name the same attacker addresses, web shells and open CVEs.
"""

from __future__ import annotations

import hashlib
import ntpath
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import orjson
import zstandard

from extriage.findings import ScanResult
from extriage.response.facts import derive_facts
from extriage.response.roles import ATTACKER_OUTCOMES


def value_key(value: str) -> str:
    """The indexed key of an indicator value (a hash: values may be kilobytes of user agent)."""
    return hashlib.sha1(value.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def evidence_key(evidence: str) -> str:
    """One key per evidence source: its path as the scan recorded it (absolute, resolved)."""
    return hashlib.sha256(evidence.encode("utf-8", "surrogatepass")).hexdigest()


def server_display_name(hostname: str, evidence: str) -> str:
    """The host name from the evidence, else the evidence folder's (or file's) name."""
    if hostname:
        return hostname
    path = evidence.rstrip("/\\")
    name = PurePosixPath(path).name if "/" in path else ntpath.basename(path)
    return name or evidence or "(unknown server)"


def name_key(name: str) -> str:
    """Lower-case short host name: ``EXCH01.corp.example`` and ``exch01`` are the same server."""
    return name.strip().lower().split(".", 1)[0][:255]


@dataclass(slots=True)
class Indicator:
    type: str
    value: str
    first_seen: datetime | None


@dataclass(slots=True)
class ScanSummary:
    """The ``servers`` columns a scan sets, and its child rows."""

    columns: dict[str, Any]
    findings: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class StoredScan:
    """A scan result as the case stores it: its summary and rows, and the full result as zstd-compressed
    JSON. Made where the scan ran (a worker process), so the process writing the case only inserts
    rows, and what travels back from a worker is bytes and plain rows, not the result's object graph."""

    summary: ScanSummary
    blob: bytes
    name: str
    verdict: str


#: Encoding of :attr:`StoredScan.blob` (the ``results.encoding`` column).
BLOB_ENCODING = "zstd+json"


def prepare(result: ScanResult) -> StoredScan:
    """Summarise ``result`` and compress its JSON (see :class:`StoredScan`)."""
    summary = summarize(result)
    blob = zstandard.ZstdCompressor(level=3).compress(orjson.dumps(result.to_dict()))
    return StoredScan(summary, blob, str(summary.columns["name"]), result.verdict.value)


def summarize(result: ScanResult) -> ScanSummary:
    facts = derive_facts(result)
    patch = facts.patch
    open_cves = sorted({c.id for c in patch.vulnerable()}) if patch else []
    mitigations = [[title, state] for title, state in facts.mitigation]
    attacker = [f for f in result.findings if f.outcome in ATTACKER_OUTCOMES]
    name = server_display_name(result.hostname, result.evidence_path)
    columns: dict[str, Any] = {
        "evidence": result.evidence_path,
        "evidence_key": evidence_key(result.evidence_path),
        "name": name,
        "name_key": name_key(name),
        "hostname": result.hostname,
        "layout": result.layout,
        "verdict": result.verdict.value,
        "verdict_reason": result.verdict_reason,
        "waves": {k: v.value for k, v in result.waves.items()},
        "first_activity": facts.first_attacker,
        "last_activity": facts.last_attacker,
        "build": (patch.build if patch else "")[:64],
        "product": " ".join(p for p in ((patch.product, patch.level) if patch else ()) if p),
        "open_cves": open_cves,
        "mitigations": mitigations,
        "findings_count": len(result.findings),
        "attacker_findings": len(attacker),
        "max_severity": max((int(f.severity) for f in result.findings), default=0),
        "webshells": len(facts.webshells),
        "attacker_ips": len(facts.attacker_ips),
        "scanned_at": result.finished or result.started,
        "tool_version": result.tool_version[:32],
        "error": None,
    }
    rows = [
        {
            "finding_id": f.id[:16],
            "rule_id": f.rule_id[:128],
            "title": f.title,
            "severity": int(f.severity),
            "confidence": int(f.confidence),
            "outcome": f.outcome.value,
            "wave": f.wave[:32],
            "cves": ",".join(f.cves),
            "first_seen": f.first_seen,
            "last_seen": f.last_seen,
            "count": f.count,
        }
        for f in result.findings
    ]
    indicators: dict[tuple[str, str], Indicator] = {}

    def add(kind: str, value: str, when: datetime | None) -> None:
        if value and (kind, value) not in indicators:
            indicators[(kind, value)] = Indicator(kind, value, when)

    for ip in facts.attacker_ips:
        add("ip", ip, None)
    for ua in facts.user_agents:
        add("user_agent", ua, None)
    for shell in facts.webshells:
        base = ntpath.basename(shell.path.replace("/", "\\").split("?", 1)[0]).lower()
        add("webshell", base, shell.first_seen)
        add("sha256", shell.sha256.lower(), shell.first_seen)
    stories = [
        {
            "wave": s.wave[:32],
            "title": s.title,
            "outcome": s.outcome.value,
            "first_seen": s.first_seen,
            "last_seen": s.last_seen,
            "client_ips": list(s.client_ips),
        }
        for s in result.stories
    ]
    return ScanSummary(columns, rows, list(indicators.values()), stories)
