"""Scan many evidence sources: in local worker processes, or on a Dask distributed cluster.

Each source is one task, :func:`scan_one`, which runs the ordinary single-server scan and hands back
its :class:`~extriage.findings.ScanResult` or the one-sentence reason it could not (missing, empty,
unreadable): :func:`run` yields every outcome as it finishes, so the caller stores each one at once
and a crash or an interrupt keeps everything finished before it.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from extriage.case.summary import StoredScan


class RunnerError(Exception):
    """The cluster cannot be used (scheduler unreachable, no workers); one sentence."""


@dataclass(slots=True)
class ScanSettings:
    """What every task scans with (picklable: it travels to the workers)."""

    max_file_size: int = 64 * 1024**2
    file_timeout: float = 30.0
    rules_dirs: list[str] = field(default_factory=list)
    log_rule_dirs: list[str] = field(default_factory=list)
    prefilter_engine: str = "hyperscan"
    #: ``--reviewed``: the file's name and the SHA-256 values of pages confirmed as their application's own.
    reviewed_pages: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    """One evidence source done: its result (summarised and compressed for the case where it was scanned),
    or why there is none."""

    path: str  # the evidence path as resolved on the submitting machine
    stored: StoredScan | None
    error: str | None
    engine: str  # "local" | "dask"
    worker: str  # host:pid of the local process, or the Dask worker's address
    seconds: float = 0.0


def evidence_path(path: str) -> str:
    """The absolute path a source is known by in the case (what a rescan must give again)."""
    return str(Path(path).expanduser().resolve())


def _empty_reason(path: str) -> str | None:
    """Why an evidence path holds nothing to scan, or None when it has content."""
    p = Path(path)
    try:
        if p.is_dir():
            for _root, _dirs, files in os.walk(p):
                if files:
                    return None
            return f"The evidence folder {path} is empty (no files in it or its subfolders)."
        if p.is_file() and p.stat().st_size == 0:
            return f"The evidence file {path} is empty (0 bytes)."
    except OSError:
        return None  # the scan itself names the problem
    return None


def scan_one(path: str, settings: ScanSettings, engine: str = "local") -> Outcome:
    """Scan one evidence source (runs in a worker). Never raises for a bad source: the reason is the
    outcome's ``error``."""
    from extriage.case.summary import prepare
    from extriage.evidence.source import EvidenceError
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan

    worker = _worker_name(engine)
    started = time.perf_counter()
    empty = _empty_reason(path)
    if empty is not None:
        return Outcome(path, None, empty, engine, worker, 0.0)
    options = ScanOptions(
        jobs=1,  # the fleet is the unit of parallelism: one process per server
        rules_dirs=list(settings.rules_dirs),
        max_file_size=settings.max_file_size,
        file_timeout=settings.file_timeout,
        extra={"log_rule_dirs": list(settings.log_rule_dirs), "prefilter_engine": settings.prefilter_engine}
        | ({"reviewed_pages": settings.reviewed_pages} if settings.reviewed_pages else {}),
    )
    try:
        stored = prepare(run_scan(path, options))  # summarised and compressed here, in the worker
    except EvidenceError as exc:
        return Outcome(path, None, str(exc), engine, worker, time.perf_counter() - started)
    except MemoryError:
        return Outcome(path, None, f"The scan of {path} ran out of memory.", engine, worker, time.perf_counter() - started)
    except Exception as exc:  # a bug on one server must not stop the fleet
        return Outcome(path, None, f"The scan of {path} failed ({type(exc).__name__}: {exc}).", engine, worker,
                       time.perf_counter() - started)
    return Outcome(path, stored, None, engine, worker, time.perf_counter() - started)


#: Dask runs tasks on a pool of threads; the scan keeps per-process state that must stay on the
#: thread that made it (yara-x scanners cannot cross threads), so a worker process runs its scans
#: one after the other on this one thread. Parallelism comes from worker processes (``--nthreads 1``).
_SCAN_THREAD: cf.ThreadPoolExecutor | None = None
_SCAN_THREAD_LOCK = threading.Lock()


def scan_one_dask(path: str, settings: ScanSettings) -> Outcome:
    """:func:`scan_one` as a Dask task: on the worker process's one scan thread."""
    global _SCAN_THREAD
    with _SCAN_THREAD_LOCK:
        if _SCAN_THREAD is None:
            _SCAN_THREAD = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="extriage-scan")
        executor = _SCAN_THREAD
    outcome = executor.submit(scan_one, path, settings, "dask").result()
    outcome.worker = _worker_name("dask")
    return outcome


def scan_modules() -> list[str]:
    """What a scan imports and compiles before its first file: the pipeline, every registered stage,
    and the worker modules (the shipped log rules and their prefilters are compiled at import)."""
    from extriage.scan.registry import STAGES, WORKER_MODULES

    stages = [entry.partition(":")[0] for entry in STAGES]
    # numpy: the log walk (formats/logscan.py) imports it at its first file, not at module import
    return list(dict.fromkeys(["extriage.case.runner", "extriage.scan.pipeline", *WORKER_MODULES, *stages, "numpy"]))


def warm_up() -> None:
    """Import :func:`scan_modules` now, so this process's first server is scanned as fast as the rest."""
    import importlib

    for name in scan_modules():
        importlib.import_module(name)


def dask_setup(worker: object) -> None:
    """Dask's preload hook: ``dask worker … --preload extriage.case.runner`` warms every worker process up
    when it starts (imports, compiled rules) instead of during its first task (docs/case.md)."""
    warm_up()


def _worker_name(engine: str) -> str:
    if engine == "dask":
        try:
            from distributed import get_worker

            return str(get_worker().address)
        except (ImportError, ValueError):
            pass
    return f"{socket.gethostname()}:{os.getpid()}"


OnStart = Callable[[str], None]


def _context() -> Any:
    return mp.get_context("forkserver") if "forkserver" in mp.get_all_start_methods() else mp.get_context("spawn")


def start_local(paths: Sequence[str] = ()) -> None:
    """Start the worker processes' fork server now, importing :func:`scan_modules` once for every worker,
    so its start-up overlaps the caller's (opening the case) instead of delaying the first server.
    ``paths``: the servers' evidence, where no cache folder may be used (the fork server's imports
    compile and cache the log rules' prefilters: :mod:`extriage.cache`)."""
    _exclude(paths)
    ctx = _context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    ctx.set_forkserver_preload(scan_modules())
    forkserver.ensure_running()


def run_local(paths: list[str], settings: ScanSettings, jobs: int, on_start: OnStart | None = None) -> Iterator[Outcome]:
    """Scan ``paths`` in ``jobs`` local worker processes, yielding outcomes as they finish. A worker
    that dies (out of memory, killed) costs only the servers it was scanning: they are tried once
    more alone, then recorded as errors."""
    jobs = max(1, jobs)
    _exclude(paths)
    retry: list[str] = []
    yield from _pool_round(paths, settings, jobs, on_start, retry)
    for path in retry:  # one at a time: a server that kills its worker again is an error
        died: list[str] = []
        yield from _pool_round([path], settings, 1, on_start, died)
        for p in died:
            yield Outcome(p, None, f"The worker process scanning {p} died twice (out of memory or killed).", "local",
                          "", 0.0)


def _exclude(paths: Sequence[str]) -> None:
    from extriage import cache

    for path in paths:
        cache.exclude(path)


def _pool_round(paths: list[str], settings: ScanSettings, jobs: int, on_start: OnStart | None,
                died: list[str]) -> Iterator[Outcome]:
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(scan_modules())  # a fork server already running (start_local) keeps its own
    pool = cf.ProcessPoolExecutor(max_workers=min(jobs, max(1, len(paths))), mp_context=ctx)
    pending: dict[cf.Future[Outcome], str] = {}
    todo = iter(paths)
    broken = False
    try:
        # keep only a few tasks queued beyond the running ones: an interrupt then leaves little to cancel
        for path in islice(todo, jobs * 2):
            pending[pool.submit(scan_one, path, settings, "local")] = path
            if on_start is not None:
                on_start(path)
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                path = pending.pop(fut)
                try:
                    yield fut.result()
                except cf.process.BrokenProcessPool:
                    died.append(path)
                    broken = True
                except Exception as exc:  # the task could not even be sent or returned
                    yield Outcome(path, None, f"The scan of {path} failed ({type(exc).__name__}: {exc}).", "local", "", 0.0)
            if broken:
                died.extend(pending.values())
                died.extend(todo)
                pending.clear()
                break
            for path in islice(todo, len(done)):
                pending[pool.submit(scan_one, path, settings, "local")] = path
                if on_start is not None:
                    on_start(path)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_dask(paths: list[str], settings: ScanSettings, scheduler: str, on_start: OnStart | None = None,
             timeout: float = 30.0) -> Iterator[Outcome]:
    """Scan ``paths`` on the Dask distributed cluster at ``scheduler`` (``tcp://host:port``), yielding
    outcomes as they finish. The workers must see the evidence at the same paths."""
    yield from start_dask(paths, settings, scheduler, on_start, timeout)


class DaskRun:
    """Scans submitted to a Dask cluster (:func:`start_dask`): iterate for the outcomes as they finish;
    :meth:`close` (also at the end of the iteration) cancels what is left and disconnects."""

    def __init__(self, client: Any, futures: dict[Any, str]) -> None:
        self.client = client
        self.futures = futures
        self.closed = False

    def __iter__(self) -> Iterator[Outcome]:
        from distributed import as_completed

        try:
            for fut in as_completed(list(self.futures), loop=self.client.loop):  # type: ignore[no-untyped-call]
                path = self.futures[fut]
                try:
                    outcome = fut.result()
                except Exception as exc:  # KilledWorker, a lost connection
                    outcome = Outcome(path, None, f"The Dask task scanning {path} failed ({type(exc).__name__}: {exc}).",
                                      "dask", "", 0.0)
                fut.release()
                yield outcome
        finally:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.client.cancel(list(self.futures))
        finally:
            self.client.close()


def start_dask(paths: list[str], settings: ScanSettings, scheduler: str, on_start: OnStart | None = None,
               timeout: float = 30.0) -> DaskRun:
    """Connect to the Dask scheduler at ``scheduler`` and submit one task per path now (the workers start
    while the caller opens the case); raises :class:`RunnerError` when the cluster cannot be used."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a dependency
        raise RunnerError("Dask distributed is not installed (pip install 'distributed').") from None
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise RunnerError(f"Cannot reach the Dask scheduler at {scheduler} ({exc}).") from None
    except ValueError as exc:
        raise RunnerError(f"{scheduler} is not a Dask scheduler address ({exc}); give tcp://host:port.") from None
    futures: dict[Any, str] = {}
    try:
        if not client.scheduler_info().get("workers"):
            try:
                client.wait_for_workers(1, timeout=timeout)
            except (TimeoutError, OSError):
                raise RunnerError(f"The Dask scheduler at {scheduler} has no workers.") from None
        batch = uuid.uuid4().hex[:8]
        for i, path in enumerate(paths):
            fut = client.submit(scan_one_dask, path, settings, key=f"extriage-scan-{batch}-{i}", pure=False)
            futures[fut] = path
            if on_start is not None:
                on_start(path)
    except BaseException:
        DaskRun(client, futures).close()
        raise
    return DaskRun(client, futures)
