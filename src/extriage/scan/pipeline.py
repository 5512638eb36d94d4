"""Run a scan: open the evidence read-only, list it once, run every stage, return the result."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from extriage import __version__
from extriage.evidence.images import ContainerFiles
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.findings import ScanResult, SkippedFile
from extriage.scan.context import ProgressCallback, ScanContext, ScanOptions, Stage, start_workers
from extriage.scan.contracts import Facts, order_stages, provides_of
from extriage.scan.facts import FindingIds
from extriage.scan.numbering import NumberFindingsStage, number_findings
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
    if options.workers() > 1:
        start_workers(WORKER_MODULES)  # imports in the fork server while the evidence is listed
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
    ctx = ScanContext(inventory, result, options, progress)
    ctx.facts = Facts(given)
    try:
        for stage in ordered:
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
