"""What a scan stage gets: the evidence inventory, the options, and one place to put results.

Stages never print and never touch the evidence except through :mod:`extriage.evidence`. Work that
is per file runs in worker processes through :meth:`ScanContext.map_files`: the worker function is
a top-level function taking ``(LocatedFile, params)`` and returning a :class:`FileOutcome`, which
the context merges into the result in the main process.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from extriage.evidence.locate import Inventory, LocatedFile
from extriage.file_outcome import FileOutcome as FileOutcome  # (re-exported: stages import it from here)
from extriage.findings import (
    FileRecord,
    Finding,
    ScanResult,
    SkippedFile,
    TimelineEvent,
)
from extriage.scan.contracts import Facts

ProgressCallback = Callable[[str, int, int], None]  # (label, done_bytes, total_bytes)


@dataclass(slots=True)
class ScanOptions:
    jobs: int = 0  # worker processes; 0 = one per core
    max_file_size: int = 64 * 1024**2  # per-file cap for content (web shell) scanning
    file_timeout: float = 30.0  # per-file time limit in seconds for content scanning
    rules_dirs: list[str] = field(default_factory=list)  # extra YARA rule folders (--rules)
    exploitation_windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Job:
    """One function over some files for :meth:`ScanContext.map_jobs`: ``func(file, params)`` per file,
    in worker tasks of at most ``batch`` (bytes, files; 0 = the defaults)."""

    func: Callable[[LocatedFile, Any], FileOutcome]
    files: Sequence[LocatedFile]
    params: Any = None
    batch: tuple[int, int] = (0, 0)


class Stage(Protocol):
    """One step of the scan: ``provides`` and ``requires`` fact types order it among the others
    (:mod:`extriage.scan.contracts`; facts of the shipped stages: :mod:`extriage.scan.facts`)."""

    name: str

    @property
    def requires(self) -> tuple[type, ...]: ...

    @property
    def provides(self) -> tuple[type, ...]: ...

    def run(self, ctx: ScanContext) -> None: ...


class ScanContext:
    def __init__(
        self,
        inventory: Inventory,
        result: ScanResult,
        options: ScanOptions,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.inventory = inventory
        self.result = result
        self.options = options
        self._progress = progress
        self._hashed: dict[str, int] = {}  # display path -> index in result.files
        self.facts = Facts()  # what stages leave for later stages, by type (extriage.scan.facts)
        self._pool: cf.ProcessPoolExecutor | None = None
        self._skip_keys: set[tuple[str, str]] = set()  # (path, reason) of coverage.skipped: no duplicates
        self._skip_synced = 0  # how many entries of coverage.skipped are in _skip_keys

    # -- results -----------------------------------------------------------------------------
    def add_finding(self, finding: Finding) -> None:
        self.result.findings.append(finding)

    def add_event(self, event: TimelineEvent) -> None:
        self.result.timeline.append(event)

    def skip(self, path: str, reason: str, partial: bool = False, *, relevant: bool = True,
             unchecked: bool = False) -> None:
        skipped = self.result.coverage.skipped
        if self._skip_synced < len(skipped):  # entries appended directly (inventory, merges)
            self._skip_keys.update((s.path, s.reason) for s in skipped[self._skip_synced :])
            self._skip_synced = len(skipped)
        if (path, reason) in self._skip_keys:
            return
        self._skip_keys.add((path, reason))
        skipped.append(SkippedFile(path, reason, partial, relevant, unchecked))
        self._skip_synced = len(skipped)

    def record_file(self, path: str, sha256: str, size: int, mtime: datetime | None = None) -> None:
        """Record the SHA-256 of a file that was read (once per file, whatever reads it). A file read
        again with other bytes (something writes to the evidence while it is scanned: a live server's
        share, a collection still being copied) is named in the coverage: what was found in it may
        rest on either version, and the list keeps the first one's hash."""
        idx = self._hashed.get(path)
        if idx is not None:
            first = self.result.files[idx].sha256
            if first != sha256:
                self.result.coverage.warn(changed_while_read(path, first, sha256))
            return
        self._hashed[path] = len(self.result.files)
        self.result.files.append(FileRecord(path, sha256, size, mtime))

    def sha256_for(self, path: str) -> str | None:
        idx = self._hashed.get(path)
        return None if idx is None else self.result.files[idx].sha256

    def merge(self, outcome: FileOutcome) -> None:
        if outcome.sha256:
            self.record_file(outcome.path, outcome.sha256, outcome.size, outcome.mtime)
        self.result.findings.extend(outcome.findings)
        self.result.timeline.extend(outcome.events)
        for fam in outcome.coverage:
            self.result.coverage.family(fam.family).absorb(fam)
        for s in outcome.skipped:
            self.skip(s.path, s.reason, s.partial, relevant=s.relevant, unchecked=s.unchecked)

    def progress(self, label: str, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(label, done, total)

    # -- parallel per-file work --------------------------------------------------------------
    def map_files(
        self,
        func: Callable[[LocatedFile, Any], FileOutcome],
        files: Iterable[LocatedFile],
        params: Any = None,
        label: str = "reading",
        batch: tuple[int, int] = (0, 0),
    ) -> Iterator[FileOutcome]:
        """Run ``func`` over ``files`` in worker processes (largest first); yield and merge outcomes.

        A worker that raises is reported as a skipped file naming the error; the scan goes on.
        ``batch``: at most (bytes, files) per worker task when ``func`` costs less per byte than
        reading a log does (default :data:`BATCH_BYTES`, :data:`BATCH_FILES`).
        """
        return self.map_jobs([Job(func, list(files), params, batch)], label)

    def map_jobs(self, jobs: Sequence[Job], label: str = "reading") -> Iterator[FileOutcome]:
        """:meth:`map_files` of several jobs (functions, files, parameters) in one go: every job's
        tasks are handed to the pool at once (in job order, each job's largest first), so no worker
        waits at the end of one job for the other's last task before the next job starts (the pivot
        pass's two parameter groups, issue 18, session 18). Outcomes come as they are done."""
        todos = [(job, sorted(job.files, key=lambda f: f.ref.size, reverse=True)) for job in jobs]
        total = sum(f.ref.size for _, todo in todos for f in todo) or 1
        done = 0
        workers = self.options.workers()
        if workers <= 1 or sum(len(todo) for _, todo in todos) <= 1 or total < PARALLEL_MIN_BYTES:
            for job, todo in todos:
                for f in todo:
                    outcome = _safe_call(job.func, f, job.params)
                    self.merge(outcome)
                    done += f.ref.size
                    self.progress(label, done, total)
                    yield outcome
            return
        tasks = [(job, b) for job, todo in todos if todo for b in _batches(todo, workers, *job.batch)]
        pool = self._executor(workers)
        # Small files go to the workers in batches: one task per file costs ~1 ms of pickling and
        # IPC, which dominates for thousands of hourly logs of a few dozen KB.
        try:
            futures = {pool.submit(_safe_batch, job.func, b, job.params): b for job, b in tasks}
        except cf.BrokenExecutor:  # a worker died in an earlier stage: start afresh, once
            self.close()
            pool = self._executor(workers)
            futures = {pool.submit(_safe_batch, job.func, b, job.params): b for job, b in tasks}
        broken = False
        for fut in cf.as_completed(futures):
            files_of = futures[fut]
            try:
                outcomes = fut.result()
            except Exception as exc:  # worker died (e.g. killed): never lose the file silently
                broken = broken or isinstance(exc, cf.BrokenExecutor)
                outcomes = [
                    FileOutcome(f.display(), skipped=[SkippedFile(f.display(), f"worker failed: {exc}")])
                    for f in files_of
                ]
            for f, outcome in zip(files_of, outcomes, strict=True):
                self.merge(outcome)
                done += f.ref.size
                self.progress(label, done, total)
                yield outcome
        if broken:
            self.close()

    def submit(self, func: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        """Run ``func(*args)`` in one of the worker processes :meth:`map_files` uses (started from the
        fork server, never a fork of this process, which may hold threads), e.g. one part of a large
        file; worker caches stay warm for the stage's other files."""
        return self._executor(self.options.workers()).submit(func, *args)

    def _executor(self, workers: int) -> cf.ProcessPoolExecutor:
        """One pool of worker processes for a stage's :meth:`map_files` calls (see
        :func:`worker_context` for how workers start). Worker caches (compiled prefilters, parsed
        rules) stay warm across the calls of one stage."""
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=worker_context())
        return self._pool

    def abort(self) -> None:
        """Stop the worker processes now (the scan is being interrupted, e.g. SIGTERM): none is left
        behind finishing a file nobody waits for."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for proc in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes (idempotent); :func:`run_scan` calls it when the scan ends."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _die_with_parent() -> None:
    """In a forked process (a worker, forked by the fork server): end when the process that forked it
    ends, so a scan that is killed or interrupted leaves no worker running on (Linux
    ``PR_SET_PDEATHSIG``; the fork server itself ends when the scan's main process does)."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    sys.excepthook = _quiet_when_pool_gone


def _quiet_when_pool_gone(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """A worker forked for a pool that its scan has just shut down (stopped by SIGTERM or Ctrl-C)
    finds the pool's semaphores already removed and cannot start: nothing is lost and nobody waits
    for it, so it ends without printing a traceback into the user's terminal. Anything else is
    reported as usual."""
    if isinstance(exc, FileNotFoundError):
        frames = traceback.extract_tb(tb)
        if any(f.name == "__setstate__" and f.filename.endswith("synchronize.py") for f in frames):
            return
    sys.__excepthook__(kind, exc, tb)


_PR_SET_PDEATHSIG = 1
if sys.platform.startswith("linux"):
    os.register_at_fork(after_in_child=_die_with_parent)


def worker_context() -> mp.context.BaseContext:
    """How worker processes start: forked from a small fork server that imported the worker
    modules once (:func:`start_workers`). Such a worker is as lean as a spawned one (no copy of the
    main process, its results and its imports) without paying interpreter start-up and imports per
    worker and per stage. Where there is no fork server (Windows), workers are spawned."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    return mp.get_context("forkserver")


def start_workers(modules: Sequence[str]) -> None:
    """Start the fork server now, importing ``modules`` (the modules whose functions run in
    workers), so its start-up overlaps the evidence listing instead of delaying the first stage.
    Must come before any worker starts: the fork server's imports are fixed when it starts."""
    if "forkserver" not in mp.get_all_start_methods():
        return
    from multiprocessing import forkserver

    context = mp.get_context("forkserver")
    context.set_forkserver_preload(list(modules))
    forkserver.ensure_running()


def stop_fork_server() -> None:
    """End the fork server now (the process is about to exit without its exit handlers: an
    interrupt). Its workers end with it (:func:`_die_with_parent`), including one it was forking
    while the pool was shut down, which the pool never knew of and so could not stop; without this
    such a worker and the server would wait for work for ever."""
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if isinstance(pid, int) and pid > 0:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        # gone before this process exits and closes its end of the server's socket: else a server
        # still reading a request sees the socket close first and prints its EOFError traceback
        deadline = time.monotonic() + 0.5
        with contextlib.suppress(ChildProcessError, OSError):
            while os.waitpid(pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
                time.sleep(0.002)


#: Less work than this (bytes) is done in the main process: starting worker processes costs more.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024

#: Batches of small files sent to one worker task: at most this many bytes / files each.
BATCH_BYTES = 8 * 1024 * 1024
BATCH_FILES = 64


def changed_while_read(path: str, first: str, later: str) -> str:
    """The coverage warning for a file whose bytes changed while the scan read it."""
    return (
        f"{path} changed while the scan read it (SHA-256 {first} when first read, {later} when read again): "
        "what was found in it may rest on either version. Scan a copy that nothing writes to."
    )


def _batches(todo: list[LocatedFile], workers: int, max_bytes: int = 0, max_files: int = 0) -> list[list[LocatedFile]]:
    """Group files (largest first) into tasks of up to ``max_bytes`` / ``max_files`` (0: the defaults
    :data:`BATCH_BYTES`, :data:`BATCH_FILES`); a large file is a task of its own. Keeps at least a
    few tasks per worker so the load stays balanced."""
    total = sum(f.ref.size for f in todo)
    max_files = max_files or BATCH_FILES
    cap = max(1, min(max_bytes or BATCH_BYTES, total // (workers * 4) or 1))
    out: list[list[LocatedFile]] = []
    cur: list[LocatedFile] = []
    size = 0
    for f in todo:
        if cur and (size + f.ref.size > cap or len(cur) >= max_files):
            out.append(cur)
            cur, size = [], 0
        cur.append(f)
        size += f.ref.size
    if cur:
        out.append(cur)
    return out


def _safe_batch(func: Callable[[LocatedFile, Any], FileOutcome], batch: list[LocatedFile], params: Any) -> list[FileOutcome]:
    return [_safe_call(func, f, params) for f in batch]


def _safe_call(func: Callable[[LocatedFile, Any], FileOutcome], f: LocatedFile, params: Any) -> FileOutcome:
    try:
        return func(f, params)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return FileOutcome(f.display(), skipped=[SkippedFile(f.display(), f"cannot be read: {reason}")])
    except MemoryError:
        return FileOutcome(f.display(), skipped=[SkippedFile(f.display(), "too large to process in memory")])
    except Exception as exc:
        # A parser bug must not end the scan; it is reported as a file that was not read.
        return FileOutcome(
            f.display(),
            skipped=[SkippedFile(f.display(), f"could not be processed ({type(exc).__name__}: {exc})")],
        )
