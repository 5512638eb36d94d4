"""A MISP event (JSON) built with :class:`pymisp.MISPEvent` — no MISP server needed; import it in
MISP with "Add event from JSON" or load it with ``MISPEvent.load_file``.

Attributes for attacker IPs, user agents and URL paths; a ``file`` object per web shell / dropped
file (path, name, SHA-256); the CVEs as ``vulnerability`` attributes; TLP and ATT&CK as tags.
Only attacker evidence is actionable (``to_ids``): scanner addresses and user agents are kept with
``to_ids: false``, a comment and an ``extriage:role`` tag saying so; our own probe, internal addresses
and victim names are left out, as in the STIX export.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, date, datetime
from pathlib import Path

from pymisp import MISPEvent, MISPObject

from extriage import outputs
from extriage.findings import Outcome, ScanResult, Verdict
from extriage.report.indicators import collect_indicators
from extriage.report.redact import is_internal_ip
from extriage.response.facts import file_identity, server_name
from extriage.response.roles import ATTACKER_OUTCOMES, Role
from extriage.safetext import surrogates_as_escapes

#: MISP threat levels: 1 high, 2 medium, 3 low, 4 undefined.
_THREAT = {Verdict.COMPROMISED: 1, Verdict.ATTEMPTED: 2, Verdict.NO_EVIDENCE: 3, Verdict.INCONCLUSIVE: 4,
           Verdict.ERROR: 4}


def build_event(results: list[ScanResult], tlp: str = "amber") -> MISPEvent:
    event = MISPEvent()
    names = ", ".join(f"{server_name(r)} ({r.verdict.value})" for r in results)
    event.info = f"Exchange compromise triage (extriage): {names}"
    worst = min((_THREAT.get(r.verdict, 4) for r in results), default=4)
    event.threat_level_id = worst
    event.analysis = 1  # ongoing
    event.distribution = 0  # your organisation only, until the sharer decides otherwise
    event.date = date.today()
    event.add_tag(f"tlp:{tlp}")
    for t in sorted({t for r in results for f in r.findings for t in f.attack}):
        event.add_tag(f"mitre-attack:{t}")
    rows = collect_indicators(results)
    for row in rows:
        if row.role not in (Role.ATTACKER, Role.SCANNER):
            continue  # our own probe, internal addresses, context: they name us, not the attacker
        comment = (row.context() if row.actionable else f"{row.role_note()} — {row.context()}")[:1000]
        first = row.first_seen
        last = row.last_seen
        attr = None
        if row.type == "ip":
            try:
                ipaddress.ip_address(row.value)
            except ValueError:
                continue
            if is_internal_ip(row.value):
                continue
            attr = event.add_attribute("ip-src", row.value, comment=comment, to_ids=row.actionable, first_seen=first, last_seen=last)
        elif row.type == "user-agent":
            attr = event.add_attribute("user-agent", row.value, comment=comment, to_ids=False, first_seen=first, last_seen=last)
        elif row.type == "url-path" and row.actionable:
            attr = event.add_attribute("uri", row.value, comment=comment, to_ids=False, first_seen=first, last_seen=last)
        for a in attr if isinstance(attr, list) else [attr] if attr is not None else []:
            a.add_tag(f'extriage:role="{row.role.value}"')
    # One file object per file the attacker placed (web shells, files read and hashed), whatever path
    # form named it (the local path and a hash win over the admin-share form); a process image an
    # event names (cmd.exe) is context, not a file object.
    attacker_files = {file_identity(x.value) for x in rows if x.type == "file-path" and x.actionable}
    placed: dict[str, tuple[str, str, str]] = {}  # identity -> (path, sha256, comment)
    for r in results:
        for f in r.findings:
            if f.outcome not in ATTACKER_OUTCOMES:
                continue
            ind = f.indicators
            comment = f"{f.title} ({f.outcome.value}, {server_name(r)} {f.id})"[:1000]
            for i, path in enumerate(ind.paths):
                sha = ind.hashes[i] if i < len(ind.hashes) else (ind.hashes[0] if len(ind.hashes) == 1 else "")
                key = file_identity(path)
                if key not in attacker_files:
                    continue
                old = placed.get(key)
                if old is None:
                    placed[key] = (path, sha.lower(), comment)
                else:
                    better = old[0] if not old[0].startswith("\\\\") or path.startswith("\\\\") else path
                    placed[key] = (better, old[1] or sha.lower(), old[2] if old[1] or not sha else comment)
            if not ind.paths:
                for sha in ind.hashes:
                    placed.setdefault(sha.lower(), ("", sha.lower(), f"{f.title} ({server_name(r)} {f.id})"[:1000]))
    files: dict[str, MISPObject] = {}
    for key, (path, sha, comment) in placed.items():
        if path and sha and sha in placed and not placed[sha][0]:
            del files[sha]  # a hash seen alone belongs to this file
        obj = MISPObject("file", standalone=False)
        if path:
            norm = path.replace("/", "\\")
            obj.add_attribute("filename", norm.rpartition("\\")[2] or norm, to_ids=False)
            obj.add_attribute("path", norm, to_ids=False)
        if sha:
            obj.add_attribute("sha256", sha, to_ids=True)
        obj.comment = comment
        files[key] = obj
    for obj in files.values():
        event.add_object(obj)
    # CVEs the activity involved; "this build is open to …" notes (INFO) describe the victim, not the attack
    for cve in sorted({c for r in results for f in r.findings if f.outcome is not Outcome.INFO for c in f.cves}):
        event.add_attribute("vulnerability", cve, to_ids=False)
    event.add_attribute(
        "comment",
        f"Generated by extriage on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from offline scan results; TLP:{tlp.upper()}.",
        to_ids=False,
    )
    return event


def write_misp(results: list[ScanResult], dest: Path, tlp: str = "amber") -> int:
    event = build_event(results, tlp)
    try:
        text = event.to_json(indent=2)
    except TypeError:  # orjson refuses lone surrogates (bytes of a non-UTF-8 file name): keep them as \udcNN
        from pymisp.abstract import pymisp_json_default

        text = json.dumps(event, default=pymisp_json_default, indent=2, ensure_ascii=False)
    outputs.write_text(dest, surrogates_as_escapes(text) + "\n")
    return len(event.attributes) + len(event.objects)
