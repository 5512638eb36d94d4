"""The case store on SQLite and PostgreSQL: schema = models, replace-not-duplicate, errors, response
states and priorities, shared indicators, probe and mitigation links, refusing what it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from extriage.case import models
from extriage.case.reader import CaseError, SchemaTooNew
from extriage.case.store import CaseStore, open_case
from extriage.findings import ScanResult, Verdict
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


def test_migrations_create_exactly_the_models(target: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with open_case(target) as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.metadata)
    assert diff == []


def test_rescan_replaces_and_keeps_response_state(target: str, scanned: dict[str, ScanResult]) -> None:
    with open_case(target) as store:
        first = store.add_scan(scanned["EXCH01"], engine="local", worker="w1")
        store.set_response_state(first, "disconnected", "alice", "pulled the cable")
        again = store.add_scan(scanned["EXCH01"], engine="dask", worker="tcp://10.0.0.1:1")
        assert again == first
        assert store.count_servers() == 1
        s = store.server(first)
        assert s is not None
        assert (s.engine, s.worker, s.response_state, s.response_by) == ("dask", "tcp://10.0.0.1:1", "disconnected", "alice")
        assert s.findings == len(scanned["EXCH01"].findings)
        with store.engine.connect() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(models.findings)).scalar_one()
        assert n == len(scanned["EXCH01"].findings)  # replaced, not duplicated
        back = store.result(first)
        assert back is not None and back.to_dict() == scanned["EXCH01"].to_dict()


def test_priority_follows_verdict_and_response(target: str, scanned: dict[str, ScanResult]) -> None:
    with open_case(target) as store:
        bad = store.add_scan(scanned["EXCH01"])
        clean = store.add_scan(scanned["EXCH03"])
        s = store.server(bad)
        assert s is not None and s.verdict == "compromised"
        assert s.priority == "disconnect now" and "ED 21-02" in s.priority_source
        c = store.server(clean)
        assert c is not None and c.verdict == "no_evidence"
        assert c.priority == "patch now" and "CVE-2021-26855" in c.priority_reason  # the generated build is open
        assert [x.id for x in store.servers()] == [bad, clean]  # most urgent first
        steps = [("disconnected", "rebuild"), ("patched", "rebuild"), ("rebuilt", "monitor"), ("cleared", "monitor")]
        for state, expected in steps:
            entry = store.set_response_state(bad, state, "bob")
            assert entry.at.tzinfo is not None
            after = store.server(bad)
            assert after is not None and after.priority == expected, state
        log = store.response_log(bad)
        assert [e.state for e in log] == [s for s, _ in steps] and {e.by for e in log} == {"bob"}
        with pytest.raises(CaseError, match="Unknown response state"):
            store.set_response_state(bad, "nuked", "bob")
        with pytest.raises(CaseError, match="name"):
            store.set_response_state(bad, "open", "  ")
        with pytest.raises(CaseError, match="no server"):
            store.set_response_state(9999, "open", "bob")
        assert store.counts()["priority"]["monitor"] == 1
        assert store.servers(priority=["patch now"])[0].id == clean
        assert store.count_servers(verdict=["compromised"]) == 1


def test_error_keeps_an_earlier_result(target: str, scanned: dict[str, ScanResult]) -> None:
    with open_case(target) as store:
        sid = store.add_scan(scanned["EXCH02"])
        assert store.add_error(scanned["EXCH02"].evidence_path, "disk gone") == sid
        s = store.server(sid)
        assert s is not None and s.verdict == "compromised" and s.error == "disk gone"
        new = store.add_error("/nowhere/exch09", "The evidence path /nowhere/exch09 does not exist.")
        e = store.server(new)
        assert e is not None and (e.verdict, e.name, e.priority) == ("error", "exch09", "patch now")
        assert store.result(new) is None


def test_shared_indicators_and_timeline(target: str, scanned: dict[str, ScanResult]) -> None:
    with open_case(target) as store:
        for name in ("EXCH01", "EXCH02", "EXCH03"):
            store.add_scan(scanned[name])
        shared = store.shared_indicators()
        assert shared, "the two attacked servers share tools and user agents"
        names = {s.name.split(".")[0].upper() for s in store.servers()}
        assert names == {"EXCH01", "EXCH02", "EXCH03"}
        for item in shared:
            assert len(item.servers) >= 2 and "exch03" not in " ".join(item.servers).lower()
        assert {i.type for i in shared} <= {"ip", "user_agent", "webshell", "sha256"}
        events = store.timeline()
        assert events and [e.time for e in events] == sorted(e.time for e in events)  # type: ignore[type-var]
        assert {e.server.split(".")[0].upper() for e in events} == {"EXCH01", "EXCH02"}


def test_probe_and_mitigation_results_link_to_servers(target: str, scanned: dict[str, ScanResult]) -> None:
    with open_case(target) as store:
        clean = store.add_scan(scanned["EXCH03"])
        probe = {"format": "extriage-probe/1", "results": [
            {"target": "https://mail.example.org", "build": "15.1.2176.2", "worst_state": "vulnerable",
             "state": {"proxylogon": "vulnerable"}, "nodes": [{"name": "EXCH03"}]},
            {"target": "10.0.0.9", "worst_state": "unknown", "state": {}}]}
        assert store.add_probe(probe) == [clean]
        s = store.server(clean)
        assert s is not None and s.exposure == "vulnerable" and s.exposure_detail["target"] == "https://mail.example.org"
        verify = {"source": scanned["EXCH03"].evidence_path, "mitigations": [
            {"id": "ecp-pool", "title": "ECP application pool stopped", "state": "in-force", "reason": "stopped"}]}
        assert store.add_mitigation(verify) == clean
        s = store.server(clean)
        assert s is not None and s.mitigations == [["ECP application pool stopped", "in-force — stopped"]]
        assert store.add_mitigation({"source": "/elsewhere", "mitigations": []}) is None


def test_newer_schema_is_refused(target: str) -> None:
    with open_case(target) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="newer extriage"):
        open_case(target)


def test_missing_and_foreign_databases(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no case"):
        open_case(str(tmp_path / "nope.db"), create=False)
    with pytest.raises(CaseError, match="does not exist"):
        open_case(str(tmp_path / "no" / "dir.db"))
    # junk, foreign tables, a folder, other URLs, unreachable PostgreSQL: tests/case/test_reader.py
    # (the reader and the store refuse them alike)


def test_store_type_is_reusable(tmp_path: Path, scanned: dict[str, ScanResult]) -> None:
    """A result with attacker text in every field goes in and comes out verbatim (escaping is the renderers')."""
    hostile = ScanResult(evidence_path=str(tmp_path / "x"), hostname="\x1b[31mEVIL[bold]<script>", verdict=Verdict.ATTEMPTED)
    with open_case(str(tmp_path / "c.db")) as store:
        assert isinstance(store, CaseStore)
        sid = store.add_scan(hostile)
        s = store.server(sid)
        assert s is not None and s.name == "\x1b[31mEVIL[bold]<script>"
