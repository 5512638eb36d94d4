"""Exchange build knowledge: parse a build, assess its open CVEs, name the update that closes them.

Agreed interface (used by the probe, mitigation and scan stages): :func:`parse_build`,
:class:`Build`, :class:`BuildParseError`, :func:`assess` → :class:`Assessment`,
:class:`CveStatus`, :class:`Update`, :func:`waves`.
"""

from __future__ import annotations

from extriage.detections.builds.assess import (
    FIXED,
    UNKNOWN,
    UNLESS_SU,
    VULNERABLE,
    Assessment,
    CveStatus,
    Update,
    assess,
    waves,
)
from extriage.detections.builds.version import Build, BuildParseError, parse_build

__all__ = [
    "FIXED",
    "UNKNOWN",
    "UNLESS_SU",
    "VULNERABLE",
    "Assessment",
    "Build",
    "BuildParseError",
    "CveStatus",
    "Update",
    "assess",
    "parse_build",
    "waves",
]
