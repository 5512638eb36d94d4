"""The facts the shipped scan stages leave for each other (see :mod:`extriage.scan.contracts`).

Each class names its provider; a stage that needs one lists it in ``requires`` and reads it with
``ctx.facts.get(Type)``. A fact with no fields is a milestone of one stage ("stories built"); a
:class:`~extriage.scan.contracts.Gathered` one is a milestone of many. What the scan JSON holds
(``result.extras``) is the stages' output, not a fact: later stages read facts, not extras.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from extriage.detections.loglines import Group, GroupKey
from extriage.findings import Finding, TimelineEvent
from extriage.scan.contracts import Gathered

if TYPE_CHECKING:  # an annotation only: importing it pulls in the whole web file engine (~0.15 s of
    # compiled patterns), which the logs stage and the worker fork server never use (issue 18, P2)
    from extriage.detections.webfiles.classify import FileFacts

# -- milestones of many stages ----------------------------------------------------------------------


class Detections(Gathered):
    """Contributed by every stage that adds findings before they are numbered (read and detect);
    the pipeline's ``number-findings`` step waits for all of them."""


class Correlations(Gathered):
    """Contributed by every stage that adds or changes findings, coverage or warnings after the
    findings were numbered; the verdict waits for all of them."""


# -- facts of one stage -----------------------------------------------------------------------------


@dataclass(slots=True)
class FindingIds:
    """Provider: the pipeline's ``number-findings`` step. Every finding detected so far has its id;
    a stage that adds findings after it and needs their ids numbers them itself
    (:func:`extriage.scan.numbering.number_findings`)."""


@dataclass(slots=True)
class LogPivots:
    """Provider: ``logs``. Client addresses of attempt/success/web shell findings and web shell
    paths (lower-case URL paths and Windows paths) from the web and Exchange logs. The
    ``correlate`` stage adds those of every finding before it pivots."""

    attacker_ips: set[str] = field(default_factory=set)
    webshell_paths: set[str] = field(default_factory=set)


@dataclass(slots=True)
class LogGroups:
    """Provider: ``logs``. Each log finding with its timeline rows (``correlate`` links their ids)."""

    groups: dict[GroupKey, Group] = field(default_factory=dict)


@dataclass(slots=True)
class LogSpans:
    """Provider: ``logs``. Every log read (display path -> family, first and last time, protocol or
    IIS site folder), and the IIS site folders (``w3svc1``) of the site taking clients' requests
    ("Default Web Site" in applicationHost.config; empty when there is no config)."""

    spans: dict[str, tuple[str, datetime | None, datetime | None, str]] = field(default_factory=dict)
    front_end_sites: set[str] = field(default_factory=set)


@dataclass(slots=True)
class EventPivots:
    """Provider: ``events``. Web shell paths written by events, the remote addresses seen in events
    (``{ip: {"count", "first", "last", "event_ids", "samples", "computers"}}``) and the events section
    of the result (files, channels, computers: ``extras["events"]``). The events stage may also
    have named the server (``result.hostname``) from the one computer that wrote the events."""

    webshell_paths: set[str] = field(default_factory=set)
    ips: dict[str, dict[str, Any]] = field(default_factory=dict)
    section: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WebFilePivots:
    """Provider: ``webfiles``. Paths and URLs of suspicious files (severity medium or more), each file
    finding with the facts of its file, and the timeline rows of file modification times."""

    webshell_paths: set[str] = field(default_factory=set)
    links: list[tuple[Finding, FileFacts]] = field(default_factory=list)
    events: list[tuple[TimelineEvent, Finding]] = field(default_factory=list)


@dataclass(slots=True)
class EventJudgement:
    """Provider: ``events-correlate``. Admin-like event findings were judged against the incident
    window (some became ``info``) and event addresses matched against the web logs' attackers."""


@dataclass(slots=True)
class AttackStories:
    """Provider: ``correlate``. Pivot requests are in the timeline and ``result.stories`` holds one
    story per attacker and wave."""


@dataclass(slots=True)
class WaveStories:
    """Provider: ``waves-stories``. Stories borrowed by two waves were folded into one."""


@dataclass(slots=True)
class EventStories:
    """Provider: ``events-story``. Event findings joined the attack stories: the stories are final."""


@dataclass(slots=True)
class ExplainedGaps:
    """Provider: ``waves-stories``. Log families whose absence a stage already explained in a
    warning; the verdict does not warn about them again."""

    families: set[str] = field(default_factory=set)


@dataclass(slots=True)
class VerdictReached:
    """Provider: ``verdict``. ``result.verdict``, ``result.waves`` and the coverage are final."""
