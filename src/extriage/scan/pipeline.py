"""Run a scan: open the evidence read-only, list it once, run every stage, return the result."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable
from datetime import UTC, datetime

from extriage import __version__, cache
from extriage.evidence.images import ContainerFiles
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.findings import ScanResult, SkippedFile
from extriage.scan import context
from extriage.scan.context import (
    ProgressCallback,
    ScanContext,
    ScanOptions,
    Stage,
    start_workers,
)
from extriage.scan.contracts import Facts, order_stages, provides_of, stage_name
from extriage.scan.facts import FindingIds
from extriage.scan.numbering import NumberFindingsStage, number_findings
from extriage.scan.prepare import Prepare
from extriage.scan.registry import WORKER_MODULES, default_stages


def run_scan(
    path: str,
    options: ScanOptions | None = None,
    progress: ProgressCallback | None = None,
    stages: list[Stage] | None = None,
    given: Iterable[object] = (),
) -> ScanResult:
    """Scan the evidence at ``path``. Raises :class:`extriage.evidence.source.EvidenceError` when the
    path as a whole cannot be used; every per-file problem is recorded in the result instead.

    ``stages`` (tests, benchmarks) runs a subset instead of the registered stages; facts no stage
    of the subset provides are then empty unless ``given`` holds them. Raises
    :class:`extriage.scan.contracts.ContractError` before reading anything when the stages'
    contracts cannot be met."""
    ordered = plan(stages)
    options = options or ScanOptions()
    spec = open_source(path)
    # The fork server (worker processes' imports and compiled prefilters) is started while the
    # evidence is listed, but only for evidence big enough for a stage to use workers: on a small
    # tree it was 0.5 s of CPU for nothing, and on a loaded machine it slowed the scan itself
    # (BENCHMARKS.md, core section, session 5).
    parallel = options.workers() > 1
    started = start_early(spec.root, options)
    result = ScanResult(evidence_path=spec.root, started=datetime.now(UTC), tool_version=__version__)
    skipped: list[SkippedFile] = []
    inventory = build_inventory(spec, lambda p, why: skipped.append(SkippedFile(p, why)))
    result.coverage.skipped.extend(skipped)
    containers = ContainerFiles(inventory.images).start()  # each disk image hashed beside the stages
    result.layout = inventory.layout
    if inventory.notes:  # what was read inside disk images, volume by volume (evidence layer)
        result.extras["containers"] = list(inventory.notes)
    if inventory.exchange_volume:
        result.coverage.warn(inventory.exchange_volume)
    result.exchange_install = _install_display(inventory.exchange_installs, inventory.files)
    if parallel and not started and (len(inventory.files) >= PARALLEL_MIN_FILES
                                     or sum(f.ref.size for f in inventory.files) >= context.PARALLEL_MIN_BYTES):
        start_workers(worker_modules(options))  # more inside the evidence than the first look saw
        started = True
    ctx = ScanContext(inventory, result, options, progress)
    ctx.facts = Facts(given)
    frozen = _freeze_heap()
    # with workers, the main process mostly waits during the first stages: later stages' tables
    # are built meanwhile (extriage.scan.prepare), finished before any of those stages starts
    prepare = (
        Prepare([stage_name(s) for s in ordered[1:]], options, spec.root, inventory).start() if started else None
    )
    try:
        for stage in ordered:
            if prepare is not None and prepare.warms(stage_name(stage)):
                prepare.join()
                prepare = None
            try:
                stage.run(ctx)
            except Exception as exc:  # a bug in one stage must not lose what the others found
                name = getattr(stage, "name", type(stage).__name__)
                result.coverage.warn(
                    f"The {name} stage failed ({type(exc).__name__}: {exc}); its checks are missing from this report."
                )
                result.extras.setdefault("stage_errors", {})[name] = f"{type(exc).__name__}: {exc}"
            ctx.facts.fill(provides_of(stage))  # a provider that stopped early or failed: empty facts
            # idle workers of one stage must not sit beside the next stage's own pool (memory)
            ctx.close()
    except BaseException:  # interrupted (SIGTERM, Ctrl-C): no worker left running
        ctx.abort()
        containers.finish(cancel=True)
        raise
    finally:
        ctx.close()  # the worker processes shared by the stages
        if frozen:
            gc.unfreeze()
    # disk images and other containers: their own SHA-256 (hashed beside the stages), then closed
    digests, unhashed = containers.finish()
    for path, digest, size, mtime in digests:
        ctx.record_file(path, digest, size, mtime)
    for path, why in unhashed:
        result.coverage.warn(f"{path}: {why}")
    number_findings(result)
    result.timeline.sort(key=lambda e: (e.timestamp, e.source, e.line or 0))
    result.finished = datetime.now(UTC)
    return result


def _freeze_heap() -> bool:
    """Leave what the process holds before the stages (modules, rules, the inventory: most of its
    objects) out of the garbage collector's full passes until the scan ends (``gc.freeze``); returns
    whether it did (a caller that froze the heap itself keeps its own freeze). The stages' own
    objects are collected as before. A full pass walked every object of the process, ~35-70 ms each,
    one to three times per scan of a 2 GB server, most of them in the threads that take the workers'
    results while both cores read logs (BENCHMARKS.md, issue 18, session 22). Results cannot change:
    a collection only frees objects nothing reaches; :func:`run_scan` unfreezes them at its end."""
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def start_early(path: str, options: ScanOptions) -> bool:
    """Start the worker fork server now if the scan of ``path`` will use workers (see
    :func:`_large`); returns whether it did. :func:`run_scan` calls it; a caller with work of its own
    before the scan (the CLI's rule checks, the imports of the stages) calls it first, so the fork
    server's imports and compiled prefilters overlap that work (≈ 0.09 s of it) instead of delaying
    the first stage's workers (BENCHMARKS.md, issue 18 logs part, session 6). Starting it twice is
    harmless: the second call finds it running."""
    cache.exclude(path)  # evidence stays read-only: no cache folder inside it, in workers either
    if options.workers() <= 1 or not os.path.exists(path) or not _large(path):
        return False
    start_workers(worker_modules(options))
    return True


#: Tables only the web file stage's workers use (behaviour patterns, baseline, location rules).
WEB_WORKER_TABLES = "extriage.detections.webfiles.warm_behaviour"
#: The web file stage's worker code: its import compiles the behaviour engine's patterns (~0.15 s on a
#: quiet machine). The logs stage's workers no longer import it (scan/facts.py, session 13).
WEB_WORKER_CODE = "extriage.detections.webfiles.content"


def worker_modules(options: ScanOptions) -> list[str]:
    """The modules the fork server preloads (:data:`extriage.scan.registry.WORKER_MODULES`). The
    web file stage's pool has one worker fewer than the scan: with two workers or fewer it has at most
    one, which builds :data:`WEB_WORKER_TABLES` itself in the same CPU time as the fork server would
    (a tree of many web pages then ends ≈ 0.2 s later), whereas in the fork server they cost ≈ 0.3 s
    of CPU and delay every parallel scan's first log workers, also when the web file stage uses no
    worker at all, as on log-heavy evidence (BENCHMARKS.md, issue 18 logs part, sessions 6 and 7).
    The same holds for the web file stage's code itself (:data:`WEB_WORKER_CODE`): its one worker
    imports it when its pool starts, which the stage does before it builds its work list (session
    13). With more cores, several web file workers share the fork server's copy."""
    if options.workers() > 2:
        return list(WORKER_MODULES)
    return [m for m in WORKER_MODULES if m not in (WEB_WORKER_TABLES, WEB_WORKER_CODE)]


#: Evidence of at least this many files starts the worker fork server even when it holds few bytes
#: (the web file stage spreads trees of many small files over every core).
PARALLEL_MIN_FILES = 2000


def _large(root: str) -> bool:
    """Whether the evidence at ``root`` holds at least ``PARALLEL_MIN_BYTES`` (:mod:`extriage.scan.context`)
    or :data:`PARALLEL_MIN_FILES` files: a look that
    stops as soon as it knows (a few dozen logs into a real collection), so a small tree costs a
    directory walk of a few milliseconds and a large one no more. A file (zip, disk image) is
    judged by its size. Symbolic links are not followed; unreadable folders are passed over (the
    inventory names them)."""
    min_bytes, min_files = context.PARALLEL_MIN_BYTES, PARALLEL_MIN_FILES  # read now: tests lower them
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


def plan(stages: list[Stage] | None = None) -> list[Stage]:
    """The stages in the order their contracts give (the registered ones when ``stages`` is None,
    where a fact without a provider is an error), with the ``number-findings`` step."""
    chosen = list(default_stages() if stages is None else stages)
    if not any(FindingIds in provides_of(s) for s in chosen):
        chosen.insert(0, NumberFindingsStage())  # first among equals: right after the last detector
    return order_stages(chosen, strict=stages is None)


def _install_display(installs: list[str], files: list) -> str:  # type: ignore[type-arg]
    """The first Exchange install folder, spelled as in the evidence (keys are lower-case)."""
    if not installs:
        return ""
    root = installs[0]
    if not root:
        return "(evidence root)"
    depth = root.count("/") + 1
    for f in files:
        if f.key.startswith(root + "/"):
            parts = f.logical.replace("\\", "/").split("/")
            sep = "\\" if "\\" in f.logical else "/"
            return sep.join(parts[:depth])
    return root
