"""Imported by the worker fork server (``extriage.scan.registry.WORKER_MODULES``): compiles the
behaviour-analysis knowledge (Python patterns, the RE2 sink prefilters and the hidden-sink screen,
~0.2 s), parses the shipped Exchange baseline (~0.08 s) and compiles the location rules once, so every
forked web-file worker starts with them instead of building them again."""

from __future__ import annotations

from extriage.detections.webfiles.baseline import load_baseline
from extriage.detections.webfiles.behaviour import hiding_screen, knowledge
from extriage.detections.webfiles.content import path_matcher
from extriage.detections.webfiles.knowledge import known_bad

knowledge()
hiding_screen()
load_baseline()
path_matcher()
known_bad()
