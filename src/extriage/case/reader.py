"""Reading the fleet from a case: the server table, counts, shared indicators, the fleet timeline.

One set of plain SQL queries over a DB-API connection (``sqlite3`` or ``psycopg``), used two ways:

- by :class:`extriage.case.store.CaseStore` (the dashboard, ``case report``, the tests), on the
  connection of its SQLAlchemy transaction;
- by ``extriage case status`` through :func:`open_reader`, which opens the case read-only without
  importing SQLAlchemy or Alembic: they were most of the command's start-up (docs/case.md, "Scale").

Writing, creating and migrating a case stay in :mod:`extriage.case.store` (SQLAlchemy + Alembic).
The tables are :mod:`extriage.case.models`; the queries name their columns, and ``tests/case`` checks
that both paths return the same documents on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from extriage.findings import iso

#: Indicator types compared across servers (``shared_indicators[].type``).
INDICATOR_TYPES: dict[str, str] = {
    "ip": "attacker address",
    "user_agent": "attacker user agent",
    "webshell": "web shell file name",
    "sha256": "web shell SHA-256",
}


class CaseError(Exception):
    """A case that cannot be used (missing, not a case, locked too long, unreachable); one sentence."""


class SchemaTooNew(CaseError):
    """The case was written by a newer extriage (its schema revision is unknown here)."""


class SchemaTooOld(CaseError):
    """The case has an older schema revision this extriage knows: it must be migrated (by the store)
    before it is read."""


# -- what the queries return ------------------------------------------------------------------
@dataclass(slots=True)
class ServerSummary:
    """One server's row: everything the fleet table, ``case status`` and the dashboard show."""

    id: int
    name: str
    evidence: str
    hostname: str
    layout: str
    verdict: str
    verdict_reason: str
    waves: dict[str, str]
    first_activity: datetime | None
    last_activity: datetime | None
    build: str
    product: str
    open_cves: list[str]
    mitigations: list[list[str]]
    exposure: str
    exposure_detail: dict[str, Any]
    priority: str
    priority_rank: int
    priority_reason: str
    priority_source: str
    findings: int
    attacker_findings: int
    max_severity: int
    webshells: int
    attacker_ips: int
    engine: str
    worker: str
    scanned_at: datetime | None
    tool_version: str
    error: str | None
    response_state: str
    response_by: str
    response_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``case status --json``: ``servers[]``)."""
        return {
            "id": self.id,
            "name": self.name,
            "evidence": self.evidence,
            "hostname": self.hostname,
            "verdict": self.verdict,
            "verdict_reason": self.verdict_reason,
            "waves": self.waves,
            "first_activity": iso(self.first_activity),
            "last_activity": iso(self.last_activity),
            "build": self.build,
            "product": self.product,
            "open_cves": self.open_cves,
            "mitigations": [{"mitigation": t, "state": s} for t, s in self.mitigations],
            "exposure": self.exposure,
            "exposure_detail": self.exposure_detail,
            "priority": self.priority,
            "priority_reason": self.priority_reason,
            "priority_source": self.priority_source,
            "findings": self.findings,
            "attacker_findings": self.attacker_findings,
            "webshells": self.webshells,
            "attacker_ips": self.attacker_ips,
            "scanned_by": {"engine": self.engine, "worker": self.worker},
            "scanned_at": iso(self.scanned_at),
            "tool_version": self.tool_version,
            "error": self.error,
            "response": {"state": self.response_state, "by": self.response_by, "at": iso(self.response_at)},
        }


@dataclass(slots=True)
class SharedIndicator:
    """An indicator seen on more than one server."""

    type: str  # a key of INDICATOR_TYPES
    value: str
    servers: list[str]
    server_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "label": INDICATOR_TYPES.get(self.type, self.type), "value": self.value,
                "servers": self.servers}


@dataclass(slots=True)
class FleetEvent:
    """One attack story of one server, a row of the fleet timeline."""

    time: datetime | None
    last: datetime | None
    server: str
    server_id: int
    wave: str
    title: str
    outcome: str
    client_ips: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"time": iso(self.time), "last": iso(self.last), "server": self.server, "wave": self.wave,
                "title": self.title, "outcome": self.outcome, "client_ips": self.client_ips}


# -- schema revision (no Alembic import) ----------------------------------------------------------
_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


def shipped_revisions() -> tuple[set[str], str]:
    """(every revision shipped, the head), read from the migration files' ``revision``/``down_revision``
    lines: opening a current case needs no Alembic import."""
    revs: dict[str, str | None] = {}
    folder = resources.files("extriage.case").joinpath("migrations", "versions")
    for entry in folder.iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        text = entry.read_text(encoding="utf-8")
        rev = _REVISION.search(text)
        down = _DOWN_REVISION.search(text)
        if rev:
            revs[rev.group(1)] = down.group(1) if down else None
    parents = {d for d in revs.values() if d}
    heads = [r for r in revs if r not in parents]
    if len(heads) != 1:
        raise CaseError(f"The shipped case migrations have {len(heads)} heads; this extriage installation is damaged.")
    return set(revs), heads[0]


# -- the case target --------------------------------------------------------------------------
def is_url(target: str) -> bool:
    """``--case`` names a database URL (else it is an SQLite file path)."""
    return "://" in target and target.split("://", 1)[0].replace("+", "").isalnum()


def redacted(target: str) -> str:
    """The target without its password, for messages."""
    if not is_url(target):
        return target
    parts = urlsplit(target)
    if parts.password:
        return target.replace(f":{parts.password}@", ":***@")
    return target


def check_sqlite_path(path: Path, shown: str, *, create: bool) -> None:
    """Refuse a missing case file (unless it is to be created), a folder, a missing parent folder."""
    if not path.exists():
        if not create:
            raise CaseError(f"There is no case at {shown} (create one with 'extriage case scan' or 'case add').")
        if not path.parent.is_dir():
            raise CaseError(f"Cannot create the case {shown}: the folder {path.parent} does not exist.")
    elif not path.is_file():
        raise CaseError(f"{shown} is not a file; --case takes an SQLite file or a postgresql:// URL.")


def _postgres_conninfo(target: str, shown: str) -> str:
    """A ``postgresql://`` URL (also ``postgres://``, ``postgresql+psycopg://``) as libpq connection info."""
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    backend, _, _driver = scheme.partition("+")
    if backend in ("postgresql", "postgres"):
        return urlunsplit(("postgresql", *parts[1:]))
    if not backend.isalnum():
        raise CaseError(f"{shown} is not a database URL (use a file path or postgresql://user@host/db).")
    raise CaseError(f"{shown}: a case is an SQLite file or a PostgreSQL database, not {backend}.")


# -- the queries ------------------------------------------------------------------------------
#: ``servers(sort=…)``: the ORDER BY of each sort key, as (column, descending) pairs; ``descending``
#: in the call reverses the first one.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "priority": (("priority_rank", False), ("max_severity", True), ("name", False)),
    "name": (("name", False),),
    "verdict": (("verdict", False), ("priority_rank", False), ("name", False)),
    "first_activity": (("first_activity", False), ("name", False)),
    "last_activity": (("last_activity", True), ("name", False)),
    "findings": (("findings_count", True), ("name", False)),
    "response": (("response_state", False), ("priority_rank", False), ("name", False)),
}

_SERVER_COLUMNS = (
    "id, name, evidence, hostname, layout, verdict, verdict_reason, waves, first_activity, last_activity, build, "
    "product, open_cves, mitigations, exposure, exposure_detail, priority, priority_rank, priority_reason, "
    "priority_source, findings_count, attacker_findings, max_severity, webshells, attacker_ips, engine, worker, "
    "scanned_at, tool_version, error, response_state, response_by, response_at"
)


class FleetReader:
    """The fleet's read queries on one DB-API connection (``sqlite3`` or ``psycopg``, ``dialect``
    ``"sqlite"`` or ``"postgresql"``). Database errors become one-sentence :class:`CaseError` s."""

    def __init__(self, dbapi: Any, dialect: str, shown: str) -> None:
        self.dbapi = dbapi
        self.dialect = dialect
        self.shown = shown
        if dialect == "sqlite":
            import sqlite3

            self._errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
        else:
            import psycopg

            self._errors = (psycopg.Error,)

    # plumbing ---------------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
        try:
            if self.dialect == "sqlite":
                import sqlite3

                cur = self.dbapi.cursor()
                cur.row_factory = sqlite3.Row
                try:
                    return list(cur.execute(sql, tuple(params)).fetchall())
                finally:
                    cur.close()
            from psycopg.rows import dict_row

            with self.dbapi.cursor(row_factory=dict_row) as pg:
                pg.execute(sql.replace("?", "%s"), tuple(params))
                return list(pg.fetchall())
        except self._errors as exc:
            raise case_error(self.shown, exc) from None

    def _ilike(self, column: str) -> str:
        # the same SQL SQLAlchemy's ilike() renders on each database
        return f"{column} ILIKE ? ESCAPE '\\'" if self.dialect == "postgresql" else f"lower({column}) LIKE lower(?) ESCAPE '\\'"

    def _filters(self, verdict: Sequence[str] | None, priority: Sequence[str] | None,
                 search: str | None) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for column, values in (("verdict", verdict), ("priority", priority)):
            if values:
                where.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if search:
            like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(f"({self._ilike('name')} OR {self._ilike('evidence')})")
            params.extend([like, like])
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def _page(self, limit: int | None, offset: int) -> tuple[str, list[Any]]:
        if limit is not None:
            return " LIMIT ? OFFSET ?", [max(0, limit), max(0, offset)]
        if offset:
            return (" LIMIT -1 OFFSET ?" if self.dialect == "sqlite" else " OFFSET ?"), [offset]
        return "", []

    # schema -----------------------------------------------------------------------------------
    def table_names(self) -> set[str]:
        if self.dialect == "sqlite":
            rows = self._rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        else:
            rows = self._rows("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {str(r["name"]) for r in rows}

    def revision(self) -> str | None:
        """The schema revision Alembic recorded, or None for a database it never touched."""
        if "alembic_version" not in self.table_names():
            return None
        revs = [str(r["version_num"]) for r in self._rows("SELECT version_num FROM alembic_version")]
        if len(revs) > 1:
            raise CaseError(f"The case records {len(revs)} schema revisions ({', '.join(revs)}); it is damaged or from a branch.")
        return revs[0] if revs else None

    # the fleet --------------------------------------------------------------------------------
    def servers(self, *, verdict: Sequence[str] | None = None, priority: Sequence[str] | None = None,
                search: str | None = None, sort: str = "priority", descending: bool = False,
                limit: int | None = None, offset: int = 0) -> list[ServerSummary]:
        """The fleet table, most urgent first by default. ``sort`` is a key of :data:`SORTS`."""
        order = SORTS.get(sort)
        if order is None:
            raise CaseError(f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}.")
        if descending:
            order = ((order[0][0], not order[0][1]), *order[1:])
        where, params = self._filters(verdict, priority, search)
        page, more = self._page(limit, offset)
        by = ", ".join(f"{c} DESC" if desc else c for c, desc in order)
        sql = f"SELECT {_SERVER_COLUMNS} FROM servers{where} ORDER BY {by}{page}"  # noqa: S608 - names and clauses from this module; values are bound
        rows = self._rows(sql, [*params, *more])
        return [server_summary(r) for r in rows]

    def server(self, server_id: int) -> ServerSummary | None:
        rows = self._rows(f"SELECT {_SERVER_COLUMNS} FROM servers WHERE id = ?", [server_id])  # noqa: S608 - names and clauses from this module; values are bound
        return server_summary(rows[0]) if rows else None

    def count_servers(self, *, verdict: Sequence[str] | None = None, priority: Sequence[str] | None = None,
                      search: str | None = None) -> int:
        where, params = self._filters(verdict, priority, search)
        return int(self._rows(f"SELECT count(*) AS n FROM servers{where}", params)[0]["n"])  # noqa: S608 - names and clauses from this module; values are bound

    def counts(self) -> dict[str, dict[str, int]]:
        """Servers per verdict, per priority and per response state (the dashboard's header)."""
        from extriage.case.priority import priorities

        out: dict[str, dict[str, int]] = {"verdict": {}, "priority": {p: 0 for p in priorities()}, "response_state": {}}
        for col in ("verdict", "priority", "response_state"):
            sql = f"SELECT {col} AS value, count(*) AS n FROM servers GROUP BY {col}"  # noqa: S608 - names and clauses from this module; values are bound
            for r in self._rows(sql):
                out[col][str(r["value"])] = int(r["n"])
        return out

    def shared_indicators(self, *, min_servers: int = 2, limit: int | None = 1000) -> list[SharedIndicator]:
        """Indicators seen on ``min_servers`` servers or more, most widespread first."""
        top = ("SELECT type, value_key, count(*) AS n FROM indicators GROUP BY type, value_key "
               "HAVING count(*) >= ? ORDER BY n DESC, type, value_key")
        params: list[Any] = [min_servers]
        if limit is not None:
            top += " LIMIT ?"
            params.append(max(0, limit))
        sql = (f"WITH shared AS ({top}) "  # noqa: S608 - names and clauses from this module; values are bound
               "SELECT s.type AS type, s.value_key AS value_key, i.value AS value, v.id AS id, v.name AS name "
               "FROM shared s JOIN indicators i ON i.type = s.type AND i.value_key = s.value_key "
               "JOIN servers v ON v.id = i.server_id ORDER BY s.n DESC, s.type, s.value_key, v.name")
        rows = self._rows(sql, params)
        found: dict[tuple[str, str], SharedIndicator] = {}
        for r in rows:
            key = (str(r["type"]), str(r["value_key"]))
            item = found.get(key)
            if item is None:
                item = found[key] = SharedIndicator(key[0], str(r["value"]), [])
            item.servers.append(str(r["name"]))
            item.server_ids.append(int(r["id"]))
        return list(found.values())

    def timeline(self, *, limit: int | None = 1000, server_id: int | None = None) -> list[FleetEvent]:
        """Attack stories of every server (or one), oldest first: the fleet timeline."""
        sql = ("SELECT st.first_seen AS first_seen, st.last_seen AS last_seen, st.wave AS wave, st.title AS title, "
               "st.outcome AS outcome, st.client_ips AS client_ips, st.server_id AS server_id, v.name AS name "
               "FROM stories st JOIN servers v ON v.id = st.server_id WHERE st.first_seen IS NOT NULL")
        params: list[Any] = []
        if server_id is not None:
            sql += " AND st.server_id = ?"
            params.append(server_id)
        sql += " ORDER BY st.first_seen, v.name"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        return [FleetEvent(timestamp(r["first_seen"]), timestamp(r["last_seen"]), str(r["name"]), int(r["server_id"]),
                           str(r["wave"]), str(r["title"]), str(r["outcome"]), list(json_value(r["client_ips"]) or []))
                for r in self._rows(sql, params)]


class CaseReader(FleetReader):
    """A case opened read-only for ``case status``: one connection, one snapshot of the case."""

    def close(self) -> None:
        try:
            self.dbapi.rollback()
        except self._errors:
            pass
        finally:
            self.dbapi.close()

    def __enter__(self) -> CaseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_reader(target: str, *, wait: float = 10.0) -> CaseReader:
    """Open the case at ``target`` to read it, without SQLAlchemy. Raises :class:`CaseError` when it
    is not a case, :class:`SchemaTooNew` for a newer extriage's case and :class:`SchemaTooOld` for an
    older schema revision (open it with the store, which migrates it)."""
    shown = redacted(target)
    if is_url(target):
        conninfo = _postgres_conninfo(target, shown)
        import psycopg

        try:
            conn = psycopg.connect(conninfo, connect_timeout=max(1, int(wait)))
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        except psycopg.Error as exc:
            raise case_error(shown, exc) from None
        reader = CaseReader(conn, "postgresql", shown)
    else:
        import sqlite3

        path = Path(target).expanduser().absolute()
        check_sqlite_path(path, shown, create=False)
        try:
            db = sqlite3.connect(str(path), timeout=max(wait, 0.0), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise case_error(shown, exc) from None
        reader = CaseReader(db, "sqlite", shown)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(max(wait, 0.0) * 1000)}")
            db.execute("PRAGMA query_only = ON")
            db.execute("BEGIN")  # one snapshot for every query of the status
        except sqlite3.Error as exc:
            reader.close()
            raise case_error(shown, exc) from None
    try:
        check_revision(reader, create=False)
    except BaseException:
        reader.close()
        raise
    return reader


def check_revision(reader: FleetReader, *, create: bool) -> str | None:
    """The case's revision when it is the head; raises for a newer one, a database that is not a case,
    or (``create`` False) no case at all. An older known revision raises :class:`SchemaTooOld`, and
    None is returned for an empty database that may be created."""
    known, head = shipped_revisions()
    current = reader.revision()
    if current == head:
        return current
    if current is not None and current not in known:
        raise SchemaTooNew(
            f"The case {reader.shown} uses schema revision {current}, written by a newer extriage; this "
            f"version knows revisions up to {head} — open it with that newer version."
        )
    if current is not None:
        raise SchemaTooOld(f"The case {reader.shown} uses the older schema revision {current}; it is upgraded to {head} when opened for writing.")
    if reader.table_names() - {"alembic_version"}:
        raise CaseError(f"{reader.shown} is a database but not an extriage case (it holds other tables).")
    if not create:
        raise CaseError(f"There is no case in {reader.shown} (create one with 'extriage case scan' or 'case add').")
    return None


# -- values as the two drivers give them --------------------------------------------------------
def timestamp(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps naive UTC text; PostgreSQL's timestamptz comes
    back in the session's time zone)."""
    if value is None:
        return None
    ts = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def json_value(value: Any) -> Any:
    """A JSON column's value (SQLite keeps the text, psycopg hands back the decoded value)."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def server_summary(r: Mapping[str, Any]) -> ServerSummary:
    return ServerSummary(
        id=int(r["id"]), name=r["name"], evidence=r["evidence"], hostname=r["hostname"], layout=r["layout"],
        verdict=r["verdict"], verdict_reason=r["verdict_reason"], waves=dict(json_value(r["waves"]) or {}),
        first_activity=timestamp(r["first_activity"]), last_activity=timestamp(r["last_activity"]), build=r["build"],
        product=r["product"], open_cves=list(json_value(r["open_cves"]) or []),
        mitigations=[list(x) for x in json_value(r["mitigations"]) or []],
        exposure=r["exposure"], exposure_detail=dict(json_value(r["exposure_detail"]) or {}), priority=r["priority"],
        priority_rank=r["priority_rank"], priority_reason=r["priority_reason"], priority_source=r["priority_source"],
        findings=r["findings_count"], attacker_findings=r["attacker_findings"], max_severity=r["max_severity"],
        webshells=r["webshells"], attacker_ips=r["attacker_ips"], engine=r["engine"], worker=r["worker"],
        scanned_at=timestamp(r["scanned_at"]), tool_version=r["tool_version"], error=r["error"],
        response_state=r["response_state"], response_by=r["response_by"], response_at=timestamp(r["response_at"]),
    )


def case_error(shown: str, exc: BaseException) -> CaseError:
    """A database error as one sentence about the case."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(exc).__name__
    low = text.lower()
    if "locked" in low or "busy" in low:
        return CaseError(f"The case {shown} is busy: another extriage command is writing to it and did not finish "
                         "within the wait time (try again, or give a longer --wait).")
    if "not a database" in low or "file is encrypted" in low or "malformed" in low:
        return CaseError(f"{shown} is not a readable SQLite case file ({text}).")
    if _is_driver_error(exc):
        return CaseError(f"Cannot use the case {shown}: {text}.")
    return CaseError(f"Cannot use the case {shown}: {type(exc).__name__}: {text}.")


def _is_driver_error(exc: BaseException) -> bool:
    """An operational or DB-API error (SQLAlchemy's wrappers of them, or the drivers' own)."""
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(names & {"OperationalError", "DBAPIError", "DatabaseError", "InterfaceError"})
