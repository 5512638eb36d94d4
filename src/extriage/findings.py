"""The one model every stage shares: findings, evidence, timeline, coverage, verdict.

Data flows evidence → formats → detections → findings → reports. Detections create
:class:`Finding` objects; the scan pipeline collects them with :class:`Coverage` and
:class:`TimelineEvent` rows into a :class:`ScanResult`; reports only read it.

Everything here is plain dataclasses that serialise to JSON (``to_dict``) following
``schema/scan-result.schema.json``. Attacker-controlled text is stored verbatim; escaping is the
renderer's job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = "1.0"


class Severity(enum.IntEnum):
    """How bad the finding is if true. Ordered so ``max()`` gives the worst."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def label(self) -> str:
        return self.name.lower()


class Confidence(enum.IntEnum):
    """How sure the detection is that the finding is what its title says."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2

    def label(self) -> str:
        return self.name.lower()


class Outcome(enum.StrEnum):
    """What a finding says about the attack: it drives the verdict.

    ``success`` and ``webshell`` make a server ``compromised``; ``attempt`` makes it ``attempted``;
    ``scanner`` and ``info`` never raise the verdict on their own.
    """

    SUCCESS = "success"
    WEBSHELL = "webshell"
    ATTEMPT = "attempt"
    SCANNER = "scanner"
    INFO = "info"


class Verdict(enum.StrEnum):
    """``no_evidence`` is a claim (these sources, covering these windows, were read and are clean);
    ``inconclusive`` says the scan could not make it: nothing that could show a wave was read for its
    window, evidence was present but not readable, or a stage failed. ``error`` is kept for results
    written by older versions."""

    COMPROMISED = "compromised"
    ATTEMPTED = "attempted"
    NO_EVIDENCE = "no_evidence"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


#: Exit codes of ``extriage scan`` (documented in docs/scan.md and the README). Kept here so every
#: command agrees.
EXIT_CODES: dict[Verdict, int] = {
    Verdict.NO_EVIDENCE: 0,
    Verdict.ATTEMPTED: 10,
    Verdict.COMPROMISED: 20,
    Verdict.INCONCLUSIVE: 3,
    Verdict.ERROR: 3,
}
#: Exit code for a usage error (bad PATH, bad option): distinct from every verdict.
EXIT_USAGE = 2
#: The scan could not decide (verdict ``inconclusive``): the silence is not an all-clear.
EXIT_INCOMPLETE = 3


def exit_code(result: ScanResult) -> int:
    """The scan's exit code: by verdict; a ``no_evidence`` result with a failed stage (an older
    result file) is incomplete too."""
    if result.verdict is Verdict.NO_EVIDENCE and result.extras.get("stage_errors"):
        return EXIT_INCOMPLETE
    return EXIT_CODES[result.verdict]


def utc(ts: datetime | None) -> datetime | None:
    """Return ``ts`` as an aware UTC datetime (naive values are taken to be UTC already)."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``, to the precision the source had (seconds, ms or µs)."""
    ts = utc(ts)
    if ts is None:
        return None
    spec = "seconds" if not ts.microsecond else "milliseconds" if ts.microsecond % 1000 == 0 else "microseconds"
    return ts.isoformat(timespec=spec).replace("+00:00", "Z")


@dataclass(slots=True)
class EvidenceLine:
    """One raw record a finding rests on: the file, where in it, and the exact text."""

    source: str  # logical path of the artifact (as shown to the user)
    line: int | None  # 1-based line number, or record number for event logs; None for whole files
    raw: str  # the raw line / record / file excerpt, verbatim (capped by the reader)
    fields: dict[str, Any] = field(default_factory=dict)  # parsed fields the detection used
    timestamp: datetime | None = None
    sha256: str | None = None  # hash of the source file, when known

    def why(self, rule_id: str) -> str:
        """Why this line is in a finding ruled by ``rule_id``: its own reason when it differs (an IOC path beside a
        location rule, a YARA hit beside a behaviour flow), else "" - without it, merged lines look like repeats."""
        reason = self.fields.get("reason")
        return str(reason) if reason and str(reason) != rule_id else ""


@dataclass(slots=True)
class Indicators:
    """Structured indicators a finding involves, for pivoting and for sharing exports."""

    client_ips: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # file system paths (web shells, dumps)
    urls: list[str] = field(default_factory=list)  # URL paths requested
    hashes: list[str] = field(default_factory=list)  # SHA-256
    accounts: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)

    def merge(self, other: Indicators) -> None:
        for name in ("client_ips", "user_agents", "paths", "urls", "hashes", "accounts", "hosts"):
            mine: list[str] = getattr(self, name)
            for value in getattr(other, name):
                if value and value not in mine:
                    mine.append(value)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


@dataclass(slots=True)
class Finding:
    """One conclusion of a detection, with everything needed to check it by hand."""

    rule_id: str  # stable id of the detection rule, e.g. "PL-26855-SSRF"
    title: str
    severity: Severity
    confidence: Confidence
    outcome: Outcome
    description: str = ""
    wave: str = ""  # "proxylogon", "proxyshell", "proxynotshell", "proxytoken", "post-exploitation", ...
    cves: list[str] = field(default_factory=list)
    attack: list[str] = field(default_factory=list)  # MITRE ATT&CK technique ids
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    evidence: list[EvidenceLine] = field(default_factory=list)
    indicators: Indicators = field(default_factory=Indicators)
    count: int = 1  # how many matching records were folded into this finding
    references: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    id: str = ""  # assigned by the pipeline: "F0001", ...

    def touch(self, ts: datetime | None) -> None:
        """Widen first/last seen to include ``ts``."""
        ts = utc(ts)
        if ts is None:
            return
        if self.first_seen is None or ts < self.first_seen:
            self.first_seen = ts
        if self.last_seen is None or ts > self.last_seen:
            self.last_seen = ts


@dataclass(slots=True)
class TimelineEvent:
    """One row of the merged timeline: a dated event from any source."""

    timestamp: datetime
    source: str  # logical path of the artifact
    line: int | None
    kind: str  # "request", "event", "file-created", "file-modified", "finding", ...
    summary: str
    client_ip: str = ""
    finding_ids: list[str] = field(default_factory=list)
    raw: str = ""


@dataclass(slots=True)
class FamilyCoverage:
    """What one log family contributed: files, lines, time span."""

    family: str  # "httpproxy", "iis", "ecp", "oabgenerator", "evtx:Application", "webfiles", ...
    files: int = 0
    lines: int = 0  # lines or records read
    parsed: int = 0  # lines fully parsed after the prefilter
    bytes: int = 0
    first: datetime | None = None
    last: datetime | None = None
    notes: list[str] = field(default_factory=list)

    def span(self, ts: datetime | None) -> None:
        ts = utc(ts)
        if ts is None:
            return
        if self.first is None or ts < self.first:
            self.first = ts
        if self.last is None or ts > self.last:
            self.last = ts

    def absorb(self, other: FamilyCoverage) -> None:
        self.files += other.files
        self.lines += other.lines
        self.parsed += other.parsed
        self.bytes += other.bytes
        self.span(other.first)
        self.span(other.last)
        for note in other.notes:
            if note not in self.notes:
                self.notes.append(note)


@dataclass(slots=True)
class SkippedFile:
    """A file that was not read (or not read completely), and why."""

    path: str
    reason: str
    partial: bool = False  # True when some of it was read before the problem
    #: False for files that are not evidence this version reads (an unrelated text file, JSON that
    #: holds no event): listed, but their absence does not make the verdict inconclusive.
    relevant: bool = True
    #: True for a server page or compiled source whose web shell checks did not all run (over the
    #: content cap, content rules or behaviour analysis stopped or failed): a shell in it could be
    #: missed, so the verdict cannot say ``no_evidence``.
    unchecked: bool = False


@dataclass(slots=True)
class FileRecord:
    """The SHA-256 of one evidence file that was read (chain of custody)."""

    path: str
    sha256: str
    size: int
    mtime: datetime | None = None


@dataclass(slots=True)
class Coverage:
    families: dict[str, FamilyCoverage] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Per wave: the sources read that cover its exploitation window (``"iis 2021-03-01..2021-03-09"``),
    #: empty when none did (the wave's verdict is then ``inconclusive``), and what to collect.
    waves: dict[str, dict[str, Any]] = field(default_factory=dict)

    def family(self, name: str) -> FamilyCoverage:
        fam = self.families.get(name)
        if fam is None:
            fam = self.families[name] = FamilyCoverage(name)
        return fam

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass(slots=True)
class StoryStep:
    """One step of an attack story: what happened, when, and which findings show it."""

    timestamp: datetime | None
    title: str
    detail: str = ""
    finding_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AttackStory:
    """A correlated chain (one attacker, one wave), e.g. autodiscover → proxyLogon.ecp → OAB reset."""

    wave: str
    title: str
    client_ips: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    outcome: Outcome = Outcome.ATTEMPT
    steps: list[StoryStep] = field(default_factory=list)


@dataclass(slots=True)
class ScanResult:
    """Everything one scan of one server found. Serialised as the versioned JSON report."""

    evidence_path: str
    layout: str = ""  # "drive", "kape", "velociraptor", "zip:kape", "folder", ...
    hostname: str = ""
    exchange_install: str = ""
    started: datetime | None = None
    finished: datetime | None = None
    tool_version: str = ""
    verdict: Verdict = Verdict.NO_EVIDENCE
    verdict_reason: str = ""
    waves: dict[str, Verdict] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    stories: list[AttackStory] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    files: list[FileRecord] = field(default_factory=list)
    activity: dict[str, Any] = field(default_factory=dict)  # e.g. {"requests_per_hour": {...}}
    extras: dict[str, Any] = field(default_factory=dict)  # sections added by other stages: patch, mitigation, ...

    def add_findings(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, **_plain(self)}


#: Types ``_plain`` returns as they are; tested first (most values of a result are strings and ints).
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
#: Field names of each dataclass ``_plain`` has met, so the next instance skips the type tests.
_DATACLASS_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """Turn dataclasses, enums and datetimes into JSON-ready values."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    names = _DATACLASS_FIELDS.get(kind)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if kind is list:
        return [_plain(v) for v in value]
    if kind is dict:
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, enum.IntEnum):
        return value.name.lower()
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        names = _DATACLASS_FIELDS[kind] = tuple(value.__dataclass_fields__)
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value
