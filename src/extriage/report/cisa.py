"""An incident report draft pre-filled from the scan, following the facts CISA's incident reporting
form asks for (https://www.cisa.gov/report): contact and organisation, systems affected, when it
started and was detected, impact, attack vector, indicators, actions taken. Placeholders are marked
``[FILL IN: …]`` so nothing unverified is submitted by accident.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from extriage import outputs
from extriage.evidence.locate import path_key
from extriage.findings import ScanResult, Verdict
from extriage.report.indicators import SHAREABLE, collect_indicators
from extriage.report.markdown import md_code, md_text
from extriage.report.summary import ransomware_sentence, summary_paragraph, when
from extriage.response.facts import Facts, derive_facts

#: Where Exchange serves pages from, as path keys (``/`` separators, lower case) and URL paths: a web
#: shell there was placed into Exchange itself. FrontEnd\\HttpProxy and ClientAccess pages (and their
#: virtual directories' URLs) run in Exchange's ``MSExchange*AppPool`` pools, whose identity is
#: LocalSystem (OTRF's Sysmon capture of a ProxyLogon shell: ``w3wp.exe -ap "MSExchangeOWAAppPool"``,
#: user ``NT AUTHORITY\\SYSTEM``); Default Web Site's ``aspnet_client``, where ProxyLogon's shells were
#: dropped too, is Exchange's site but not one of those pools.
_POOL_FOLDERS = ("/frontend/httpproxy/", "/clientaccess/")
_POOL_URLS = (
    "/owa/", "/ecp/", "/ews/", "/oab/", "/mapi/", "/rpc/", "/autodiscover/", "/powershell/",
    "/microsoft-server-activesync/",
)
_SITE_FOLDER = "/inetpub/wwwroot/aspnet_client/"
_SITE_URL = "/aspnet_client/"


def _in_exchange(path: str, *, pools_only: bool) -> bool:
    """Whether a web shell's path (or the URL it was requested at) is one of Exchange's pages."""
    if path.startswith("/"):  # a shell seen only as a requested URL
        low = path.lower()
        return low.startswith(_POOL_URLS) or (not pools_only and low.startswith(_SITE_URL))
    key = "/" + path_key(path)
    return any(f in key for f in _POOL_FOLDERS) or (not pools_only and _SITE_FOLDER in key)


def _application(facts: list[Facts]) -> str:
    """What was exploited: Exchange, unless the only signs of compromise are web shells outside
    Exchange's folders and no Exchange vulnerability was attacked (a MOVEit or other page on the same
    IIS) - then the reporter names it, with the first such shell as the lead."""
    shells = [w.path for f in facts for w in f.webshells]
    if any(f.attacked_cves for f in facts) or not shells or any(
        _in_exchange(p, pools_only=False) for p in shells
    ):
        return "Microsoft Exchange Server"
    return f"[FILL IN: the application; web shells were found outside Exchange's web folders, e.g. {md_code(shells[0])}]"


def _shell_rights(facts: list[Facts]) -> str:
    """Whose rights a web shell runs with: SYSTEM is Exchange's pools' identity, not every site's."""
    shells = [w.path for f in facts for w in f.webshells]
    if all(_in_exchange(p, pools_only=True) for p in shells):
        return "as SYSTEM (the identity of Exchange's application pools)"
    return ("with the rights of the application pool that serves each one "
            "([FILL IN: the pool's identity; Exchange's own pools run as LocalSystem])")


def render_cisa(results: list[ScanResult], tlp: str = "amber") -> str:
    now = datetime.now(UTC)
    facts = [derive_facts(r) for r in results]
    compromised = [f.server for f, r in zip(facts, results, strict=True) if r.verdict is Verdict.COMPROMISED]
    firsts = [f.first_attacker for f in facts if f.first_attacker is not None]
    lasts = [f.last_attacker for f in facts if f.last_attacker is not None]
    detected = [t for t in (r.finished or r.started for r in results) if t is not None]
    cves = sorted({c for f in facts for c in f.attacked_cves})  # attacked, not merely unpatched
    out = [
        f"**TLP:{tlp.upper()}** — draft incident report, prepared {when(now)} by extriage. Review every line before submitting at https://www.cisa.gov/report.",
        "",
        "# Incident report (draft)",
        "",
        "## 1. Reporting organisation and contact",
        "- Organisation name: [FILL IN: legal name]",
        "- Sector / critical infrastructure sector: [FILL IN]",
        "- Address, state/country: [FILL IN]",
        "- Point of contact: [FILL IN: name, role, phone, e-mail reachable outside the affected mail system]",
        "- Incident response provider (if any): [FILL IN]",
        "",
        "## 2. Incident summary",
        f"- Status: {'confirmed compromise on ' + ', '.join(md_text(s) for s in compromised) if compromised else 'no confirmed compromise (attempts or no evidence) — report only if your policy requires'}",
        f"- Type: exploitation of a public-facing application ({_application(facts)})"
        + (f"; vulnerabilities {', '.join(cves)}" if cves else "")
        + ("; followed by ransomware (files encrypted, MITRE ATT&CK T1486)" if any(f.ransomware for f in facts) else ""),
        f"- Activity first observed: {when(min(firsts)) if firsts else '[FILL IN: not determined from the logs]'}",
        f"- Activity last observed: {when(max(lasts)) if lasts else '[FILL IN]'}",
        f"- Detected: {when(min(detected)) if detected else '[FILL IN]'} (offline triage with extriage)",
        "- Still ongoing?: [FILL IN: yes / no / unknown]",
        "",
        "## 3. Systems affected",
    ]
    for f, r in zip(facts, results, strict=True):
        build = ""
        if f.patch is not None:
            build = f"; build {f.patch.build} {f.patch.product} {f.patch.level}".rstrip()
        out.append(f"- {md_text(f.server)}: verdict {r.verdict.value}{md_text(build)}")
        out.append(f"  - {md_text(summary_paragraph(r, f))}")
    out += [
        "- Operating system / role / location: [FILL IN: e.g. Windows Server 2016, on-premises Exchange mailbox server]",
        "",
        "## 4. Impact",
        "- Functional impact: [FILL IN: none / degraded / loss of service]",
        "- Information impact: [FILL IN: none / suspected / confirmed exfiltration of mailbox data or credentials]",
    ]
    post = sorted({t for f in facts for t in f.techniques})
    if post:
        out.append(f"- Techniques observed (MITRE ATT&CK): {', '.join(post)}")
    if any(f.webshells for f in facts):
        n = sum(len(f.webshells) for f in facts)
        out.append(f"- Web shells were placed on the server ({n} file(s)), giving the attacker remote code execution {_shell_rights(facts)}.")
    for f in facts:
        if f.ransomware:
            out.append(f"- Ransomware on {md_text(f.server)}: {md_text(ransomware_sentence(f))} "
                       "Functional impact likely: check backups and which data the encrypted files held.")
            for t in f.ransomware[:20]:
                out.append(f"  - {md_code(t.path)} — {md_text(t.title)}")
            if len(f.ransomware) > 20:
                out.append(f"  - … {len(f.ransomware) - 20} more in the HTML report.")
    out += ["", "## 5. Indicators of compromise", ""]
    every = [x for x in collect_indicators(results) if x.type in SHAREABLE]
    rows = [x for x in every if x.actionable]  # attacker evidence only
    if rows:
        out += ["| type | value | first seen | last seen |", "|---|---|---|---|"]
        for x in rows[:200]:
            out.append(f"| {x.type} | {md_code(x.value, table=True)} | {when(x.first_seen) if x.first_seen else ''} | {when(x.last_seen) if x.last_seen else ''} |")
        if len(rows) > 200:
            out.append(f"\n{len(rows) - 200} more in indicators.csv / the STIX bundle.")
    else:
        out.append("No attacker indicators were extracted.")
    left = Counter(x.role for x in every if not x.actionable)
    if left:
        named = ", ".join(f"{n} {role.value}" for role, n in sorted(left.items()))
        out += ["", f"Not attacker indicators, left out of this table ({named}; role column of indicators.csv): "
                "vulnerability scanners, extriage's own probe, internal or redacted addresses of this network, and "
                "programs the attack used but did not place."]
    out += [
        "",
        "## 6. Actions taken",
        f"- {when(min(detected)) if detected else '[date]'}: evidence collected and triaged offline with extriage (file hashes recorded in the report).",
        "- [FILL IN: server isolated at …]",
        "- [FILL IN: memory and disk images taken at …]",
        "- [FILL IN: credentials reset (incl. krbtgt twice) at …]",
        "- [FILL IN: security update installed at …]",
        "",
        "## 7. Other",
        "- Reported to other parties (law enforcement, regulators, insurer): [FILL IN]",
        "- Attachments: STIX bundle (stix-bundle.json), indicators.csv, HTML report.",
        "",
    ]
    return "\n".join(out)


def write_cisa(results: list[ScanResult], dest: Path, tlp: str = "amber") -> None:
    outputs.write_text(dest, render_cisa(results, tlp))
