"""Work done once in the worker fork server, so every worker forks ready.

The fork server imports this module (:data:`extriage.scan.registry.WORKER_MODULES`). Importing it
loads the shipped log rules and compiles the Hyperscan prefilter of every log family (~0.1 s per
process): forked workers inherit the compiled databases instead of each compiling them again in
every stage. It also imports NumPy, which the log walk counts lines with (~0.1 s of CPU in every
worker of every stage that walks logs when each imported it itself; the main process of a
parallel scan still never imports it). Nothing else happens at import; a scan with extra rule
folders compiles its own.
"""

from __future__ import annotations

from extriage.detections.logrules import FAMILIES
from extriage.scan.stages.logs import LogParams, family_plan


def _warm() -> None:
    import numpy  # noqa: F401  (imported for the workers: see the module's docstring)

    engine = LogParams().engine
    for family in FAMILIES:
        try:
            family_plan(engine, (), family)
        except Exception:
            return


_warm()
