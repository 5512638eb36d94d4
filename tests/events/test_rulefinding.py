"""One helper starts every rule's finding: log rules (worded by their matched case), event rules and
event sequences give the same fields as before it existed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from extriage.detections.events.collect import EventCollector, apply_sequences
from extriage.detections.events.engine import default_rules
from extriage.detections.loglines import HitCollector
from extriage.detections.logrules import Classification, load_rules
from extriage.detections.rulefinding import finding_from_rule, reference_text
from extriage.findings import Outcome
from extriage.formats.event_record import EventRecord


def test_reference_text() -> None:
    assert reference_text("https://example.org/a") == "https://example.org/a"
    assert reference_text({"url": "https://example.org/b", "source": "Blog"}) == "https://example.org/b"
    assert reference_text({"url": "", "source": "A book, p. 12"}) == "A book, p. 12"


def test_log_rule_finding_is_worded_by_its_case() -> None:
    rule = load_rules().rules[0]
    case = rule.cases[-1]
    cls = Classification(case, Outcome.ATTEMPT)
    hits = HitCollector()
    hits.add(rule, cls, {}, "raw line", "log.txt", 7, datetime(2021, 3, 3, tzinfo=UTC), family="httpproxy")
    made = next(iter(hits.groups.values())).finding
    f = finding_from_rule(rule, case, Outcome.ATTEMPT, tags=[f"case:{case.id}", "family:httpproxy", *rule.tags, *case.tags])
    assert (f.rule_id, f.title, f.description, f.severity, f.confidence) == (
        rule.id, case.title, case.description, case.severity, case.confidence
    )
    assert f.references == [r["url"] or r["source"] for r in rule.references] and f.references
    assert f.count == 0 and f.evidence == []
    assert (made.rule_id, made.title, made.severity, made.confidence, made.outcome, made.description, made.wave,
            made.cves, made.attack, made.references, made.tags) == (
        f.rule_id, f.title, f.severity, f.confidence, f.outcome, f.description, f.wave,
        f.cves, f.attack, f.references, f.tags)
    assert made.cves is not rule.cves and made.attack is not rule.attack  # copies, not the rule's own lists


def test_event_rule_and_sequence_findings() -> None:
    rules = default_rules()
    rule = next(r for r in rules.rules if r.id == "EVT-ACCT-CREATED")
    f = finding_from_rule(rule, rule, Outcome.SUCCESS, tags=["events", *rule.tags], title_suffix=" — x")
    assert f.title == rule.title + " — x" and f.references == rule.references and f.wave == rule.wave
    rec = EventRecord(
        "Security", "Microsoft-Windows-Security-Auditing", 4720, 0, 9, "EXCH01",
        datetime(2021, 3, 3, tzinfo=UTC), "TimeCreated", {"TargetUserName": "x"},
    )
    coll = EventCollector(rules, "e.jsonl", "events-export")
    coll.feed(rec)
    made = next(x for x in coll.findings.values() if x.rule_id == rule.id)
    assert (made.title, made.description, made.severity, made.confidence, made.references, made.count) == (
        rule.title, rule.description, rule.severity, rule.confidence, list(rule.references), 1
    )
    assert made.tags[0] == "events"
    seq = rules.sequences[0]
    first = replace(made, rule_id=seq.first, count=2)
    then = replace(made, rule_id=seq.then[0], count=3)
    combined = apply_sequences([first, then], [seq])
    assert len(combined) == 1
    c = combined[0]
    assert (c.rule_id, c.title, c.outcome, c.tags, c.count, c.references) == (
        seq.id, seq.title, seq.outcome, ["events", "sequence"], 5, list(seq.references)
    )
