"""A MISP event (MISP core JSON format) — no MISP server needed; import it in MISP with "Add event
from JSON" or load it with ``MISPEvent.load_file``.

Attributes for attacker IPs, user agents and URL paths; a ``file`` object per web shell / dropped
file (path, name, SHA-256); the CVEs as ``vulnerability`` attributes; TLP and ATT&CK as tags.
Only attacker evidence is actionable (``to_ids``): scanner addresses and user agents are kept with
``to_ids: false``, a comment and an ``extriage:role`` tag saying so; our own probe, internal addresses
and victim names are left out, as in the STIX export.

Why plain JSON: pymisp's ``MISPEvent.add_attribute``/``MISPObject`` cost a few milliseconds per
attribute (validation, change tracking, recursive ``to_dict``), minutes for 16,000 web shells. pymisp
still defines every fixed part — the event header, each attribute type's category and correlation
default, the ``file`` object template (uuid, version, relations' types and categories) — through one
prototype per type built once per run; the parts that grow with the evidence are plain dicts of the
same shape (tests load every exported event with pymisp and compare with pymisp's own rendering).
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from pymisp import MISPAttribute, MISPEvent, MISPObject

from extriage import outputs
from extriage.findings import Outcome, ScanResult, Verdict
from extriage.report.indicators import collect_indicators
from extriage.report.redact import is_internal_ip
from extriage.report.summary import report_title
from extriage.response.facts import file_identity, server_name
from extriage.response.roles import ATTACKER_OUTCOMES, Role
from extriage.safetext import surrogates_as_escapes

#: MISP threat levels: 1 high, 2 medium, 3 low, 4 undefined.
_THREAT = {Verdict.COMPROMISED: 1, Verdict.ATTEMPTED: 2, Verdict.NO_EVIDENCE: 3, Verdict.INCONCLUSIVE: 4,
           Verdict.ERROR: 4}

#: The ``file`` object's relations we fill, in the order they are written.
FILE_RELATIONS = ("filename", "path", "sha256")


@dataclass(frozen=True)
class PlannedAttribute:
    """One event attribute, before rendering (what goes in, not how MISP spells it)."""

    type: str
    value: str
    to_ids: bool
    comment: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedFile:
    """One ``file`` object: its relations (relation, value, to_ids) and comment."""

    relations: tuple[tuple[str, str, bool], ...]
    comment: str


@dataclass
class Plan:
    """Everything the event holds, in order: header fields, attributes, file objects."""

    info: str
    threat_level_id: int
    tags: list[str]
    attributes: list[PlannedAttribute] = field(default_factory=list)
    files: list[PlannedFile] = field(default_factory=list)


def plan_event(results: list[ScanResult], tlp: str = "amber") -> Plan:
    """What the event says about ``results``: the roles and de-duplication rules of docs/report.md."""
    names = ", ".join(f"{server_name(r)} ({r.verdict.value})" for r in results)
    tags = [f"tlp:{tlp}"] + [f"mitre-attack:{t}" for t in sorted({t for r in results for f in r.findings for t in f.attack})]
    plan = Plan(info=f"{report_title(results)} (extriage): {names}",
                threat_level_id=min((_THREAT.get(r.verdict, 4) for r in results), default=4), tags=tags)
    rows = collect_indicators(results)
    for row in rows:
        if row.role not in (Role.ATTACKER, Role.SCANNER):
            continue  # our own probe, internal addresses, context: they name us, not the attacker
        comment = (row.context() if row.actionable else f"{row.role_note()} — {row.context()}")[:1000]
        kind = ""
        to_ids = False
        if row.type == "ip":
            try:
                ipaddress.ip_address(row.value)
            except ValueError:
                continue
            if is_internal_ip(row.value):
                continue
            kind, to_ids = "ip-src", row.actionable
        elif row.type == "user-agent":
            kind = "user-agent"
        elif row.type == "url-path" and row.actionable:
            kind = "uri"
        if kind:
            plan.attributes.append(PlannedAttribute(kind, row.value, to_ids, comment, row.first_seen, row.last_seen,
                                                    (f'extriage:role="{row.role.value}"',)))
    plan.files = _files(results, {file_identity(x.value) for x in rows if x.type == "file-path" and x.actionable})
    # CVEs the activity involved; "this build is open to …" notes (INFO) describe the victim, not the attack
    for cve in sorted({c for r in results for f in r.findings if f.outcome is not Outcome.INFO for c in f.cves}):
        plan.attributes.append(PlannedAttribute("vulnerability", cve, False))
    plan.attributes.append(PlannedAttribute(
        "comment",
        f"Generated by extriage on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from offline scan results; TLP:{tlp.upper()}.",
        False,
    ))
    return plan


def _files(results: list[ScanResult], attacker_files: set[str]) -> list[PlannedFile]:
    """One file object per file the attacker placed (web shells, files read and hashed), whatever
    path form named it (the local path and a hash win over the admin-share form); a hash seen alone
    is its own object unless a path carries it. A process image an event names (cmd.exe) is context."""
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
    carried = {sha for path, sha, _ in placed.values() if path and sha}
    files: list[PlannedFile] = []
    for path, sha, comment in placed.values():
        if not path and sha in carried:
            continue  # a hash seen alone belongs to the file that carries it
        relations: list[tuple[str, str, bool]] = []
        if path:
            norm = path.replace("/", "\\")
            relations += [("filename", norm.rpartition("\\")[2] or norm, False), ("path", norm, False)]
        if sha:
            relations.append(("sha256", sha, True))
        files.append(PlannedFile(tuple(relations), comment))
    return files


@cache
def _attribute_defaults(kind: str) -> dict[str, Any]:
    """What pymisp gives an attribute of type ``kind`` (category, correlation), from one prototype."""
    proto = MISPAttribute()
    proto.from_dict(type=kind, value="x", to_ids=False)
    d = json.loads(proto.to_json())
    return {k: d[k] for k in ("category", "disable_correlation")}


@cache
def _file_template() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The ``file`` object's header (template uuid/version, meta-category, …) and each relation's
    type/category/correlation, from one pymisp prototype of the template."""
    proto = MISPObject("file", standalone=False)
    for rel in FILE_RELATIONS:
        proto.add_attribute(rel, "x", to_ids=False)
    d = json.loads(proto.to_json())
    header = {k: v for k, v in d.items() if k not in ("uuid", "Attribute", "comment")}
    relations = {a["object_relation"]: {k: a[k] for k in ("type", "category", "disable_correlation")}
                 for a in d["Attribute"]}
    return header, relations


def _seen(value: datetime) -> str:
    return (value if value.tzinfo else value.astimezone()).isoformat()  # as pymisp: a naive time is local


def _attribute(a: PlannedAttribute) -> dict[str, Any]:
    out: dict[str, Any] = {"uuid": str(uuid.uuid4())}
    if a.tags:
        out["Tag"] = [{"name": t} for t in a.tags]
    out |= {"type": a.type, "value": a.value.strip(), **_attribute_defaults(a.type), "to_ids": a.to_ids}
    if a.first_seen is not None:
        out["first_seen"] = _seen(a.first_seen)
    if a.last_seen is not None:
        out["last_seen"] = _seen(a.last_seen)
    if a.comment is not None:
        out["comment"] = a.comment.strip()
    return out


def _file_object(f: PlannedFile) -> dict[str, Any]:
    header, relations = _file_template()
    attrs = [{"uuid": str(uuid.uuid4()), "object_relation": rel, "value": value.strip(), **relations[rel], "to_ids": to_ids}
             for rel, value, to_ids in f.relations]
    return {**header, "uuid": str(uuid.uuid4()), "Attribute": attrs, "comment": f.comment.strip()}


def event_dict(results: list[ScanResult], tlp: str = "amber") -> dict[str, Any]:
    """The event in MISP core JSON (``{"Event": …}`` unwrapped, as pymisp's ``to_json`` writes it)."""
    plan, event = _event_head(results, tlp)
    event["Attribute"] = [_attribute(a) for a in plan.attributes]
    event["Object"] = [_file_object(f) for f in plan.files]
    return {k: v for k, v in event.items() if v != []}  # as pymisp: an empty list is left out


def _event_head(results: list[ScanResult], tlp: str) -> tuple[Plan, dict[str, Any]]:
    plan = plan_event(results, tlp)
    head = MISPEvent()
    head.info = plan.info
    head.threat_level_id = plan.threat_level_id
    head.analysis = 1  # ongoing
    head.distribution = 0  # your organisation only, until the sharer decides otherwise
    head.date = date.today()
    for t in plan.tags:
        head.add_tag(t)
    event: dict[str, Any] = json.loads(head.to_json())
    return plan, event


def build_event(results: list[ScanResult], tlp: str = "amber") -> MISPEvent:
    """The event as a :class:`MISPEvent` (for callers who want pymisp's API; slow on large events)."""
    event = MISPEvent()
    event.load(event_dict(results, tlp))
    return event


def write_misp(results: list[ScanResult], dest: Path, tlp: str = "amber") -> int:
    """Write the event with each attribute and file object serialised alone as it is made (16,000 web
    shells: the whole event's text was built, escaped and copied at once); the bytes are those of
    the whole :func:`event_dict` indented by two spaces."""
    plan, event = _event_head(results, tlp)
    lists = {"Attribute": (_attribute(a) for a in plan.attributes), "Object": (_file_object(f) for f in plan.files)}
    if plan.attributes:
        event["Attribute"] = _HOLE
    if plan.files:
        event["Object"] = _HOLE
    event = {k: v for k, v in event.items() if v != []}
    parts = _json(event).split(_json(_HOLE))
    with outputs.open_output(dest, "w") as fh:
        fh.write(parts[0])
        for key, part in zip((k for k, v in event.items() if v == _HOLE), parts[1:], strict=True):
            fh.write("[")
            for i, item in enumerate(lists[key]):
                fh.write((",\n    " if i else "\n    ") + _json(item).replace("\n", "\n    "))
            fh.write("\n  ]" + part)
        fh.write("\n")
    return len(plan.attributes) + len(plan.files)


#: stands for a list written item by item (no MISP value holds it: a NUL-delimited marker)
_HOLE = "\x00extriage-list\x00"


def _json(data: Any) -> str:
    """``data`` indented by two spaces, lone surrogates (non-UTF-8 file names) as ``\\udcNN`` escapes."""
    try:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    except TypeError:  # orjson refuses lone surrogates: the standard library writes the same text with them
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return surrogates_as_escapes(text)
