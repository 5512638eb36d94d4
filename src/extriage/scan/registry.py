"""The list of scan stages, in one place. Each area of the project adds its own stage here.

A stage is any object with ``name``, ``phase`` and ``run(ctx)`` (see :class:`extriage.scan.context.Stage`).
Phases: 10 = read evidence and detect; 50 = correlate across sources; 90 = summarise (verdict,
stories, coverage warnings). Stages of one phase run in the order listed.
"""

from __future__ import annotations

from extriage.scan.context import Stage


def default_stages() -> list[Stage]:
    stages: list[Stage] = []
    # Each import is local so that a stage's heavy dependencies load only when scanning.
    return sorted(stages, key=lambda s: s.phase)
