"""The per-file time budget of the behaviour analysis: a file not fully analysed in it is
reported, never silently passed."""

from __future__ import annotations

#: Seconds of analysis per file at most (``--file-timeout`` lowers it); past it the file is reported.
BUDGET = 5.0


class Timeout(Exception):
    """The per-file time budget ran out."""
