"""The case store: open (create, migrate, refuse a newer schema), add results, read the fleet.

One :class:`CaseStore` wraps one database: an SQLite file (the default; WAL, writes take the lock
at the start of their transaction and wait ``wait`` seconds for another writer) or PostgreSQL
(``postgresql://user@host/db``). Every write is one short transaction, so a crash keeps everything
added before it. The API is what ``extriage case`` and the dashboard use (docs/case.md).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import orjson
import sqlalchemy as sa
import zstandard
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from extriage.case import models as m
from extriage.case.priority import RESPONSE_STATES, ServerState, decide, priorities
from extriage.case.summary import INDICATOR_TYPES, ScanSummary, evidence_key, name_key, summarize, value_key
from extriage.findings import ScanResult, iso
from extriage.response.facts import mitigation_rows

#: Probe states that count as the build being known (``exposure`` of a server).
_BUILD_STATES = frozenset({"vulnerable", "vulnerable-unless-su", "patched", "mitigated", "not-affected"})
#: Rows per INSERT batch (1 M findings are inserted in batches, not one statement).
_BATCH = 5000


class CaseError(Exception):
    """A case that cannot be used (missing, not a case, locked too long, unreachable); one sentence."""


class SchemaTooNew(CaseError):
    """The case was written by a newer extriage (its schema revision is unknown here)."""


# -- what the API returns ---------------------------------------------------------------------
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
class FindingRow:
    server_id: int
    finding_id: str
    rule_id: str
    title: str
    severity: int
    confidence: int
    outcome: str
    wave: str
    cves: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    count: int


@dataclass(slots=True)
class SharedIndicator:
    """An indicator seen on more than one server."""

    type: str  # a key of extriage.case.summary.INDICATOR_TYPES
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


@dataclass(slots=True)
class ResponseEntry:
    server_id: int
    state: str
    by: str
    at: datetime
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "by": self.by, "at": iso(self.at), "note": self.note}


# -- opening ----------------------------------------------------------------------------------
def _is_url(target: str) -> bool:
    return "://" in target and target.split("://", 1)[0].replace("+", "").isalnum()


def engine_url(target: str) -> sa.URL:
    """``--case`` as an SQLAlchemy URL: a path is an SQLite file, ``postgresql://`` uses psycopg 3."""
    if not _is_url(target):
        return sa.URL.create("sqlite+pysqlite", database=str(Path(target).expanduser().absolute()))
    try:
        url = sa.make_url(target)
    except (sa.exc.ArgumentError, ValueError):
        raise CaseError(f"{_redacted(target)} is not a database URL (use a file path or postgresql://user@host/db).") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise CaseError(f"{_redacted(target)}: a case is an SQLite file or a PostgreSQL database, not {url.get_backend_name()}.")
    return url


def _redacted(target: str) -> str:
    """The target without its password, for messages."""
    if not _is_url(target):
        return target
    parts = urlsplit(target)
    if parts.password:
        return target.replace(f":{parts.password}@", ":***@")
    return target


def _script_location() -> str:
    return str(resources.files("extriage.case").joinpath("migrations"))


def _revisions() -> tuple[set[str], str]:
    """(every revision shipped, the head), read from the migration files' ``revision``/``down_revision``
    lines: opening a current case needs no Alembic import (a third of ``case status``'s start-up)."""
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


_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


def schema_head() -> str:
    """The schema revision this extriage writes."""
    return _revisions()[1]


def open_case(target: str, *, create: bool = True, readonly: bool = False, wait: float = 60.0) -> CaseStore:
    """Open the case at ``target`` (a file path or a database URL), creating and migrating it as
    needed. Raises :class:`CaseError` (one sentence) when it cannot be used, :class:`SchemaTooNew`
    when a newer extriage wrote it."""
    url = engine_url(target)
    shown = _redacted(target)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        path = Path(url.database or "")
        if not path.exists():
            if not create:
                raise CaseError(f"There is no case at {shown} (create one with 'extriage case scan' or 'case add').")
            if not path.parent.is_dir():
                raise CaseError(f"Cannot create the case {shown}: the folder {path.parent} does not exist.")
        elif not path.is_file():
            raise CaseError(f"{shown} is not a file; --case takes an SQLite file or a postgresql:// URL.")
    engine = _make_engine(url, wait, readonly and not create)
    store = CaseStore(engine, shown)
    try:
        store._prepare(create=create)
    except BaseException:
        engine.dispose()
        raise
    return store


def _make_engine(url: sa.URL, wait: float, readonly: bool) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": max(wait, 0.0), "check_same_thread": False},
                                  poolclass=sa.pool.NullPool)

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi: Any, record: Any) -> None:
            dbapi.isolation_level = None  # transactions are begun below, not by the driver
            cur = dbapi.cursor()
            cur.execute(f"PRAGMA busy_timeout = {int(max(wait, 0.0) * 1000)}")
            cur.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                cur.execute("PRAGMA journal_mode = WAL")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # a writer takes the lock at BEGIN and waits for it there (busy_timeout), so two writers
            # never deadlock half-way through a transaction
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": max(1, int(wait))})


class CaseStore:
    """One open case. Not thread-safe; open one per process (or per thread) instead."""

    def __init__(self, engine: Engine, shown: str) -> None:
        self.engine = engine
        self.shown = shown
        self._zstd_c = zstandard.ZstdCompressor(level=3)
        self._zstd_d = zstandard.ZstdDecompressor()

    # context manager ------------------------------------------------------------------------
    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    def _tx(self) -> Any:
        """A write (or read) transaction; database problems become :class:`CaseError`."""
        return _Tx(self)

    # schema -----------------------------------------------------------------------------------
    def _prepare(self, create: bool) -> None:
        known, head = _revisions()
        with self._tx() as conn:
            current = _current_revision(conn)
            if current == head:
                return
            if conn.dialect.name == "postgresql":  # one creator at a time
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7170011)")
                current = _current_revision(conn)
            if current is not None and current not in known:
                raise SchemaTooNew(
                    f"The case {self.shown} uses schema revision {current}, written by a newer extriage; this "
                    f"version knows revisions up to {head} — open it with that newer version."
                )
            if current == head:
                return
            tables = set(sa.inspect(conn).get_table_names())
            if current is None and tables - {"alembic_version"}:
                raise CaseError(f"{self.shown} is a database but not an extriage case (it holds other tables).")
            if current is None and not create:
                raise CaseError(f"There is no case in {self.shown} (create one with 'extriage case scan' or 'case add').")
            self._upgrade(conn)

    def _upgrade(self, conn: Connection) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", _script_location())
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    def revision(self) -> str | None:
        with self._tx() as conn:
            return _current_revision(conn)

    # writing ----------------------------------------------------------------------------------
    def add_scan(self, result: ScanResult, *, engine: str = "local", worker: str = "") -> int:
        """Store one scan result; the same evidence scanned again replaces its entry (the server keeps
        its id and response state). Returns the server id."""
        summary = summarize(result)
        blob = self._zstd_c.compress(orjson.dumps(result.to_dict()))
        with self._tx() as conn:
            return self._store_summary(conn, summary, blob, engine, worker)

    def add_result_dict(self, data: dict[str, Any], *, engine: str = "import", worker: str = "") -> int:
        """Store a scan result given as its JSON form (validated like ``extriage report`` does)."""
        from extriage.report.load import result_from_dict

        return self.add_scan(result_from_dict(data), engine=engine, worker=worker)

    def _store_summary(self, conn: Connection, summary: ScanSummary, blob: bytes, engine: str, worker: str) -> int:
        cols = dict(summary.columns)
        now = datetime.now(UTC)
        row = conn.execute(
            sa.select(m.servers.c.id, m.servers.c.response_state).where(m.servers.c.evidence_key == cols["evidence_key"])
        ).first()
        response_state = row.response_state if row else "open"
        cols.update(engine=engine[:16], worker=worker, updated_at=now)
        cols.update(self._exposure(conn, cols["name_key"], cols["hostname"]))
        cols.update(self._priority(cols, response_state))
        if row is None:
            cols.update(response_state="open", response_by="", response_at=None)
            server_id = int(conn.execute(sa.insert(m.servers).values(**cols).returning(m.servers.c.id)).scalar_one())
        else:
            server_id = int(row.id)
            conn.execute(sa.update(m.servers).where(m.servers.c.id == server_id).values(**cols))
            for table in (m.findings, m.indicators, m.stories, m.results):
                conn.execute(sa.delete(table).where(table.c.server_id == server_id))
        _insert_many(conn, m.findings, [{**f, "server_id": server_id} for f in summary.findings])
        _insert_many(conn, m.indicators, [
            {"server_id": server_id, "type": i.type, "value_key": value_key(i.value), "value": i.value, "first_seen": i.first_seen}
            for i in summary.indicators
        ])
        _insert_many(conn, m.stories, [{**s, "server_id": server_id} for s in summary.stories])
        conn.execute(sa.insert(m.results).values(server_id=server_id, encoding="zstd+json", data=blob))
        return server_id

    def add_error(self, evidence: str, message: str, *, name: str = "", engine: str = "local", worker: str = "") -> int:
        """Record that ``evidence`` could not be scanned. A server scanned before keeps its earlier
        result (the error is shown beside it); a new one is listed with the verdict ``error``."""
        from extriage.case.summary import server_display_name

        key = evidence_key(evidence)
        now = datetime.now(UTC)
        with self._tx() as conn:
            row = conn.execute(sa.select(m.servers.c.id).where(m.servers.c.evidence_key == key)).first()
            if row is not None:
                conn.execute(sa.update(m.servers).where(m.servers.c.id == row.id).values(
                    error=message, engine=engine[:16], worker=worker, updated_at=now))
                return int(row.id)
            shown = name or server_display_name("", evidence)
            cols: dict[str, Any] = {
                "evidence_key": key, "evidence": evidence, "name": shown, "name_key": name_key(shown), "hostname": "",
                "layout": "", "verdict": "error", "verdict_reason": message, "waves": {}, "build": "", "product": "",
                "open_cves": [], "mitigations": [], "findings_count": 0, "attacker_findings": 0, "max_severity": 0,
                "webshells": 0, "attacker_ips": 0, "scanned_at": now, "tool_version": "", "error": message,
                "engine": engine[:16], "worker": worker, "response_state": "open", "response_by": "", "updated_at": now,
            }
            cols.update(self._exposure(conn, cols["name_key"], ""))
            cols.update(self._priority(cols, "open"))
            return int(conn.execute(sa.insert(m.servers).values(**cols).returning(m.servers.c.id)).scalar_one())

    def add_probe(self, data: dict[str, Any]) -> list[int]:
        """Store an ``extriage probe --json`` result (one row per target; the same target again
        replaces it) and mark the servers it names with their exposure. Returns the linked server ids."""
        now = datetime.now(UTC)
        linked: list[int] = []
        with self._tx() as conn:
            for item in data.get("results") or []:
                if not isinstance(item, dict) or not item.get("target"):
                    continue
                target = str(item["target"])
                values: dict[str, Any] = {
                    "target_key": hashlib.sha256(target.lower().encode("utf-8", "surrogatepass")).hexdigest(),
                    "target": target,
                    "names": _probe_names(item),
                    "build": str(item.get("build") or "")[:64],
                    "worst_state": str(item.get("worst_state") or "")[:32],
                    "states": item.get("state") if isinstance(item.get("state"), dict) else {},
                    "data": item,
                    "added_at": now,
                }
                conn.execute(sa.delete(m.probes).where(m.probes.c.target_key == values["target_key"]))
                conn.execute(sa.insert(m.probes).values(**values))
                names: list[str] = values["names"]
                if names:
                    ids = conn.execute(sa.select(m.servers.c.id).where(m.servers.c.name_key.in_(names))).scalars()
                    linked.extend(int(i) for i in ids)
            for server_id in dict.fromkeys(linked):
                self._relink(conn, server_id)
        return list(dict.fromkeys(linked))

    def add_mitigation(self, data: dict[str, Any]) -> int | None:
        """Store an ``extriage mitigation verify --json`` result; it is shown for the server scanned
        from the same evidence (``source``). Returns that server's id, or None when none is in the case yet."""
        source = str(data.get("source") or "")
        key = evidence_key(source)
        states = {str(x.get("id")): str(x.get("state")) for x in data.get("mitigations") or [] if isinstance(x, dict)}
        rows = [[t, s] for t, s in mitigation_rows(data)]
        with self._tx() as conn:
            conn.execute(sa.delete(m.mitigation_results).where(m.mitigation_results.c.source_key == key))
            conn.execute(sa.insert(m.mitigation_results).values(
                source_key=key, source=source, states=states, data=data, added_at=datetime.now(UTC)))
            server = conn.execute(sa.select(m.servers.c.id).where(m.servers.c.evidence_key == key)).scalar()
            if server is None:
                return None
            conn.execute(sa.update(m.servers).where(m.servers.c.id == server).values(mitigations=rows))
            return int(server)

    def set_response_state(self, server_id: int, state: str, by: str, note: str = "") -> ResponseEntry:
        """Record a responder's decision (``open`` → ``disconnected`` → ``rebuilt``/``patched`` →
        ``cleared``) with time and name; the server's priority follows it."""
        if state not in RESPONSE_STATES:
            raise CaseError(f"Unknown response state {state!r}; use one of {', '.join(RESPONSE_STATES)}.")
        if not by.strip():
            raise CaseError("A response state is recorded with the name of who set it.")
        at = datetime.now(UTC)
        with self._tx() as conn:
            row = conn.execute(sa.select(m.servers).where(m.servers.c.id == server_id)).mappings().first()
            if row is None:
                raise CaseError(f"There is no server {server_id} in the case {self.shown}.")
            conn.execute(sa.insert(m.response_log).values(server_id=server_id, state=state, by=by.strip(), note=note, at=at))
            values: dict[str, Any] = {"response_state": state, "response_by": by.strip(), "response_at": at}
            values.update(self._priority(dict(row), state))
            conn.execute(sa.update(m.servers).where(m.servers.c.id == server_id).values(**values))
        return ResponseEntry(server_id, state, by.strip(), at, note)

    def _exposure(self, conn: Connection, key: str, hostname: str) -> dict[str, Any]:
        keys = {key, name_key(hostname)} - {""}
        best: dict[str, Any] | None = None
        for probe in conn.execute(sa.select(m.probes).order_by(m.probes.c.added_at)).mappings():
            if keys & set(probe["names"] or []):
                best = dict(probe)
        if best is None:
            return {"exposure": "", "exposure_detail": {}}
        return {
            "exposure": best["worst_state"],
            "exposure_detail": {"target": best["target"], "build": best["build"], "states": best["states"],
                                "probed": iso(best["added_at"])},
        }

    def _relink(self, conn: Connection, server_id: int) -> None:
        row = conn.execute(sa.select(m.servers).where(m.servers.c.id == server_id)).mappings().first()
        if row is None:
            return
        cols = dict(row)
        cols.update(self._exposure(conn, cols["name_key"], cols["hostname"]))
        cols.update(self._priority(cols, cols["response_state"]))
        conn.execute(sa.update(m.servers).where(m.servers.c.id == server_id).values(
            {k: cols[k] for k in ("exposure", "exposure_detail", "priority", "priority_rank", "priority_reason", "priority_source")}))

    @staticmethod
    def _priority(cols: dict[str, Any], response_state: str) -> dict[str, Any]:
        detail = cols.get("exposure_detail") or {}
        state = ServerState(
            verdict=str(cols["verdict"]),
            response_state=response_state,
            open_cves=tuple(cols.get("open_cves") or ()),
            exposure=str(cols.get("exposure") or ""),
            build_known=bool(cols.get("build")) or bool(detail.get("build")) or cols.get("exposure") in _BUILD_STATES,
        )
        p = decide(state)
        return {"priority": p.priority, "priority_rank": p.rank, "priority_reason": p.reason, "priority_source": p.source}

    # reading ----------------------------------------------------------------------------------
    def _filters(self, verdict: Sequence[str] | None, priority: Sequence[str] | None, search: str | None) -> list[Any]:
        where: list[Any] = []
        if verdict:
            where.append(m.servers.c.verdict.in_(list(verdict)))
        if priority:
            where.append(m.servers.c.priority.in_(list(priority)))
        if search:
            like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(sa.or_(m.servers.c.name.ilike(like, escape="\\"), m.servers.c.evidence.ilike(like, escape="\\")))
        return where

    _SORTS: ClassVar[dict[str, tuple[Any, ...]]] = {
        "priority": (m.servers.c.priority_rank, m.servers.c.max_severity.desc(), m.servers.c.name),
        "name": (m.servers.c.name,),
        "verdict": (m.servers.c.verdict, m.servers.c.priority_rank, m.servers.c.name),
        "first_activity": (m.servers.c.first_activity, m.servers.c.name),
        "last_activity": (m.servers.c.last_activity.desc(), m.servers.c.name),
        "findings": (m.servers.c.findings_count.desc(), m.servers.c.name),
        "response": (m.servers.c.response_state, m.servers.c.priority_rank, m.servers.c.name),
    }

    def servers(self, *, verdict: Sequence[str] | None = None, priority: Sequence[str] | None = None,
                search: str | None = None, sort: str = "priority", descending: bool = False,
                limit: int | None = None, offset: int = 0) -> list[ServerSummary]:
        """The fleet table, most urgent first by default. ``sort`` is a key of ``SORT_KEYS``."""
        order = self._SORTS.get(sort)
        if order is None:
            raise CaseError(f"Unknown sort {sort!r}; use one of {', '.join(self._SORTS)}.")
        if descending:
            order = tuple(c.desc() if hasattr(c, "desc") else c for c in order[:1]) + order[1:]
        q = sa.select(m.servers).where(*self._filters(verdict, priority, search)).order_by(*order).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self._tx() as conn:
            return [_summary(r) for r in conn.execute(q).mappings()]

    def count_servers(self, *, verdict: Sequence[str] | None = None, priority: Sequence[str] | None = None,
                      search: str | None = None) -> int:
        with self._tx() as conn:
            q = sa.select(sa.func.count()).select_from(m.servers).where(*self._filters(verdict, priority, search))
            return int(conn.execute(q).scalar_one())

    def counts(self) -> dict[str, dict[str, int]]:
        """Servers per verdict, per priority and per response state (the dashboard's header)."""
        out: dict[str, dict[str, int]] = {"verdict": {}, "priority": {p: 0 for p in priorities()}, "response_state": {}}
        with self._tx() as conn:
            for col in ("verdict", "priority", "response_state"):
                c = m.servers.c[col]
                for value, n in conn.execute(sa.select(c, sa.func.count()).group_by(c)):
                    out[col][str(value)] = int(n)
        return out

    def server(self, server_id: int) -> ServerSummary | None:
        with self._tx() as conn:
            row = conn.execute(sa.select(m.servers).where(m.servers.c.id == server_id)).mappings().first()
            return _summary(row) if row is not None else None

    def findings(self, server_id: int, *, limit: int | None = 500, offset: int = 0, min_severity: int = 0) -> list[FindingRow]:
        """A server's findings, worst first (the evidence lines are in :meth:`result`)."""
        f = m.findings.c
        q = (sa.select(m.findings).where(f.server_id == server_id, f.severity >= min_severity)
             .order_by(f.severity.desc(), f.first_seen, f.finding_id).offset(offset))
        if limit is not None:
            q = q.limit(limit)
        with self._tx() as conn:
            return [
                FindingRow(r.server_id, r.finding_id, r.rule_id, r.title, r.severity, r.confidence, r.outcome, r.wave,
                           [c for c in r.cves.split(",") if c], _aware(r.first_seen), _aware(r.last_seen), r.count)
                for r in conn.execute(q)
            ]

    def shared_indicators(self, *, min_servers: int = 2, limit: int | None = 1000) -> list[SharedIndicator]:
        """Indicators seen on ``min_servers`` servers or more, most widespread first."""
        i = m.indicators.c
        n = sa.func.count().label("n")
        grouped = sa.select(i.type, i.value_key, n).group_by(i.type, i.value_key).having(sa.func.count() >= min_servers)
        grouped = grouped.order_by(n.desc(), i.type, i.value_key)
        if limit is not None:
            grouped = grouped.limit(limit)
        with self._tx() as conn:
            keys = [(r.type, r.value_key) for r in conn.execute(grouped)]
            if not keys:
                return []
            found: dict[tuple[str, str], SharedIndicator] = {k: SharedIndicator(k[0], "", []) for k in keys}
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                q = (sa.select(i.type, i.value_key, i.value, m.servers.c.id, m.servers.c.name)
                     .join(m.servers, m.servers.c.id == i.server_id)
                     .where(sa.tuple_(i.type, i.value_key).in_(chunk))
                     .order_by(m.servers.c.name))
                for r in conn.execute(q):
                    item = found[(r.type, r.value_key)]
                    item.value = r.value
                    item.servers.append(r.name)
                    item.server_ids.append(int(r.id))
        return [found[k] for k in keys]

    def timeline(self, *, limit: int | None = 1000, server_id: int | None = None) -> list[FleetEvent]:
        """Attack stories of every server (or one), oldest first: the fleet timeline."""
        s = m.stories.c
        q = (sa.select(m.stories, m.servers.c.name).join(m.servers, m.servers.c.id == s.server_id)
             .where(s.first_seen.is_not(None)).order_by(s.first_seen, m.servers.c.name))
        if server_id is not None:
            q = q.where(s.server_id == server_id)
        if limit is not None:
            q = q.limit(limit)
        with self._tx() as conn:
            return [FleetEvent(_aware(r.first_seen), _aware(r.last_seen), r.name, r.server_id, r.wave, r.title, r.outcome,
                               list(r.client_ips or [])) for r in conn.execute(q)]

    def response_log(self, server_id: int) -> list[ResponseEntry]:
        r = m.response_log.c
        with self._tx() as conn:
            rows = conn.execute(sa.select(m.response_log).where(r.server_id == server_id).order_by(r.at, r.id))
            return [ResponseEntry(x.server_id, x.state, x.by, _aware(x.at) or x.at, x.note) for x in rows]

    def result(self, server_id: int) -> ScanResult | None:
        """The full scan result of a server (None for a server with only an error)."""
        from extriage.report.load import result_from_dict

        with self._tx() as conn:
            row = conn.execute(sa.select(m.results.c.data).where(m.results.c.server_id == server_id)).first()
        if row is None:
            return None
        return result_from_dict(orjson.loads(self._zstd_d.decompress(row.data)), f"server {server_id} of {self.shown}")

    def results(self) -> Iterator[tuple[int, ScanResult]]:
        """Every stored scan result, in fleet order (one decompressed at a time)."""
        for summary in self.servers(sort="name"):
            result = self.result(summary.id)
            if result is not None:
                yield summary.id, result

    def probes(self) -> list[dict[str, Any]]:
        with self._tx() as conn:
            return [dict(r.data) for r in conn.execute(sa.select(m.probes.c.data).order_by(m.probes.c.target))]


def _current_revision(conn: Connection) -> str | None:
    """The schema revision Alembic recorded, or None for a database it never touched."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    revs = [str(r) for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()]
    if len(revs) > 1:
        raise CaseError(f"The case records {len(revs)} schema revisions ({', '.join(revs)}); it is damaged or from a branch.")
    return revs[0] if revs else None


class _Tx:
    """``with store._tx() as conn``: one transaction; database errors become one-sentence CaseErrors."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self.ctx: Any = None

    def __enter__(self) -> Connection:
        try:
            self.ctx = self.store.engine.begin()
            conn: Connection = self.ctx.__enter__()
        except SQLAlchemyError as exc:
            raise _case_error(self.store.shown, exc) from None
        return conn

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> Literal[False]:
        try:
            self.ctx.__exit__(kind, exc, tb)
        except SQLAlchemyError as err:
            raise _case_error(self.store.shown, err) from None
        if isinstance(exc, SQLAlchemyError):
            raise _case_error(self.store.shown, exc) from None
        return False


def _case_error(shown: str, exc: SQLAlchemyError) -> CaseError:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = text.lower()
    if "locked" in low or "busy" in low:
        return CaseError(f"The case {shown} is busy: another extriage command is writing to it and did not finish "
                         "within the wait time (try again, or give a longer --wait).")
    if "not a database" in low or "file is encrypted" in low or "malformed" in low:
        return CaseError(f"{shown} is not a readable SQLite case file ({text}).")
    if isinstance(exc, OperationalError | DBAPIError):
        return CaseError(f"Cannot use the case {shown}: {text}.")
    return CaseError(f"Cannot use the case {shown}: {type(exc).__name__}: {text}.")


def _insert_many(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        conn.execute(sa.insert(table), rows[start:start + _BATCH])


def _aware(ts: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything in the case is UTC."""
    if ts is None:
        return None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _summary(r: Any) -> ServerSummary:
    return ServerSummary(
        id=r["id"], name=r["name"], evidence=r["evidence"], hostname=r["hostname"], layout=r["layout"],
        verdict=r["verdict"], verdict_reason=r["verdict_reason"], waves=dict(r["waves"] or {}),
        first_activity=_aware(r["first_activity"]), last_activity=_aware(r["last_activity"]), build=r["build"],
        product=r["product"], open_cves=list(r["open_cves"] or []), mitigations=[list(x) for x in r["mitigations"] or []],
        exposure=r["exposure"], exposure_detail=dict(r["exposure_detail"] or {}), priority=r["priority"],
        priority_rank=r["priority_rank"], priority_reason=r["priority_reason"], priority_source=r["priority_source"],
        findings=r["findings_count"], attacker_findings=r["attacker_findings"], max_severity=r["max_severity"],
        webshells=r["webshells"], attacker_ips=r["attacker_ips"], engine=r["engine"], worker=r["worker"],
        scanned_at=_aware(r["scanned_at"]), tool_version=r["tool_version"], error=r["error"],
        response_state=r["response_state"], response_by=r["response_by"], response_at=_aware(r["response_at"]),
    )


def _probe_names(item: dict[str, Any]) -> list[str]:
    """Host names a probe target answers to: the target's host, its short name, and the server
    names the probe saw behind it (``X-FEServer``), all as :func:`name_key` keys."""
    names: list[str] = []
    target = str(item.get("target") or "")
    host = urlsplit(target if "//" in target else f"//{target}").hostname or target
    for value in (host, str(item.get("host_header") or "")):
        if value:
            names.append(name_key(value))
    for node in item.get("nodes") or []:
        if isinstance(node, dict) and node.get("name"):
            names.append(name_key(str(node["name"])))
    return [n for n in dict.fromkeys(names) if n and not n.replace(".", "").isdigit()]


def default_worker_name() -> str:
    """``host:pid`` of this process: who scanned a server when run locally."""
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"
