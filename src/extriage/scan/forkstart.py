"""The worker fork server, started from the command's first moment for ``extriage scan``.

The fork server imports what the workers run (NumPy, the logs stage, its compiled prefilters: ~0.25
CPU-s) while the main process imports the CLI and the stages and lists the evidence. Started by the
``scan`` command itself, it became ready only as the main thread reached the logs stage, after
~0.15 CPU-s of imports that came first (issue 18, session 19): so :func:`start_for_scan` starts it
from the console script, before the CLI is imported, reading the command line ahead of Typer. This
module imports nothing of the project at import time (the CLI's own start is what it overtakes).

The command line is read strictly: only the ``scan`` command's known options in the spellings
Typer accepts, one evidence path; anything else starts nothing here, and the command starts the
fork server itself after Typer has read it, as before. The path read here is also the one
excluded from the cache folders (:func:`extriage.cache.exclude`) before the server starts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

#: Modules whose functions run in worker processes: the fork server imports them once, at the
#: start of a scan (:func:`start_workers`), so workers start ready.
WORKER_MODULES = [
    "extriage.scan.stages.logs",  # scan_log_file, pivot_log_file
    "extriage.scan.warmup",  # the shipped log rules' prefilters, compiled once for all workers
    "extriage.detections.webfiles.content",  # examine_batch
    "extriage.detections.webfiles.warm_behaviour",  # behaviour patterns compiled once (> 2 workers: preload)
]

#: Tables only the web file stage's workers use (behaviour patterns, baseline, location rules).
WEB_WORKER_TABLES = "extriage.detections.webfiles.warm_behaviour"
#: The web file stage's worker code: its import compiles the behaviour engine's patterns (~0.15 s on a
#: quiet machine). The logs stage's workers no longer import it (scan/facts.py, session 13).
WEB_WORKER_CODE = "extriage.detections.webfiles.content"

#: Less work than this (bytes) is done in the main process: starting worker processes costs more.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
#: Evidence of at least this many files starts the worker fork server even when it holds few bytes
#: (the web file stage spreads trees of many small files over every core).
PARALLEL_MIN_FILES = 2000


def preload(workers: int) -> list[str]:
    """The modules the fork server preloads for a scan of ``workers`` workers. The web file stage's
    pool has one worker fewer than the scan: with two workers or fewer it has at most one, which
    builds :data:`WEB_WORKER_TABLES` itself in the same CPU time as the fork server would (a tree of
    many web pages then ends ≈ 0.2 s later), whereas in the fork server they cost ≈ 0.3 s of CPU and
    delay every parallel scan's first log workers, also when the web file stage uses no worker at
    all, as on log-heavy evidence (BENCHMARKS.md, issue 18 logs part, sessions 6 and 7). The same
    holds for the web file stage's code itself (:data:`WEB_WORKER_CODE`): its one worker imports it
    when its pool starts, which the stage does before it builds its work list (session 13). With
    more cores, several web file workers share the fork server's copy."""
    if workers > 2:
        return list(WORKER_MODULES)
    return [m for m in WORKER_MODULES if m not in (WEB_WORKER_TABLES, WEB_WORKER_CODE)]


def large(root: str, min_bytes: int, min_files: int) -> bool:
    """Whether the evidence at ``root`` holds at least ``min_bytes`` or ``min_files`` files: a look
    that stops as soon as it knows (a few dozen logs into a real collection), so a small tree costs a
    directory walk of a few milliseconds and a large one no more. A file (zip, disk image) is
    judged by its size. Symbolic links are not followed; unreadable folders are passed over (the
    inventory names them)."""
    try:
        if not os.path.isdir(root):
            return os.path.getsize(root) >= min_bytes
    except OSError:
        return True  # the stages will say what is wrong; starting the workers costs nothing more
    size = files = 0
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            files += 1
                            size += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
                    if size >= min_bytes or files >= min_files:
                        return True
        except OSError:
            continue
    return False


def start_workers(modules: Sequence[str]) -> None:
    """Start the fork server now, importing ``modules`` (the modules whose functions run in
    workers), so its start-up overlaps the evidence listing instead of delaying the first stage.
    Must come before any worker starts: the fork server's imports are fixed when it starts."""
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return
    from multiprocessing import forkserver

    context = mp.get_context("forkserver")
    context.set_forkserver_preload(list(modules))
    forkserver.ensure_running()


#: The ``scan`` command's options that take a value (Typer: ``--name value``, ``--name=value``; a
#: short one also ``-jVALUE``) and its flags. Kept equal to the command's own by a test.
SCAN_VALUE_OPTIONS = frozenset({"--json", "--timeline", "--jobs", "-j", "--rules", "--max-file-size",
                                "--file-timeout", "--log-rules", "--prefilter-engine", "--report", "--reviewed"})
SCAN_FLAGS = frozenset({"--quiet", "-q"})


def scan_target(argv: Sequence[str]) -> tuple[str, int] | None:
    """The evidence path and ``--jobs`` of ``extriage scan`` arguments ``argv`` (after ``scan``),
    as Typer will read them, or None when the line is anything but plain: an unknown option or
    spelling, help, a missing value, no or several paths, a jobs value not written as a plain
    integer."""
    paths: list[str] = []
    jobs = "0"
    i = 0
    only_paths = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if only_paths or arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        if arg in SCAN_FLAGS:
            continue
        name, eq, value = arg.partition("=")
        if name.startswith("--") and eq and name in SCAN_VALUE_OPTIONS:
            pass
        elif arg in SCAN_VALUE_OPTIONS:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        elif arg.startswith("-j") and not arg.startswith("--") and len(arg) > 2:
            name, value = "-j", arg[2:]
        else:
            return None
        if name in ("--jobs", "-j"):
            jobs = value
    digits = jobs[1:] if jobs.startswith("-") else jobs
    if len(paths) != 1 or not digits.isdigit() or not digits.isascii():
        return None
    return paths[0], int(jobs)


def start_for_scan(argv: Sequence[str]) -> bool:
    """Start the fork server for ``extriage scan`` ``argv`` when the scan will use workers (more
    than one, evidence that exists and holds at least :data:`PARALLEL_MIN_BYTES` or
    :data:`PARALLEL_MIN_FILES`, as :func:`extriage.scan.pipeline.start_early` decides); returns
    whether it did. The evidence is excluded from the cache folders first, in this process and so
    in the server."""
    target = scan_target(argv)
    if target is None:
        return False
    path, jobs = target
    workers = jobs if jobs > 0 else max(1, os.cpu_count() or 1)
    if workers <= 1 or not os.path.exists(path):
        return False
    from extriage import cache

    cache.exclude(path)
    if not large(path, PARALLEL_MIN_BYTES, PARALLEL_MIN_FILES):
        return False
    start_workers(preload(workers))
    return True
