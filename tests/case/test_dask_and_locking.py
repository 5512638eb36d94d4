"""``case scan --scheduler`` on a real Dask cluster (scheduler + two worker processes on 127.0.0.1),
and two commands on one SQLite case at once: one waits for the other or says so, nothing is corrupted."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from extriage.cli.main import _register, app

runner = CliRunner()
_register()


def _status(case: str) -> dict[str, Any]:
    res = runner.invoke(app, ["case", "status", "--case", case, "--json", "-"])
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def test_scan_on_dask_records_engine_and_worker(fleet: dict[str, Path], dask_cluster: tuple[str, list[str]],
                                                tmp_path: Path) -> None:
    scheduler, workers = dask_cluster
    case = str(tmp_path / "dask.db")
    paths = [str(fleet[n]) for n in ("EXCH01", "EXCH02", "EXCH03", "empty")]
    res = runner.invoke(app, ["case", "scan", *paths, "--case", case, "--scheduler", scheduler, "-q"])
    assert res.exit_code == 3, res.output  # the empty folder
    doc = _status(case)
    assert len(doc["servers"]) == 4
    for s in doc["servers"]:
        assert s["scanned_by"]["engine"] == "dask"
        assert s["scanned_by"]["worker"] in workers, s["scanned_by"]
    verdicts = {s["name"].split(".")[0].upper(): s["verdict"] for s in doc["servers"]}
    assert verdicts["EXCH01"] == "compromised" and verdicts["EMPTY"] == "error"


def test_preload_warms_workers_up_before_their_first_task() -> None:
    import distributed

    from extriage.case.runner import scan_modules

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=40,
                                  preload=["extriage.case.runner"]) as cluster, distributed.Client(cluster) as client:
        loaded = client.run(lambda: [m for m in scan_modules() if m not in sys.modules])
    assert list(loaded.values()) == [[]], loaded


def test_a_case_that_cannot_be_opened_stops_the_dask_scan(fleet: dict[str, Path], dask_cluster: tuple[str, list[str]],
                                                          tmp_path: Path) -> None:
    """The tasks are submitted before the case is opened (the two overlap): a bad case is still one
    sentence, exit 2, and the submitted tasks are cancelled."""
    import distributed

    scheduler, _workers = dask_cluster
    res = runner.invoke(app, ["case", "scan", str(fleet["EXCH03"]), "--case", str(tmp_path), "--scheduler", scheduler, "-q"])
    assert res.exit_code == 2 and "not a file" in res.output, res.output
    with distributed.Client(scheduler) as client:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            left = client.run_on_scheduler(lambda dask_scheduler: [k for k in dask_scheduler.tasks if "extriage-scan" in str(k)])
            if not left:
                break
            time.sleep(0.2)
        assert not left, left


def test_unreachable_scheduler_is_one_sentence(fleet: dict[str, Path], tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = runner.invoke(app, ["case", "scan", str(fleet["EXCH03"]), "--case", str(tmp_path / "c.db"),
                              "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "2", "-q"])
    assert res.exit_code == 2
    assert "Cannot reach the Dask scheduler" in res.output and "Traceback" not in res.output


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "extriage", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "COLUMNS": "200"})


def test_two_scans_on_one_sqlite_case_at_once(fleet: dict[str, Path], tmp_path: Path) -> None:
    case = str(tmp_path / "shared.db")
    a = _cli("case", "scan", str(fleet["EXCH01"]), str(fleet["EXCH03"]), "--case", case, "-q", "-j", "1")
    b = _cli("case", "scan", str(fleet["EXCH02"]), str(fleet["EXCH03"]), "--case", case, "-q", "-j", "1")
    for p in (a, b):
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    doc = _status(case)
    assert sorted(s["name"].split(".")[0].upper() for s in doc["servers"]) == ["EXCH01", "EXCH02", "EXCH03"]
    with sqlite3.connect(case) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_writer_waits_for_the_lock_or_says_so(fleet: dict[str, Path], tmp_path: Path) -> None:
    case = str(tmp_path / "locked.db")
    res = runner.invoke(app, ["case", "scan", str(fleet["EXCH03"]), "--case", case, "-q", "-j", "1"])
    assert res.exit_code == 0, res.output
    scan_json = tmp_path / "r.json"
    res = runner.invoke(app, ["scan", str(fleet["EXCH02"]), "--json", str(scan_json), "-q", "-j", "1"])
    holder = sqlite3.connect(case, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another writer in the middle of a long transaction
    try:
        p = _cli("case", "add", str(scan_json), "--case", case, "--wait", "1")
        _, err = p.communicate(timeout=60)
        assert p.returncode == 2
        assert "is busy" in err and "--wait" in err and "Traceback" not in err
        p = _cli("case", "add", str(scan_json), "--case", case, "--wait", "30")
        time.sleep(1.5)
        assert p.poll() is None  # waiting for the lock
        holder.execute("COMMIT")
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    finally:
        holder.close()
    assert len(_status(case)["servers"]) == 2
