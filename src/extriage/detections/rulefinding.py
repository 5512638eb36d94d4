"""Start a :class:`Finding` from a detection rule's metadata — the one place log rules, event rules
and event sequences turn what their rule file says into the fields of a finding.

What differs between the callers is explicit: the *wording* (title, description, severity,
confidence) comes from the rule itself for event rules and sequences, but from the matched case of a
log rule; the tags are each caller's own (``case:``/``family:`` for log rules, ``events`` and the
incident-window tag for event rules); event rules add a suffix to the title (a failed cmdlet).
References may be plain strings (event rules) or ``{url, source}`` mappings (log rules): a mapping
gives its URL, or its source when it has no URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from extriage.findings import Confidence, Finding, Outcome, Severity


class RuleMeta(Protocol):
    """What every rule gives a finding (log rule, event rule, event sequence)."""

    @property
    def id(self) -> str: ...
    @property
    def wave(self) -> str: ...
    @property
    def cves(self) -> Sequence[str]: ...
    @property
    def attack(self) -> Sequence[str]: ...
    @property
    def references(self) -> Sequence[str | Mapping[str, str]]: ...


class Wording(Protocol):
    """What the reader is told: the rule's own words, or those of the matched case of a log rule."""

    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def confidence(self) -> Confidence: ...


def reference_text(ref: str | Mapping[str, str]) -> str:
    """A reference as a finding lists it: the string itself, or a mapping's URL (else its source)."""
    if isinstance(ref, str):
        return ref
    return ref.get("url") or ref.get("source", "")


def finding_from_rule(
    rule: RuleMeta,
    wording: Wording,
    outcome: Outcome,
    *,
    tags: Iterable[str],
    title_suffix: str = "",
    count: int = 0,
) -> Finding:
    """A new finding of ``rule`` worded by ``wording`` (the rule itself, or a log rule's matched
    case), with no evidence yet and ``count`` matches so far."""
    return Finding(
        rule_id=rule.id,
        title=wording.title + title_suffix,
        severity=wording.severity,
        confidence=wording.confidence,
        outcome=outcome,
        description=wording.description,
        wave=rule.wave,
        cves=list(rule.cves),
        attack=list(rule.attack),
        references=[reference_text(r) for r in rule.references],
        tags=list(tags),
        count=count,
    )
