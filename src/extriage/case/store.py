"""The case store: open (create, migrate, refuse a newer schema), add results, read the fleet.

One :class:`CaseStore` wraps one database: an SQLite file (the default; WAL, writes take the lock
at the start of their transaction and wait ``wait`` seconds for another writer) or PostgreSQL
(``postgresql://user@host/db``). Every write is one short transaction, so a crash keeps everything
added before it. The API is what ``extriage case`` and the dashboard use (docs/case.md).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson
import sqlalchemy as sa
import zstandard
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from extriage.case import models as m
from extriage.case.priority import RESPONSE_STATES, ServerState, decide
from extriage.case.reader import (
    CaseError,
    FleetEvent,
    FleetReader,
    SchemaTooOld,
    ServerSummary,
    SharedIndicator,
    case_error,
    check_revision,
    check_sqlite_path,
    is_url,
    redacted,
    shipped_revisions,
    timestamp,
)
from extriage.case.summary import (
    BLOB_ENCODING,
    ScanSummary,
    StoredScan,
    evidence_key,
    name_key,
    prepare,
    value_key,
)
from extriage.findings import ScanResult, iso
from extriage.response.facts import mitigation_rows

#: Probe states that count as the build being known (``exposure`` of a server).
_BUILD_STATES = frozenset({"vulnerable", "vulnerable-unless-su", "patched", "mitigated", "not-affected"})
#: Rows per INSERT batch (1 M findings are inserted in batches, not one statement).
_BATCH = 5000


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
class ResponseEntry:
    server_id: int
    state: str
    by: str
    at: datetime
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "by": self.by, "at": iso(self.at), "note": self.note}


# -- opening ----------------------------------------------------------------------------------
def engine_url(target: str) -> sa.URL:
    """``--case`` as an SQLAlchemy URL: a path is an SQLite file, ``postgresql://`` uses psycopg 3."""
    if not is_url(target):
        return sa.URL.create("sqlite+pysqlite", database=str(Path(target).expanduser().absolute()))
    try:
        url = sa.make_url(target)
    except (sa.exc.ArgumentError, ValueError):
        raise CaseError(f"{redacted(target)} is not a database URL (use a file path or postgresql://user@host/db).") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise CaseError(f"{redacted(target)}: a case is an SQLite file or a PostgreSQL database, not {url.get_backend_name()}.")
    return url


def _script_location() -> str:
    return str(resources.files("extriage.case").joinpath("migrations"))


def schema_head() -> str:
    """The schema revision this extriage writes."""
    return shipped_revisions()[1]


def open_case(target: str, *, create: bool = True, readonly: bool = False, wait: float = 60.0) -> CaseStore:
    """Open the case at ``target`` (a file path or a database URL), creating and migrating it as
    needed. Raises :class:`CaseError` (one sentence) when it cannot be used, :class:`SchemaTooNew`
    when a newer extriage wrote it."""
    url = engine_url(target)
    shown = redacted(target)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        check_sqlite_path(Path(url.database or ""), shown, create=create)
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
        # connections are kept (a pool) while the case is open: opening one per transaction, and the
        # WAL checkpoint SQLite runs when the last one closes, cost ~20 ms per stored server
        engine = sa.create_engine(url, connect_args={"timeout": max(wait, 0.0), "check_same_thread": False})

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
        head = shipped_revisions()[1]
        with self._tx() as conn:
            reader = self._reader(conn)
            if reader.revision() == head:
                return
            if conn.dialect.name == "postgresql":  # one creator at a time
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7170011)")
            try:
                if check_revision(reader, create=create) == head:  # made meanwhile by another command
                    return
            except SchemaTooOld:
                pass
            self._upgrade(conn)

    def _reader(self, conn: Connection) -> FleetReader:
        """The fleet's read queries (:mod:`extriage.case.reader`) on this transaction's connection."""
        return FleetReader(conn.connection.dbapi_connection, conn.dialect.name, self.shown)

    def _upgrade(self, conn: Connection) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", _script_location())
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    def revision(self) -> str | None:
        with self._tx() as conn:
            return self._reader(conn).revision()

    # writing ----------------------------------------------------------------------------------
    def add_scan(self, result: ScanResult, *, engine: str = "local", worker: str = "") -> int:
        """Store one scan result; the same evidence scanned again replaces its entry (the server keeps
        its id and response state). Returns the server id."""
        return self.add_prepared(prepare(result), engine=engine, worker=worker)

    def add_prepared(self, stored: StoredScan, *, engine: str = "local", worker: str = "") -> int:
        """:meth:`add_scan` of a result already summarised and compressed (:func:`extriage.case.summary.prepare`,
        done by the worker that scanned it)."""
        with self._tx() as conn:
            return self._store_summary(conn, stored.summary, stored.blob, engine, worker)

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
        conn.execute(sa.insert(m.results).values(server_id=server_id, encoding=BLOB_ENCODING, data=blob))
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

    # reading (the queries live in extriage.case.reader, shared with 'case status') -----------------
    def servers(self, *, verdict: Sequence[str] | None = None, priority: Sequence[str] | None = None,
                search: str | None = None, sort: str = "priority", descending: bool = False,
                limit: int | None = None, offset: int = 0) -> list[ServerSummary]:
        """The fleet table, most urgent first by default. ``sort`` is a key of :data:`extriage.case.reader.SORTS`."""
        with self._tx() as conn:
            return self._reader(conn).servers(verdict=verdict, priority=priority, search=search, sort=sort,
                                              descending=descending, limit=limit, offset=offset)

    def count_servers(self, *, verdict: Sequence[str] | None = None, priority: Sequence[str] | None = None,
                      search: str | None = None) -> int:
        with self._tx() as conn:
            return self._reader(conn).count_servers(verdict=verdict, priority=priority, search=search)

    def counts(self) -> dict[str, dict[str, int]]:
        """Servers per verdict, per priority and per response state (the dashboard's header)."""
        with self._tx() as conn:
            return self._reader(conn).counts()

    def server(self, server_id: int) -> ServerSummary | None:
        with self._tx() as conn:
            return self._reader(conn).server(server_id)

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
                           [c for c in r.cves.split(",") if c], timestamp(r.first_seen), timestamp(r.last_seen), r.count)
                for r in conn.execute(q)
            ]

    def shared_indicators(self, *, min_servers: int = 2, limit: int | None = 1000) -> list[SharedIndicator]:
        """Indicators seen on ``min_servers`` servers or more, most widespread first."""
        with self._tx() as conn:
            return self._reader(conn).shared_indicators(min_servers=min_servers, limit=limit)

    def timeline(self, *, limit: int | None = 1000, server_id: int | None = None) -> list[FleetEvent]:
        """Attack stories of every server (or one), oldest first: the fleet timeline."""
        with self._tx() as conn:
            return self._reader(conn).timeline(limit=limit, server_id=server_id)

    def response_log(self, server_id: int) -> list[ResponseEntry]:
        r = m.response_log.c
        with self._tx() as conn:
            rows = conn.execute(sa.select(m.response_log).where(r.server_id == server_id).order_by(r.at, r.id))
            return [ResponseEntry(x.server_id, x.state, x.by, timestamp(x.at) or x.at, x.note) for x in rows]

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
            raise case_error(self.store.shown, exc) from None
        return conn

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> Literal[False]:
        try:
            self.ctx.__exit__(kind, exc, tb)
        except SQLAlchemyError as err:
            raise case_error(self.store.shown, err) from None
        if isinstance(exc, SQLAlchemyError):
            raise case_error(self.store.shown, exc) from None
        return False


def _insert_many(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        conn.execute(sa.insert(table), rows[start:start + _BATCH])


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
