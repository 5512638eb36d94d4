"""The scan stages, one registration line each (``module:Class``).

Adding a stage: write its module (a class with ``name``, ``requires``, ``provides`` and
``run(ctx)``; see docs/extending.md) and add one line here. The order of the stages comes from
their contracts (:mod:`extriage.scan.contracts`), not from this list: the list only orders stages
that do not depend on each other (which decides the order of their warnings in the report). The
``number-findings`` step (:class:`extriage.scan.numbering.NumberFindingsStage`) is added by the
pipeline.
"""

from __future__ import annotations

import importlib

from extriage.scan.context import Stage

STAGES = [
    "extriage.scan.stages.logs:LogsStage",  # HttpProxy, IIS, ECP, OABGenerator, Rps_Http logs
    "extriage.scan.stages.events.read_stage:EventsStage",  # EVTX and exported Windows events
    "extriage.scan.stages.webfiles:WebFilesStage",  # web shells and post-exploitation files
    "extriage.scan.stages.ntfs_times:NtfsTimesStage",  # NTFS times of suspicious files in images
    "extriage.scan.stages.usn_journal:UsnJournalStage",  # pages created then deleted (NTFS change journal)
    "extriage.scan.stages.patch:PatchStage",  # build of the server and its open CVEs
    "extriage.scan.stages.mitigation:MitigationStage",  # interim mitigations in force
    "extriage.scan.stages.events.correlate_stage:EventsCorrelateStage",  # event IPs, incident window
    "extriage.scan.stages.correlate:CorrelateStage",  # cross-source pivots and attack stories
    "extriage.scan.stages.webfiles:WebFilesLinkStage",  # file findings joined to log/event lines
    "extriage.scan.stages.waves:WavesStoryStage",  # stories borrowed by two waves folded
    "extriage.scan.stages.events.story_stage:EventsStoryStage",  # event findings join the stories
    "extriage.scan.stages.identity:IdentityStage",  # the server's host name, from its own logs
    "extriage.scan.stages.verdict:VerdictStage",  # verdict, per-wave verdicts, coverage warnings
    "extriage.scan.stages.waves:WavesSummaryStage",  # per-wave summary (extras.waves)
]


#: Modules whose functions run in worker processes: the fork server imports them once, at the
#: start of a scan (:func:`extriage.scan.context.start_workers`), so workers start ready.
WORKER_MODULES = [
    "extriage.scan.stages.logs",  # scan_log_file, pivot_log_file
    "extriage.scan.warmup",  # the shipped log rules' prefilters, compiled once for all workers
    "extriage.detections.webfiles.content",  # examine_batch
    "extriage.detections.webfiles.warm_behaviour",  # behaviour patterns compiled once (> 2 workers: pipeline.worker_modules)
]


def load_stage(entry: str) -> Stage:
    """One registered stage (``module:Class``), constructed with its defaults. A missing stage is an
    error: a scan must never silently read less."""
    module, _, cls = entry.partition(":")
    stage: Stage = getattr(importlib.import_module(module), cls)()
    return stage


def default_stages() -> list[Stage]:
    """Every registered stage, in registration order (the pipeline orders them by contract)."""
    return [load_stage(entry) for entry in STAGES]
