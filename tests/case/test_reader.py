"""``case status`` reads the case without SQLAlchemy (:mod:`extriage.case.reader`): the same document as
the store on SQLite and PostgreSQL, values decoded as stored (times, JSON columns), filters with
LIKE's special characters taken literally, nothing written, and the same refusals as the store."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from extriage.case import reader as reader_mod
from extriage.case.reader import CaseError, SchemaTooNew, SchemaTooOld, check_revision, open_reader
from extriage.case.status import status_document
from extriage.case.store import open_case
from extriage.findings import ScanResult
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan


@pytest.fixture(scope="module")
def scanned(fleet: dict[str, Path]) -> dict[str, ScanResult]:
    return {name: run_scan(str(fleet[name]), ScanOptions(jobs=1)) for name in ("EXCH01", "EXCH02", "EXCH03")}


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "case.db")
    return str(request.getfixturevalue("pg_url"))


def _fill(target: str, scanned: dict[str, ScanResult]) -> int:
    """Three scans, an error, a probe, a mitigation result and a response state; the id of EXCH01."""
    with open_case(target) as store:
        ids = {name: store.add_scan(scanned[name], engine="dask", worker="tcp://127.0.0.1:4000") for name in scanned}
        store.add_error("/nowhere/exch09", "The evidence path /nowhere/exch09 does not exist.")
        store.add_probe({"results": [{"target": "https://exch03.example.org", "build": "15.1.2176.2",
                                      "worst_state": "vulnerable", "state": {"proxylogon": "vulnerable"}}]})
        store.add_mitigation({"source": scanned["EXCH03"].evidence_path, "mitigations": [
            {"id": "ecp-pool", "title": "ECP application pool stopped", "state": "in-force", "reason": "stopped"}]})
        store.set_response_state(ids["EXCH01"], "disconnected", "alice")
        return ids["EXCH01"]


def _without_clock(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "generated_utc"}


def test_reader_gives_the_stores_document(target: str, scanned: dict[str, ScanResult]) -> None:
    first = _fill(target, scanned)
    with open_case(target, create=False, readonly=True) as store:
        expected = status_document(store)
        by_store = [s.to_dict() for s in store.servers(sort="last_activity", descending=True)]
        entry = store.response_log(first)[-1]
    with open_reader(target) as reader:
        doc = status_document(reader)
        assert _without_clock(doc) == _without_clock(expected)
        assert [s.to_dict() for s in reader.servers(sort="last_activity", descending=True)] == by_store
        # values come back as they were stored, whatever the driver hands over
        s = reader.server(first)
        assert s is not None and s.response_state == "disconnected" and s.response_by == "alice"
        assert s.response_at == entry.at and s.response_at is not None and s.response_at.tzinfo == UTC
        assert s.engine == "dask" and s.worker == "tcp://127.0.0.1:4000" and s.priority == "rebuild"
        assert isinstance(s.waves, dict) and s.waves
        clean = [x for x in reader.servers() if x.exposure]
        assert len(clean) == 1 and clean[0].exposure_detail["build"] == "15.1.2176.2"
        assert clean[0].mitigations == [["ECP application pool stopped", "in-force — stopped"]]
        # LIKE's wildcards in a search are literal characters
        assert reader.count_servers(search="%") == 0 and reader.servers(search="_x_") == []
        assert reader.count_servers(search="EXCH0") == 4 and reader.count_servers(search="NoWhere/EXCH09") == 1
        assert reader.count_servers(verdict=["error"]) == 1
        assert [x.name for x in reader.servers(sort="name", limit=2, offset=1)] == \
            sorted(x.name for x in reader.servers())[1:3]
    assert doc["servers"] and doc["shared_indicators"] and doc["timeline"]


def test_status_command_does_not_import_sqlalchemy(tmp_path: Path, scanned: dict[str, ScanResult]) -> None:
    case = str(tmp_path / "case.db")
    _fill(case, scanned)
    before = hashlib.sha256(Path(case).read_bytes()).hexdigest()
    code = (
        "import sys\n"
        "from extriage.cli.main import main\n"
        f"sys.argv = ['extriage', 'case', 'status', '--case', {case!r}, '--json', '-']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "loaded = sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules)\n"
        "print('\\nLOADED', ','.join(loaded) or '-')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "COLUMNS": "200"})
    body, _, loaded = res.stdout.rpartition("\nLOADED ")
    assert loaded.strip() == "-", f"case status imported {loaded.strip()}"
    doc = json.loads(body)
    with open_case(case, create=False, readonly=True) as store:
        assert _without_clock(doc) == _without_clock(status_document(store))
    assert hashlib.sha256(Path(case).read_bytes()).hexdigest() == before, "reading the case changed it"


def test_reader_never_writes(tmp_path: Path, scanned: dict[str, ScanResult]) -> None:
    case = str(tmp_path / "case.db")
    _fill(case, scanned)
    with open_reader(case) as reader, pytest.raises(sqlite3.Error, match=r"readonly|read-only|query_only"):
        reader.dbapi.execute("DELETE FROM servers")
    with open_case(case, create=False) as store:
        assert store.count_servers() == 4


def test_reader_refuses_like_the_store(target: str, tmp_path: Path) -> None:
    with open_case(target) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="newer extriage"):
        open_reader(target)


def test_reader_refuses_what_is_not_a_case(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no case"):
        open_reader(str(tmp_path / "nope.db"))
    assert not (tmp_path / "nope.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(CaseError, match="no case in"):
        open_reader(str(empty))


@pytest.mark.parametrize("opener", [open_reader, open_case], ids=["reader", "store"])
def test_reader_and_store_refuse_the_same_inputs(tmp_path: Path, opener: Callable[..., Any]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is no database\n" * 100)
    with pytest.raises(CaseError, match="not a readable SQLite case"):
        opener(str(junk))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER)")
    with pytest.raises(CaseError, match="not an extriage case"):
        opener(str(other))
    with pytest.raises(CaseError, match="not a file"):
        opener(str(tmp_path))
    with pytest.raises(CaseError, match="SQLite file or a PostgreSQL"):
        opener("mysql://u@h/db")


@pytest.mark.parametrize("opener", [open_reader, open_case], ids=["reader", "store"])
def test_unreachable_postgresql_is_one_sentence(opener: Callable[..., Any]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CaseError, match=r"Cannot use the case postgresql://u:\*\*\*@127\.0\.0\.1") as err:
        opener(f"postgresql://u:secret@127.0.0.1:{port}/db", wait=1)
    assert "secret" not in str(err.value)


def test_an_older_revision_goes_to_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case of an older schema revision is not read by the reader (the store migrates it first)."""
    case = str(tmp_path / "case.db")
    open_case(case).close()
    with open_reader(case) as reader:
        current = reader.revision()
        assert current is not None
        monkeypatch.setattr(reader_mod, "shipped_revisions", lambda: ({current, "newhead"}, "newhead"))
        with pytest.raises(SchemaTooOld, match="older schema revision"):
            check_revision(reader, create=False)
