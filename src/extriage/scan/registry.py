"""The list of scan stages, in one place.

Each module named here exposes ``STAGES: list[Stage]`` (see :class:`extriage.scan.context.Stage`).
Phases order them: 10 = read evidence and detect; 50 = correlate across sources; 90 = summarise
(verdict, stories, coverage warnings). Stages of one phase run in the order listed here.
"""

from __future__ import annotations

import importlib

from extriage.scan.context import Stage

STAGE_MODULES = [
    "extriage.scan.stages.logs",  # HttpProxy, IIS, ECP, OABGenerator, Rps_Http logs
    "extriage.scan.stages.events",  # EVTX and exported Windows events
    "extriage.scan.stages.webfiles",  # web shells and post-exploitation files
    "extriage.scan.stages.patch",  # build of the server and its open CVEs
    "extriage.scan.stages.mitigation",  # interim mitigations in force
    "extriage.scan.stages.correlate",  # cross-source pivots and attack stories
    "extriage.scan.stages.identity",  # the server's host name, from its own logs
    "extriage.scan.stages.waves",  # later waves: per-wave stories and summary (ProxyShell, ProxyNotShell, ProxyToken)
    "extriage.scan.stages.verdict",  # verdict, per-wave verdicts, coverage warnings
]


#: Modules whose functions run in worker processes: the fork server imports them once, at the
#: start of a scan (:func:`extriage.scan.context.start_workers`), so workers start ready.
WORKER_MODULES = [
    "extriage.scan.stages.logs",  # scan_log_file, pivot_log_file
    "extriage.scan.warmup",  # the shipped log rules' prefilters, compiled once for all workers
    "extriage.detections.webfiles.content",  # examine_batch
    "extriage.detections.webfiles.warm_behaviour",  # behaviour-analysis patterns compiled once
]


def default_stages() -> list[Stage]:
    stages: list[Stage] = []
    for name in STAGE_MODULES:  # a missing stage is an error: a scan must never silently read less
        stages.extend(importlib.import_module(name).STAGES)
    return sorted(stages, key=lambda s: s.phase)
