"""Fixtures of the case tests: small generated servers, a throwaway PostgreSQL cluster, a Dask cluster.

PostgreSQL: Debian's server binaries (``apt-get install postgresql``; ``.ci/run`` installs them) start
a cluster of our own in a temporary folder on a free 127.0.0.1 port, as the ``postgres`` user when
the tests run as root (initdb refuses root); it is stopped and removed after the session. Without the
binaries the PostgreSQL tests are skipped with "install postgresql". ``EXTRIAGE_TEST_PG_URL`` points
them at an existing server instead.

Dask: a scheduler and two worker processes on 127.0.0.1 (``distributed.LocalCluster``), warmed up at
start by the preload docs/case.md recommends (``--preload extriage.case.runner``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from extriage.generator.api import generate

PG_MISSING = "install postgresql (Debian's package: initdb and pg_ctl) to run the PostgreSQL case tests"


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three small servers: two attacked (ProxyLogon, sharing tools and user agents), one clean."""
    root = tmp_path_factory.mktemp("fleet")
    out = {}
    for name, scenario, seed in (("EXCH01", "proxylogon", 1), ("EXCH02", "proxylogon", 2), ("EXCH03", "clean", 3)):
        out[name] = generate(root / name.lower(), scenario=scenario, seed=seed, size="200KB", days=6,
                             hostname=name).dest
    (root / "empty").mkdir()
    out["empty"] = root / "empty"
    return out


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A base URL ``postgresql://user@127.0.0.1:port`` of a throwaway cluster (no database name)."""
    external = os.environ.get("EXTRIAGE_TEST_PG_URL")
    if external:
        yield external.rstrip("/")
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip(PG_MISSING)
    as_root = os.geteuid() == 0
    if as_root:
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip(PG_MISSING + " (no 'postgres' user to run the cluster as)")
    root = Path(tempfile.mkdtemp(prefix="extriage-pg-"))
    data = root / "data"
    port = _free_port()
    prefix: list[str] = []
    if as_root:
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    user = "postgres" if as_root else (os.environ.get("USER") or "postgres")
    env = {**os.environ, "LC_ALL": "C"}
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, env=env)
        opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "-t", "60", "start"],
                       check=True, capture_output=True, env=env)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"{PG_MISSING}: could not start a cluster ({exc.stderr.decode(errors='replace')[:200]})")
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, env=env)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh database on the throwaway cluster, dropped after the test."""
    import psycopg

    name = f"case_{uuid.uuid4().hex[:10]}"
    admin = pg_server.replace("postgresql://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_server}/{name}"
    finally:
        with contextlib.suppress(Exception), psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[tuple[str, list[str]]]:
    """(scheduler address, worker addresses) of a local cluster: one scheduler, two worker processes."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40, preload=["extriage.case.runner"])
    try:
        client = distributed.Client(cluster)
        client.wait_for_workers(2, timeout=60)
        workers = list(client.scheduler_info()["workers"])
        client.close()
        yield cluster.scheduler_address, workers
    finally:
        cluster.close()
        time.sleep(0.1)
