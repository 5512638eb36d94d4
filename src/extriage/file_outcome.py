"""What processing one evidence file produced, as a worker process returns it to the scan.

Lives below every layer that has per-file workers (detections, formats, scan stages), so none of
them imports the scan machinery to return a result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extriage.findings import FamilyCoverage, Finding, SkippedFile, TimelineEvent


@dataclass(slots=True)
class FileOutcome:
    """What processing one file produced; returned by worker functions, merged by the context."""

    path: str  # display path
    sha256: str | None = None
    size: int = 0
    mtime: datetime | None = None
    findings: list[Finding] = field(default_factory=list)
    events: list[TimelineEvent] = field(default_factory=list)
    coverage: list[FamilyCoverage] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # stage-specific facts for later stages
