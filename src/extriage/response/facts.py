"""Facts derived once from a scan result and shared by the plan and every report format.

Sections written by other stages (``extras["patch"]``, ``extras["mitigation"]``, ``activity``) are
read defensively: a missing or differently shaped section yields ``None``/empty, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extriage.findings import Finding, Outcome, ScanResult, utc
from extriage.formats.families import FAMILIES as LOG_FAMILIES
from extriage.memo import memoized
from extriage.response.accounts import AccountSplit, split_accounts
from extriage.response.roles import ATTACKER_OUTCOMES, Role, is_internal_address, is_self_address, role_of

#: Evidence a full triage reads, and the coverage family names (prefixes) that show it was read.
EXPECTED_SOURCES: dict[str, tuple[str, ...]] = {
    **{f.expected_label: (f.id,) for f in LOG_FAMILIES.values() if f.expected_label},
    "Windows event logs": ("evtx", "events", "event"),
    "web folders (web shells)": ("webfiles",),
}

#: ATT&CK technique of ransomware ("Data Encrypted for Impact").
RANSOMWARE_TECHNIQUE = "T1486"


@dataclass(slots=True)
class WebShell:
    """One web shell file, whatever the findings called it: ``aliases`` holds the other names of
    the same file (the admin-share path ``\\\\localhost\\c$\\…``, the URL it was requested at)."""

    path: str
    sha256: str
    finding_id: str
    first_seen: datetime | None
    aliases: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RansomTrace:
    """A file ransomware left: an encrypted file or a ransom note."""

    path: str
    sha256: str
    finding_id: str
    first_seen: datetime | None
    title: str
    kind: str = "encrypted"  # "encrypted" (or renamed) file, or ransom "note"


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
    #: Internal (private, CGNAT, link-local) addresses in attacker findings: a load balancer, a proxy
    #: or an internal machine — worth a look inside, never an indicator to share.
    internal_ips: list[str] = field(default_factory=list)
    #: Files encrypted by ransomware and ransom notes (findings with ATT&CK T1486).
    ransomware: list[RansomTrace] = field(default_factory=list)
    #: ``accounts`` split into user accounts to reset and other identities (with why).
    account_split: AccountSplit = field(default_factory=lambda: AccountSplit([], []))
    #: The evidence shows an IIS that serves no Exchange application and no Exchange install (a SharePoint
    #: or other web server scanned for web shells): the plan then speaks of the server, not of Exchange.
    exchange_absent: bool = False


def server_name(result: ScanResult) -> str:
    return result.hostname or result.evidence_path or "(unknown server)"


def derive_facts(result: ScanResult) -> Facts:
    """The facts of one result (computed once per rendering: :mod:`extriage.memo`)."""
    return memoized(("facts", id(result)), lambda: _derive_facts(result), result)


def _derive_facts(result: ScanResult) -> Facts:
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

    carriers: dict[str, list[Finding]] = {}
    for f in result.findings:
        for ip in f.indicators.client_ips:
            carriers.setdefault(ip, []).append(f)
    for story in result.stories:
        if story.outcome in ATTACKER_OUTCOMES:
            add(ips, story.client_ips)
            first, last = widen(first, last, story.first_seen, story.last_seen)
    shells: list[tuple[str, str, Finding]] = []  # (path or URL, sha256, finding)
    ransomware: list[RansomTrace] = []
    created: set[str] = set()
    for f in result.findings:
        add(cves, f.cves)
        add(techniques, f.attack)
        if f.outcome is not Outcome.SCANNER:
            add(accounts, f.indicators.accounts)
        if any(t.upper().startswith(("T1136",)) for t in f.attack):
            created |= _created_accounts(f)
        if f.outcome not in ATTACKER_OUTCOMES:
            continue
        add(attacked, f.cves)
        add(ips, f.indicators.client_ips)
        add(uas, f.indicators.user_agents)
        first, last = widen(first, last, f.first_seen, f.last_seen)
        if f.outcome is Outcome.WEBSHELL:
            shells.extend(_webshells(f))
        if any(t.upper().startswith(RANSOMWARE_TECHNIQUE) for t in f.attack):
            ransomware.extend(_ransom_traces(f))
    # roles: an address is the attacker's only when an attacker finding that is not our own probe's
    # carries it (a story's address without findings is kept); internal addresses are listed apart
    public = [ip for ip in ips if not is_internal_address(ip)
              and (ip not in carriers or role_of("ip", ip, carriers[ip]) is Role.ATTACKER)]
    internal = [ip for ip in ips if is_internal_address(ip) and not is_self_address(ip)]
    uas = [ua for ua in uas if role_of("user-agent", ua, ()) is not Role.OWN_PROBE]
    retention = [(name, fam.first, fam.last) for name, fam in sorted(result.coverage.families.items())]
    return Facts(
        server=server_name(result),
        attacker_ips=public,
        first_attacker=first,
        last_attacker=last,
        webshells=merge_webshells(shells),
        accounts=accounts,
        user_agents=uas,
        cves=sorted(cves),
        techniques=sorted(techniques),
        patch=patch_summary(result.extras.get("patch")),
        mitigation=mitigation_rows(result.extras.get("mitigation")),
        retention=retention,
        not_covered=not_covered(result),
        attacked_cves=sorted(attacked),
        internal_ips=internal,
        ransomware=ransomware,
        account_split=split_accounts(accounts, {c.lower() for c in created}),
        exchange_absent=runs_no_exchange(result),
    )


def runs_no_exchange(result: ScanResult) -> bool:
    """``extras["server_role"]`` (the logs stage's) says the server runs no Exchange."""
    role = result.extras.get("server_role")
    return isinstance(role, dict) and role.get("exchange") == "absent"


def _created_accounts(f: Finding) -> set[str]:
    """Accounts an account-creation finding created: the events' ``TargetUserName``."""
    out: set[str] = set()
    for e in f.evidence:
        name = e.fields.get("TargetUserName") if isinstance(e.fields, dict) else None
        if isinstance(name, str) and name.strip() not in ("", "-"):
            out.add(name.strip())
    return out


def not_covered(result: ScanResult) -> list[str]:
    """Kinds of evidence a full triage reads that this scan read nothing of (0 files and 0 lines)."""
    read = [name.lower() for name, fam in result.coverage.families.items() if fam.files or fam.lines]
    return [label for label, prefixes in EXPECTED_SOURCES.items() if not any(r.startswith(prefixes) for r in read)]


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


def _webshells(f: Finding) -> list[tuple[str, str, Finding]]:
    """Web shell files of a finding: its file paths, else the URL paths requested (a shell seen only
    in the web logs). Never the log file the evidence came from."""
    paths = f.indicators.paths or f.indicators.urls
    hashes = f.indicators.hashes if f.indicators.paths else []
    out = []
    for i, path in enumerate(paths):
        sha = hashes[i] if i < len(hashes) else (hashes[0] if len(hashes) == 1 else "")
        out.append((path, sha, f))
    return out


def _ransom_traces(f: Finding) -> list[RansomTrace]:
    hashes = f.indicators.hashes
    out = []
    for i, path in enumerate(f.indicators.paths or [e.source for e in f.evidence[:1]]):
        sha = hashes[i] if i < len(hashes) else (hashes[0] if len(hashes) == 1 else "")
        kind = "note" if "note" in f"{f.rule_id} {f.title}".lower() else "encrypted"
        out.append(RansomTrace(path, sha, f.id, f.first_seen, f.title, kind))
    return out


#: ``\\host\c$\rest`` (an admin-share path, e.g. the ProxyShell export to ``\\localhost\c$``).
_ADMIN_SHARE = re.compile(r"^\\\\[^\\]+\\([A-Za-z])\$\\(.*)$")


def file_identity(path: str) -> str:
    """One key for one file however a source wrote it: admin-share paths become local paths,
    separators and case are normalised (Windows paths are case-insensitive)."""
    p = path.strip().strip("'\"").replace("/", "\\")
    m = _ADMIN_SHARE.match(p)
    if m:
        p = f"{m.group(1)}:\\{m.group(2)}"
    return p.lower()


def merge_webshells(entries: list[tuple[str, str, Finding]]) -> list[WebShell]:
    """One :class:`WebShell` per file: the same file under its local path, its admin-share path and
    the URL it was requested at counts once (the URL joins the file it is served from when one of the
    files' paths ends with it; a URL no file explains stays a shell of its own)."""
    files: dict[str, WebShell] = {}
    urls: list[tuple[str, str, Finding]] = []
    for path, sha, f in entries:
        if path.startswith("/"):
            urls.append((path, sha, f))
            continue
        key = file_identity(path)
        ws = files.get(key)
        if ws is None:
            # a local path reads better than the admin-share form; the share form becomes an alias
            files[key] = WebShell(path, sha, f.id, f.first_seen)
            continue
        if not path.startswith("\\\\") and ws.path.startswith("\\\\"):
            ws.aliases.append(ws.path)
            ws.path = path
        elif path != ws.path and path not in ws.aliases:
            ws.aliases.append(path)
        ws.sha256 = ws.sha256 or sha
        if f.first_seen is not None and (ws.first_seen is None or f.first_seen < ws.first_seen):
            ws.first_seen = f.first_seen
    by_url: dict[str, WebShell] = {}
    for url, sha, f in urls:
        low = url.split("?", 1)[0].lower()
        tail = low.replace("/", "\\")
        match = next((ws for key, ws in files.items() if key.endswith(tail)), None) or by_url.get(low)
        if match is None:
            by_url[low] = WebShell(url, sha, f.id, f.first_seen)
            continue
        if url != match.path and url not in match.aliases:
            match.aliases.append(url)
        if f.first_seen is not None and (match.first_seen is None or f.first_seen < match.first_seen):
            match.first_seen = f.first_seen
    return [*files.values(), *by_url.values()]


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
