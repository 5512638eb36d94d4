"""Indicators gathered from findings of one or more servers, for the sharing exports.

One row per (type, value) with the time span it was seen in, the servers and the findings that carry
it, and its :class:`~extriage.response.roles.Role`: only ``attacker`` rows are actionable (MISP
``to_ids``, STIX indicators, the CISA table); scanner, own-probe and internal rows are labelled.
Every export (CSV, STIX, MISP, CISA) uses this one list so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from extriage.findings import Finding, Outcome, ScanResult
from extriage.memo import memoized
from extriage.response.facts import file_identity, server_name, widen
from extriage.response.roles import ROLE_NOTE, Role, role_of

#: Indicators.<field> -> indicator type in the exports.
TYPES = {
    "client_ips": "ip",
    "user_agents": "user-agent",
    "hashes": "sha256",
    "paths": "file-path",
    "urls": "url-path",
    "accounts": "account",
    "hosts": "host",
}
#: Types that identify the attacker or its tools; account and host name the victim instead.
SHAREABLE = {"ip", "user-agent", "sha256", "file-path", "url-path"}


@dataclass(slots=True)
class IndicatorRow:
    type: str
    value: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    servers: list[str] = field(default_factory=list)
    finding_ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    cves: list[str] = field(default_factory=list)
    attack: list[str] = field(default_factory=list)
    count: int = 0
    role: Role = Role.ATTACKER
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False)  # O(1) de-duplication
    _carriers: list[Finding] = field(default_factory=list, repr=False)
    _context: str | None = field(default=None, repr=False)  # every sharing format asks for it

    @property
    def actionable(self) -> bool:
        """Attacker evidence a partner may block or alert on (MISP ``to_ids``, a STIX indicator)."""
        return self.role is Role.ATTACKER

    def role_note(self) -> str:
        return ROLE_NOTE[self.role]

    def add(self, what: str, value: str) -> None:
        if value and (what, value) not in self._seen:
            self._seen.add((what, value))
            target: list[str] = getattr(self, what)
            target.append(value)
            self._context = None

    def context(self) -> str:
        if self._context is None:
            self._context = self._make_context()
        return self._context

    def _make_context(self) -> str:
        parts = [f"{', '.join(self.outcomes)} on {', '.join(self.servers)}"]
        parts.append("; ".join(self.titles[:5]) + (f" (+{len(self.titles) - 5} more)" if len(self.titles) > 5 else ""))
        if self.cves:
            parts.append(", ".join(self.cves))
        return " — ".join(p for p in parts if p)


def _identity(kind: str, value: str) -> str:
    """What makes two values the same indicator: hashes ignore case; a file is one file whatever
    path form named it (``\\\\localhost\\c$\\x.aspx`` is ``C:\\x.aspx``)."""
    if kind == "sha256":
        return value.lower()
    if kind == "file-path":
        return file_identity(value)
    return value


def collect_indicators(results: list[ScanResult], include_info: bool = False) -> list[IndicatorRow]:
    """Every indicator of ``results``, merged across findings and servers (computed once per
    rendering: :mod:`extriage.memo`)."""
    key = ("indicators", tuple(id(r) for r in results), include_info)
    return memoized(key, lambda: _collect_indicators(results, include_info), list(results))


def _collect_indicators(results: list[ScanResult], include_info: bool) -> list[IndicatorRow]:
    rows: dict[tuple[str, str], IndicatorRow] = {}
    for r in results:
        server = server_name(r)
        for f in r.findings:
            if f.outcome is Outcome.INFO and not include_info:
                continue
            for attr, kind in TYPES.items():
                for value in getattr(f.indicators, attr):
                    if not value:
                        continue
                    key = (kind, _identity(kind, value))
                    row = rows.get(key)
                    if row is None:
                        row = rows[key] = IndicatorRow(kind, value.lower() if kind == "sha256" else value)
                    elif kind == "file-path" and row.value.startswith("\\\\") and not value.startswith("\\\\"):
                        row.value = value  # one file: its local path rather than the admin-share path
                    row.first_seen, row.last_seen = widen(row.first_seen, row.last_seen, f.first_seen, f.last_seen)
                    row.add("servers", server)
                    row.add("finding_ids", f"{server}:{f.id}" if len(results) > 1 else f.id)
                    row.add("titles", f.title)
                    row.add("outcomes", f.outcome.value)
                    for c in f.cves:
                        row.add("cves", c)
                    for t in f.attack:
                        row.add("attack", t)
                    row.count += f.count
                    row._carriers.append(f)
    for row in rows.values():
        row.role = role_of(row.type, row.value, row._carriers)
        row._carriers = []
    order = list(TYPES.values())
    return sorted(rows.values(), key=lambda x: (order.index(x.type), x.first_seen or datetime.max.replace(tzinfo=UTC), x.value))

