"""Imported by the worker fork server (``extriage.scan.registry.WORKER_MODULES``): compiles the
behaviour-analysis knowledge (Python patterns, the engine's own lazily compiled tables, C#'s RE2 sink prefilter and the hidden-sink screen,
and their first DFA states), parses the shipped Exchange baseline
(~0.08 s) and compiles the location rules once, so every forked web-file worker starts with them
instead of building them again."""

from __future__ import annotations

from extriage.detections.webfiles.baseline import load_baseline
from extriage.detections.webfiles.behaviour import hiding_screen, knowledge, warm_patterns
from extriage.detections.webfiles.behaviour.knowledge import warm_prefilters
from extriage.detections.webfiles.behaviour.screen import WARM_HIDING
from extriage.detections.webfiles.content import path_matcher
from extriage.detections.webfiles.knowledge import known_bad

knowledge()
warm_patterns()  # the engine's module-level patterns, compiled on first use elsewhere (P6, session 17)
warm_prefilters()  # RE2's match-start programs, built once here for every forked worker (P1, session 9)
_screen = hiding_screen()
if _screen is not None:
    _screen.match(WARM_HIDING)
load_baseline()
path_matcher()
known_bad()
