"""Apply log rules to parsed lines and fold the hits into findings and timeline events.

Used by worker processes (one file each): memory stays bounded because a finding keeps at most
:data:`MAX_EVIDENCE` raw lines and :data:`MAX_EVENTS` timeline events per group, counting the rest.
A group is (rule, case, outcome, the rule's ``group_by`` field values), so 10,000 scanner probes
from one address are one finding with ``count=10000``, not 10,000 findings.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime

from extriage.detections.logrules import Classification, LogRule
from extriage.detections.rulefinding import finding_from_rule
from extriage.findings import EvidenceLine, Finding, Indicators, TimelineEvent
from extriage.formats.families import FAMILIES as LOG_FAMILIES

#: Families whose lines are web requests (timeline rows of kind "request").
_WEB_REQUESTS = frozenset(f.id for f in LOG_FAMILIES.values() if f.web_requests)

MAX_EVIDENCE = 20
MAX_EVENTS = 500
MAX_RAW = 16 * 1024

GroupKey = tuple[str, str, str, tuple[str, ...]]


class _Default(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render_summary(template: str, fields: dict[str, str], fallback: str) -> str:
    if not template:
        return fallback
    try:
        return template.format_map(_Default(fields))
    except (ValueError, IndexError, KeyError):
        return fallback


def cap_raw(text: str) -> str:
    if len(text) <= MAX_RAW:
        return text
    return text[:MAX_RAW] + f" [... {len(text) - MAX_RAW:,} more characters cut]"


@dataclass(slots=True)
class Group:
    finding: Finding
    events: list[TimelineEvent] = field(default_factory=list)


@dataclass(slots=True)
class HitCollector:
    """Findings and events of one file (or one pass), grouped."""

    groups: dict[GroupKey, Group] = field(default_factory=dict)

    def add(self, rule: LogRule, cls: Classification, fields: dict[str, str], raw: str, source: str,
            lineno: int, ts: datetime | None, sha256: str | None = None, family: str = "") -> None:
        case = cls.case
        key: GroupKey = (rule.id, case.id, cls.outcome.value, tuple(fields.get(g, "") for g in rule.group_by))
        group = self.groups.get(key)
        if group is None:
            group = Group(finding_from_rule(
                rule, case, cls.outcome, tags=[f"case:{case.id}", f"family:{family}", *rule.tags, *case.tags]
            ))
            self.groups[key] = group
        f = group.finding
        f.count += 1
        f.touch(ts)
        ind = Indicators()
        for kind, names in rule.indicators.items():
            values: list[str] = getattr(ind, kind)
            for n in names:
                v = fields.get(n, "").strip()
                if kind == "client_ips":
                    v = client_ip(v)  # a junk field (attacker-controlled bytes) is never an "attacker IP"
                if v and v not in values:
                    values.append(v)
        f.indicators.merge(ind)
        if len(f.evidence) < MAX_EVIDENCE:
            kept = {k: v for k, v in fields.items() if v and not k.startswith("_")}
            f.evidence.append(EvidenceLine(source, lineno, cap_raw(raw), kept, ts, sha256))
        if ts is not None and len(group.events) < MAX_EVENTS:
            summary = render_summary(rule.timeline, fields, case.title)
            ips = rule.indicators.get("client_ips", [])
            group.events.append(TimelineEvent(
                timestamp=ts, source=source, line=lineno, kind="request" if family in _WEB_REQUESTS else "log",
                summary=f"[{case.title}] {summary}", client_ip=client_ip(fields.get(ips[0], "")) if ips else "", raw=cap_raw(raw),
            ))

    def merge(self, other: dict[GroupKey, Group]) -> None:
        for key, g in other.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = g
                continue
            f, o = mine.finding, g.finding
            f.count += o.count
            f.touch(o.first_seen)
            f.touch(o.last_seen)
            f.indicators.merge(o.indicators)
            # keep the EARLIEST lines of both sides, not whichever worker finished first: the same
            # evidence gives the same report whatever the number of workers
            f.evidence = sorted(
                f.evidence + o.evidence,
                key=lambda e: (e.timestamp is None, e.timestamp or datetime.min, e.source, e.line or 0),
            )[:MAX_EVIDENCE]
            mine.events = sorted(
                mine.events + g.events, key=lambda e: (e.timestamp, e.source, e.line or 0)
            )[: MAX_EVENTS * 4]


def client_ip(value: str) -> str:
    """The canonical IP address in a client-address field (``1.2.3.4``, ``1.2.3.4:5678``,
    ``[::1]:443``, ``::1``), or "" when the field holds no address."""
    text = value.strip()
    if not text or len(text) > 64:
        return ""
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for c in candidates:
        try:
            return str(ipaddress.ip_address(c))
        except ValueError:
            continue
    return ""


def set_file_hash(groups: dict[GroupKey, Group], source: str, sha256: str) -> None:
    """Fill in the file hash on evidence lines once the whole file has been read and hashed."""
    for g in groups.values():
        for e in g.finding.evidence:
            if e.source == source and e.sha256 is None:
                e.sha256 = sha256
