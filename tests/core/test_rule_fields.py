"""One rule language for log and event rules, and load-time errors for fields a source never has."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register, app
from extriage.detections import logrules
from extriage.detections.events import engine
from extriage.detections.rulelang import RuleError

LOG_RULE = """
rules:
  - id: T-LOG
    title: t
    family: {family}
    wave: other
    prefilter: [x]
    match: {{{field}|contains: x}}
"""

EVENT_RULE = """
rules:
  - id: T-EVT
    title: t
    event_id: [{event_id}]
    {provider}
    match: {{{field}|contains: x}}
"""


def _log(family: str, field: str) -> str:
    return LOG_RULE.format(family=family, field=field)


def _event(field: str, event_id: int | str = 11, provider: str = "provider: [Microsoft-Windows-Sysmon]") -> str:
    return EVENT_RULE.format(field=field, event_id=event_id, provider=provider)


def test_one_error_type() -> None:
    assert logrules.RuleError is engine.RuleError is RuleError


@pytest.mark.parametrize(("family", "field"), [
    ("iis", "cs-uri-stm"),                # misspelt
    ("iis", "AnchorMailbox"),             # an HttpProxy field
    ("httpproxy", "cs(User-Agent)"),      # IIS's own spelling (HttpProxy has the Sigma alias only)
    ("ecp", "UrlStem"),
    ("oabgen", "message"),                # log fields are case-sensitive: Message
])
def test_log_rule_naming_a_field_its_family_never_has(family: str, field: str) -> None:
    with pytest.raises(RuleError) as exc:
        logrules.load_rules_from([("custom/r.yml", _log(family, field))])
    err = exc.value
    assert (err.file, err.rule, err.key) == ("custom/r.yml", "T-LOG", "match")
    assert repr(field) in err.problem and family in err.problem


@pytest.mark.parametrize(("family", "field"), [
    ("iis", "cs-uri-stem"), ("iis", "cs(X-Forwarded-For)"), ("httpproxy", "cs-uri-stem"), ("httpproxy", "AnchorMailbox"),
    ("ecp", "CMD"), ("ecp", "EventData"), ("oabgen", "Message"), ("rps_http", "ClientIp"),
    ("[iis, httpproxy]", "UrlStem"),      # one of the rule's families has it
])
def test_log_rule_fields_its_family_declares_load(family: str, field: str) -> None:
    assert logrules.load_rules_from([("r.yml", _log(family, field))]).rules[0].id == "T-LOG"


def test_log_rule_fields_it_makes_itself_and_other_places_are_checked() -> None:
    made = _log("ecp", "EventData").replace(
        "match: {EventData|contains: x}",
        "match: {EventData|re: '(?P<Cmdlet>Set-Mailbox)'}\n    extract: {Who: [{EventData: 'x=(\\w+)'}]}\n"
        "    group_by: [Cmdlet, Who]\n    timeline: '{Cmdlet} by {Who} {SID}'")
    assert logrules.load_rules_from([("r.yml", made)]).rules[0].group_by == ["Cmdlet", "Who"]
    for extra, key in [("    group_by: [ClientIP]\n", "group_by"), ("    timeline: '{UrlStm}'\n", "timeline"),
                       ("    indicators: {client_ips: [c-ipp]}\n", "indicators client_ips"),
                       ("    outcome: {field: sc-statuss, map: {'200': success}}\n", "outcome field")]:
        with pytest.raises(RuleError) as exc:
            logrules.load_rules_from([("r.yml", _log("iis", "cs-uri-stem") + extra)])
        assert exc.value.key == key


@pytest.mark.parametrize(("field", "event_id", "provider"), [
    ("TargetFilenme", 11, "provider: [Microsoft-Windows-Sysmon]"),            # misspelt
    ("ScriptBlockText", 11, "provider: [Microsoft-Windows-Sysmon]"),          # a PowerShell 4104 field
    ("NewProcessName", 1, "provider: [Microsoft-Windows-Sysmon]"),            # Security 4688's name
    ("TargetServerNam", 4648, ""),                                             # any provider of event 4648
    ("param", 1, "provider: [MSExchange Management]"),                         # param.<name> only
])
def test_event_rule_naming_a_field_its_source_never_has(field: str, event_id: int, provider: str) -> None:
    with pytest.raises(RuleError) as exc:
        engine.build_ruleset([("custom/e.yml", _event(field, event_id, provider))])
    err = exc.value
    assert (err.file, err.rule, err.key) == ("custom/e.yml", "T-EVT", "match")
    assert repr(field) in err.problem and str(event_id) in err.problem


@pytest.mark.parametrize(("field", "event_id", "provider"), [
    ("targetfilename", 11, "provider: [Microsoft-Windows-Sysmon]"),   # event fields are looked up case-insensitively
    ("Image/NewProcessName", "1, 4688", ""),                            # Sysmon 1 or Security 4688 (any provider)
    ("param.filepath", 1, "provider: [MSExchange Management]"),
    ("share_local_path", 5145, ""),
    ("text", 99999, "provider: [Some Provider]"),                       # fields of every event
    ("AnyName", 99999, "provider: [Some Provider]"),                    # nothing declared for the source: not checked
])
def test_event_rule_fields_its_sources_declare_load(field: str, event_id: int | str, provider: str) -> None:
    assert engine.build_ruleset([("e.yml", _event(field, event_id, provider))]).rules[0].id == "T-EVT"


def test_event_indicators_and_grouping_are_checked() -> None:
    text = _event("TargetFilename") + "    indicators: {paths: [TargetFilename], accounts: [SubjectUserName]}\n"
    with pytest.raises(RuleError) as exc:
        engine.build_ruleset([("e.yml", text)])
    assert exc.value.key == "indicators accounts"


def test_every_packaged_event_rule_is_checked_against_declared_fields() -> None:
    for rule in engine.default_rules().rules:
        only_common = all(n.lower() in {"message", "text", "channel", "provider", "computer"} for n in rule.fields)
        assert engine.sources_fields(rule) is not None or only_common, f"{rule.id}: its sources declare no fields"


def test_event_rule_loader_errors_name_file_rule_and_key() -> None:
    cases = [
        (_event("TargetFilename").replace("contains", "containz"), "match TargetFilename|containz", "unknown modifier"),
        (_event("TargetFilename").replace("contains: x", "re: '(x'"), "match TargetFilename|re", "bad regular expression"),
        (_event("TargetFilename") + "    colour: red\n", "", "unknown key"),
        (_event("TargetFilename") + "    wave: proxylogon2\n", "wave", "not one of"),
        (_event("TargetFilename") + "    severity: dire\n", "severity", "not one of"),
        (_event("TargetFilename").replace("contains: x", "contains|cased: x"), "match", "case-folded"),
    ]
    for text, key, problem in cases:
        with pytest.raises(RuleError) as exc:
            engine.build_ruleset([("custom/e.yml", text)])
        assert exc.value.file == "custom/e.yml" and exc.value.rule == "T-EVT", str(exc.value)
        assert exc.value.key == key and problem in exc.value.problem, str(exc.value)


def test_same_condition_means_the_same_in_both_engines() -> None:
    from extriage.formats.event_record import EventRecord

    cond = "{all: [{Image/NewProcessName|endswith: '\\w3wp.exe'}, {CommandLine|contains|all: [a, b]}, {Other: null}]}"
    log = logrules.load_rules_from([("l.yml", _log("iis", "cs-uri-stem").replace(
        "{cs-uri-stem|contains: x}", cond.replace("Image/NewProcessName", "cs-uri-stem/c-uri")
        .replace("CommandLine", "cs-uri-query").replace("Other", "cs-username")))]).rules[0]
    evt = engine.build_ruleset([("e.yml", _event("Image", 99999, "provider: [Some Provider]").replace(
        "{Image|contains: x}", cond))])
    for first, second, args, other, want in [
        ("", "C:\\W\\W3WP.EXE", "b a", "", True),
        ("C:\\x.exe", "", "a b", "", False),       # the first field with a value is tested
        ("", "x\\w3wp.exe", "a", "", False),      # |all: every value
        ("", "x\\w3wp.exe", "a b", "u", False),   # null: missing or empty
    ]:
        line = {"cs-uri-stem": first, "c-uri": second, "cs-uri-query": args, "cs-username": other}
        rec = EventRecord(channel="c", provider="Some Provider", event_id=99999, level=4, record_id=1, computer="h",
                          time=None, time_field="", data={"Image": first, "NewProcessName": second,
                                                          "CommandLine": args, "Other": other})
        assert log.match(line) is want
        assert bool(evt.match(rec)) is want


def test_user_log_rules_with_unknown_fields_are_a_one_sentence_usage_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mine.yml").write_text(_log("iis", "cs-uri-stm"), encoding="utf-8")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    _register()
    result = CliRunner().invoke(app, ["scan", str(evidence), "--log-rules", str(rules), "-q"])
    assert result.exit_code == 2
    out = " ".join(result.output.split())  # the terminal wraps long lines
    assert "mine.yml: rule T-LOG: match: field 'cs-uri-stm' is never in iis lines" in out
    assert "Traceback" not in out


def test_user_event_rule_folders_are_checked_too(tmp_path: Path) -> None:
    (tmp_path / "mine.yml").write_text(_event("TargetFilenme"), encoding="utf-8")
    with pytest.raises(RuleError, match="TargetFilenme"):
        engine.load_rules([str(tmp_path)])
