"""Imported by the worker fork server (``extriage.scan.registry.WORKER_MODULES``): compiles the
behaviour-analysis knowledge (Python patterns and the RE2 sink prefilters, ~0.2 s) once, so every
forked web-file worker starts with it instead of compiling it again."""

from __future__ import annotations

from extriage.detections.webfiles.behaviour import knowledge

knowledge()
