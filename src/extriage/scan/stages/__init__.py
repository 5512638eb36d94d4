"""Scan stages: each module glues formats and detections for one kind of evidence and exposes ``STAGES``."""
