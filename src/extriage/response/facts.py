"""Facts derived once from a scan result and shared by the plan and every report format.

Sections written by other stages (``extras["patch"]``, ``extras["mitigation"]``, ``activity``) are
read defensively: a missing or differently shaped section yields ``None``/empty, never an error.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extriage.findings import Finding, Outcome, ScanResult, utc

#: Evidence a full triage reads, and the coverage family names (prefixes) that show it was read.
EXPECTED_SOURCES: dict[str, tuple[str, ...]] = {
    "HttpProxy logs": ("httpproxy",),
    "IIS logs": ("iis",),
    "ECP server logs": ("ecp",),
    "OABGenerator logs": ("oabgen",),
    "Windows event logs": ("evtx", "events", "event"),
    "web folders (web shells)": ("webfiles",),
}

#: Outcomes that mean the finding involves the attacker (not a background scanner).
ATTACKER_OUTCOMES = {Outcome.SUCCESS, Outcome.WEBSHELL, Outcome.ATTEMPT}


@dataclass(slots=True)
class WebShell:
    path: str
    sha256: str
    finding_id: str
    first_seen: datetime | None


@dataclass(slots=True)
class CveLine:
    id: str
    wave: str
    status: str
    known_exploited: bool
    fixed_by: str  # "KB5000871 (15.1.2176.9, Mar21SU)" or ""
    fix_build: str = ""  # "15.1.2176.9": orders the fixes


@dataclass(slots=True)
class PatchSummary:
    build: str
    product: str
    level: str  # "CU21 Mar21SU"
    support: str
    cves: list[CveLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The patch knowledge's own advice ("Move to CU22 first …, then install …"), shown as given.
    recommendation: list[str] = field(default_factory=list)

    def vulnerable(self) -> list[CveLine]:
        return [c for c in self.cves if c.status.startswith("vulnerable")]

    def recommended_update(self) -> str:
        """The one update that closes every open CVE: the highest fix needed, since Exchange CUs and
        SUs are cumulative (the first CVE's fix alone would leave the later waves open)."""
        fixes = [c for c in self.vulnerable() if c.fixed_by]
        return max(fixes, key=lambda c: _build_key(c.fix_build)).fixed_by if fixes else ""


def _build_key(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(".")) if text else ()
    except ValueError:
        return ()


@dataclass(slots=True)
class Facts:
    server: str
    attacker_ips: list[str]
    first_attacker: datetime | None
    last_attacker: datetime | None
    webshells: list[WebShell]
    accounts: list[str]
    user_agents: list[str]
    cves: list[str]  # every CVE named by a finding, including "this build is open to …" notes
    techniques: list[str]
    patch: PatchSummary | None
    mitigation: list[tuple[str, str]]
    retention: list[tuple[str, datetime | None, datetime | None]]  # family, first, last
    not_covered: list[str] = field(default_factory=list)  # EXPECTED_SOURCES keys with nothing read
    #: CVEs of findings that involve the attacker (success, web shell, attempt): what was attacked,
    #: as opposed to what the build is merely open to.
    attacked_cves: list[str] = field(default_factory=list)


def server_name(result: ScanResult) -> str:
    return result.hostname or result.evidence_path or "(unknown server)"


def derive_facts(result: ScanResult) -> Facts:
    ips: list[str] = []
    accounts: list[str] = []
    uas: list[str] = []
    cves: list[str] = []
    attacked: list[str] = []
    techniques: list[str] = []
    first: datetime | None = None
    last: datetime | None = None

    seen: set[tuple[int, str]] = set()

    def add(target: list[str], values: list[str]) -> None:
        for v in values:
            if v and (id(target), v) not in seen:
                seen.add((id(target), v))
                target.append(v)

    for story in result.stories:
        if story.outcome in ATTACKER_OUTCOMES:
            add(ips, story.client_ips)
            first, last = widen(first, last, story.first_seen, story.last_seen)
    webshells: list[WebShell] = []
    seen_shells: set[str] = set()
    for f in result.findings:
        add(cves, f.cves)
        add(techniques, f.attack)
        add(accounts, f.indicators.accounts)
        if f.outcome not in ATTACKER_OUTCOMES:
            continue
        add(attacked, f.cves)
        add(ips, f.indicators.client_ips)
        add(uas, f.indicators.user_agents)
        first, last = widen(first, last, f.first_seen, f.last_seen)
        if f.outcome is Outcome.WEBSHELL:
            for ws in _webshells(f):
                if ws.path.lower() not in seen_shells:
                    seen_shells.add(ws.path.lower())
                    webshells.append(ws)
    ips = [ip for ip in ips if not _local(ip)]
    retention = [(name, fam.first, fam.last) for name, fam in sorted(result.coverage.families.items())]
    return Facts(
        server=server_name(result),
        attacker_ips=ips,
        first_attacker=first,
        last_attacker=last,
        webshells=webshells,
        accounts=accounts,
        user_agents=uas,
        cves=sorted(cves),
        techniques=sorted(techniques),
        patch=patch_summary(result.extras.get("patch")),
        mitigation=mitigation_rows(result.extras.get("mitigation")),
        retention=retention,
        not_covered=not_covered(result),
        attacked_cves=sorted(attacked),
    )


def not_covered(result: ScanResult) -> list[str]:
    """Kinds of evidence a full triage reads that this scan read nothing of (0 files and 0 lines)."""
    read = [name.lower() for name, fam in result.coverage.families.items() if fam.files or fam.lines]
    return [label for label, prefixes in EXPECTED_SOURCES.items() if not any(r.startswith(prefixes) for r in read)]


def _local(ip: str) -> bool:
    """Loopback / unspecified addresses: the server talking to itself (e.g. the proxied back-end
    request of an SSRF), never an address to block or hunt for."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return addr.is_loopback or addr.is_unspecified


def widen(
    first: datetime | None, last: datetime | None, a: datetime | None, b: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """First/last seen widened to include ``a`` and ``b`` (either may be missing)."""
    for ts in (utc(a), utc(b)):
        if ts is None:
            continue
        if first is None or ts < first:
            first = ts
        if last is None or ts > last:
            last = ts
    return first, last


def _webshells(f: Finding) -> list[WebShell]:
    """Web shell files of a finding: its file paths, else the URL paths requested (a shell seen only
    in the web logs). Never the log file the evidence came from."""
    paths = f.indicators.paths or f.indicators.urls
    hashes = f.indicators.hashes if f.indicators.paths else []
    out = []
    for i, path in enumerate(paths):
        sha = hashes[i] if i < len(hashes) else (hashes[0] if len(hashes) == 1 else "")
        out.append(WebShell(path, sha, f.id, f.first_seen))
    return out


# -- sections written by other stages -----------------------------------------------------------
def patch_summary(section: Any) -> PatchSummary | None:
    """Read the patch stage's section: an ``Assessment.to_dict()`` either at the top or nested one
    level down (e.g. under ``assessment``), next to an optional ``build``."""
    if not isinstance(section, dict):
        return None
    assessment = section
    if "cves" not in section:
        nested = [v for v in section.values() if isinstance(v, dict) and "cves" in v]
        if not nested:
            return None
        assessment = nested[0]
    cves = []
    for c in assessment.get("cves") or []:
        if not isinstance(c, dict):
            continue
        fixed = c.get("fixed_by")
        fixed_text = ""
        fix_build = str(fixed.get("build") or "") if isinstance(fixed, dict) else ""
        if isinstance(fixed, dict):
            parts = [str(fixed.get(k)) for k in ("kb", "build", "name") if fixed.get(k)]
            fixed_text = parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "") if parts else ""
        elif fixed:
            fixed_text = str(fixed)
        cves.append(
            CveLine(
                id=str(c.get("id", "")),
                wave=str(c.get("wave", "")),
                status=str(c.get("status", "unknown")),
                known_exploited=bool(c.get("known_exploited", False)),
                fixed_by=fixed_text,
                fix_build=fix_build,
            )
        )
    build = section.get("build", assessment.get("build", ""))
    if isinstance(build, dict):
        build = build.get("text") or ".".join(str(build.get(k)) for k in ("major", "minor", "build", "revision") if build.get(k) is not None)
    level = " ".join(str(assessment.get(k)) for k in ("cu", "su") if assessment.get(k))
    return PatchSummary(
        build=str(build or ""),
        product=str(assessment.get("product", "")),
        level=level,
        support=str(assessment.get("support", "")),
        cves=cves,
        notes=[str(n) for n in assessment.get("notes") or []],
        recommendation=[str(n) for n in assessment.get("recommendation") or [] if n],
    )


def mitigation_rows(section: Any) -> list[tuple[str, str]]:
    """The mitigation stage's checks as (title, "state — reason") rows; other shapes are flattened."""
    if isinstance(section, dict) and isinstance(section.get("mitigations"), list):
        rows = []
        for m in section["mitigations"]:
            if isinstance(m, dict):
                title = str(m.get("title") or m.get("id") or "mitigation")
                state = str(m.get("state", "unknown"))
                reason = _short(m.get("reason", ""))
                rows.append((title, f"{state} — {reason}" if reason else state))
        return rows
    return flatten(section)


def flatten(section: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """A section of unknown shape as (key, value) rows, two levels deep, for generic display."""
    rows: list[tuple[str, str]] = []
    if section is None:
        return rows
    if isinstance(section, dict):
        for k, v in section.items():
            key = f"{prefix}{k}"
            if isinstance(v, (dict, list)) and depth < 2:
                rows.extend(flatten(v, key + ".", depth + 1))
            else:
                rows.append((key, _short(v)))
    elif isinstance(section, list):
        for i, v in enumerate(section):
            key = f"{prefix}{i}"
            if isinstance(v, (dict, list)) and depth < 2:
                rows.extend(flatten(v, key + ".", depth + 1))
            else:
                rows.append((key, _short(v)))
    else:
        rows.append((prefix.rstrip(".") or "value", _short(section)))
    return rows


def _short(v: Any, limit: int = 500) -> str:
    text = "" if v is None else str(v)
    return text if len(text) <= limit else text[:limit] + "…"
