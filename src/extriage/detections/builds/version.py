"""Exchange build numbers: every written form parsed to one integer 4-tuple.

Builds are compared as integer tuples, never as strings or decimals (HealthChecker compared
"2375.18" and "2375.7" as doubles and got the CU wrong — CSS-Exchange issue #873). A build whose
revision is unknown (the OWA ``auth`` folder, ``AdminDisplayVersion``, the registry ``Msi*``
values) is *CU-only*: it names the Cumulative Update but not the Security Update on top of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import total_ordering

#: Exchange major versions we know: 8 = 2007, 14 = 2010, 15 = 2013/2016/2019/SE.
KNOWN_MAJORS = frozenset({8, 14, 15})
_MAX_PART = 65535  # each field of a Windows file version is 16 bits
_MAX_INPUT = 300

# [0-9], not \d: \d also matches other scripts' digits ("١٥.١...") which int() would accept.
_N = r"[0-9]{1,5}"
_PLAIN_RE = re.compile(rf"^(?:exchange/|v(?:ersion)?\s*)?({_N})\.({_N})\.({_N})(?:\.({_N}))?$", re.IGNORECASE)
_ADMIN_RE = re.compile(rf"^version\s+({_N})\.({_N})\s*\(build\s+({_N})\.({_N})\)$", re.IGNORECASE)
_SEGMENT_RE = re.compile(rf"^({_N})\.({_N})\.({_N})(?:\.({_N}))?$")


class BuildParseError(ValueError):
    """The text is not an Exchange build number; the message is one line saying why."""


class NotExchangeBuild(BuildParseError):
    """A well-formed version number of another product (``99.1.1.1``, ``10.0.17763.1``): it can be read,
    just not assessed — unlike text that is no build number at all (a usage error)."""


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class Build:
    major: int
    minor: int
    build: int
    revision: int | None = None
    #: where the text came from, e.g. "AdminDisplayVersion (CU level)"; not part of the identity
    origin: str = field(default="", compare=False)

    @property
    def cu_only(self) -> bool:
        """True when the revision (which carries the Security Update) is unknown."""
        return self.revision is None

    @property
    def key(self) -> tuple[int, int, int, int]:
        """Sort key; a CU-only build sorts before every revision of its CU."""
        return (self.major, self.minor, self.build, -1 if self.revision is None else self.revision)

    def long_form(self) -> str:
        """Microsoft's padded form, e.g. ``15.01.2176.009``."""
        rev = "" if self.revision is None else f".{self.revision:03d}"
        return f"{self.major}.{self.minor:02d}.{self.build:04d}{rev}"

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.build}"
        return base if self.revision is None else f"{base}.{self.revision}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Build):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Build):
            return NotImplemented
        return self.key < other.key


def parse_build(text: str) -> Build:
    """Parse any form an Exchange build appears in.

    ``15.1.2176.9``, ``15.01.2176.009``, ``15.1.2176`` (CU only), ``Exchange/15.01.2176.009``
    (X-ServerApplication), ``Version 15.1 (Build 2176.9)`` (AdminDisplayVersion: CU level, so the
    result is CU-only), ExSetup file versions, OWA/ECP folder names and paths such as
    ``/owa/auth/15.1.2176/themes/x.png`` or ``/owa/14.3.169.1/``. Raises :class:`BuildParseError`.
    """
    if not isinstance(text, str):
        raise BuildParseError("a build number must be text")
    raw = text.strip().strip("'\"")
    if not raw:
        raise BuildParseError("empty build number")
    if len(raw) > _MAX_INPUT:
        raise BuildParseError(f"too long to be a build number ({len(raw)} characters)")
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    m = _ADMIN_RE.match(raw)
    if m:
        # AdminDisplayVersion never shows the Security Update: keep only the CU (build number).
        return _make(m.group(1), m.group(2), m.group(3), None, shown, "AdminDisplayVersion (CU level)")
    m = _PLAIN_RE.match(raw)
    if m:
        return _make(m.group(1), m.group(2), m.group(3), m.group(4), shown, "")
    if "/" in raw or "\\" in raw:
        for seg in reversed(re.split(r"[/\\]+", raw)):
            sm = _SEGMENT_RE.match(seg)
            if sm:
                return _make(sm.group(1), sm.group(2), sm.group(3), sm.group(4), shown, "folder name")
        raise BuildParseError(f"no build number in the path {shown!r}")
    raise BuildParseError(f"{shown!r} is not a build number (expected e.g. 15.1.2176.9 or 15.01.2176.009)")


def _make(a: str, b: str, c: str, d: str | None, shown: str, origin: str) -> Build:
    parts = [int(a), int(b), int(c)] + ([] if d is None else [int(d)])
    if any(p > _MAX_PART for p in parts):
        raise BuildParseError(f"{shown!r} has a part larger than {_MAX_PART}")
    if parts[0] not in KNOWN_MAJORS:
        raise NotExchangeBuild(
            f"{shown!r} is not an Exchange Server build (Exchange 2007 to SE use major versions 8, 14 and 15)"
        )
    return Build(parts[0], parts[1], parts[2], None if d is None else parts[3], origin)
