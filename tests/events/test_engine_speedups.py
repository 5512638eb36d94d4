"""The fast paths of the event engine give the same answers as the plain definitions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.detections.events import engine as engine_module
from extriage.detections.events.engine import build_ruleset, norm, required_words
from extriage.formats.event_export import record_from_object
from extriage.formats.event_record import pick_time
from extriage.formats.evtx_file import SYSTEM_TIME, _utc_system_time

_WS = re.compile(r"\s+")
_QUOTES = str.maketrans({"'": '"', "\u2018": '"', "\u2019": '"', "\u201c": '"', "\u201d": '"'})


def _plain_norm(text: str) -> str:
    return _WS.sub(" ", text.translate(_QUOTES)).casefold().strip()


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_norm_fast_path_equals_definition(text: str) -> None:
    assert norm(text) == _plain_norm(text)


def test_required_words() -> None:
    assert required_words({"CommandLine|contains": ["comsvcs.dll MiniDump"]}) == {"comsvcs.dll"}
    spec = {"all": [{"Image|endswith": ["\\w3wp.exe"]}, {"X|re": "a|b"}]}
    assert required_words(spec) == {"w3wp.exe"}
    assert required_words({"any": [{"A|contains": "abc"}, {"not": {"B": "x"}}]}) is None
    assert required_words({"channel": "Security"}) is None  # channel may be derived
    assert required_words({"A|contains": "ab"}) is None  # too short to search for


_RULE = """
rules:
  - id: T-1
    title: t
    event_id: [1]
    match: {CommandLine|contains: ["net user /add"]}
"""


def _rec(line: bytes) -> object:
    import orjson

    return record_from_object(orjson.loads(line), 1, None, line)


def test_byte_prefilter_never_hides_a_match() -> None:
    rules = build_ruleset([("t.yml", _RULE)])
    assert rules.rules[0].needles == (b"user",)
    hit = b'{"EventID": 1, "Channel": "Security", "CommandLine": "NET  USER /ADD evil"}'
    assert [r.id for r in rules.match(_rec(hit))] == ["T-1"]  # type: ignore[arg-type]
    # \\u escapes: the raw bytes cannot be trusted, the fields are matched
    escaped = b'{"EventID": 1, "Channel": "Security", "CommandLine": "net \\u0075ser /add"}'
    assert [r.id for r in rules.match(_rec(escaped))] == ["T-1"]  # type: ignore[arg-type]
    # non-ASCII (casefold can turn some characters into ASCII letters): matched on fields
    other = '{"EventID": 1, "Channel": "Security", "CommandLine": "net user /add \u00e9"}'.encode()
    assert [r.id for r in rules.match(_rec(other))] == ["T-1"]  # type: ignore[arg-type]
    miss = b'{"EventID": 1, "Channel": "Security", "CommandLine": "whoami"}'
    assert rules.match(_rec(miss)) == []  # type: ignore[arg-type]



_SYSTEM_TIMES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.isoformat(timespec="microseconds") + "Z"
    ),
    st.sampled_from(["2021-04-26T15:03:05.992230Z", "1601-01-01T00:00:00.000000Z", "2100-01-01T00:00:00Z",
                     "2099-12-31T23:59:59.999999Z", " 2021-04-26T15:03:05Z", "2021-04-26T15:03:05+01:00",
                     "2021-04-26T15:03:05", "2021-04-26 15:03:05Z", "2021-04-26T15:03:05.9922301Z", "Z", ""]),
    st.text(max_size=40),
)


@given(_SYSTEM_TIMES)
@settings(max_examples=400, deadline=None)
def test_system_time_fast_path_is_pick_time(value: str) -> None:
    """The .evtx reader's shortcut for the parser's ``SystemTime`` gives what pick_time gives
    (when it gives nothing, the reader asks pick_time itself)."""
    fast = _utc_system_time(value)
    if fast is not None:
        assert (fast, SYSTEM_TIME) == pick_time([(SYSTEM_TIME, value)])


def test_system_time_fast_path_takes_the_parsers_spelling() -> None:
    assert _utc_system_time("2021-04-26T15:03:05.992230Z") == datetime(2021, 4, 26, 15, 3, 5, 992230, tzinfo=UTC)
    assert _utc_system_time("1601-01-01T00:00:00.000000Z") is None  # a placeholder: pick_time decides
    assert _utc_system_time("2100-01-01T00:00:00.000000Z") is None  # out of range: pick_time marks it


def _rule_regexes() -> list[str]:
    """Every ``|re`` pattern of the packaged event rules, and ``|like`` shapes, plus a few more."""
    from extriage.datafiles import load_yaml

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and key.endswith("|re"):
                    found.extend(value if isinstance(value, list) else [value])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    rules_dir = Path(engine_module.__file__).parent / "rules"
    for f in sorted(rules_dir.glob("*.yml")):
        walk(load_yaml(f.read_text(encoding="utf-8")))
    return [*sorted(set(found)), r"^c:\\.*\.aspx$", r"é+\w", r"\bcmd\b", "$", "^$", r"a|b.*c"]


_RE2_TEXTS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="msexchangowapl \\/\"'.ntuserd1+-é\n", max_size=60),
    st.sampled_from(['w3wp.exe -ap "msexchangeowaapppool"', "net user evil p@ss /add", "c:\\x\\lsass_1.dmp",
                     "lsass.dmp\n", "", "é", "cmd.exe /c net1 localgroup administrators evil /add"]),
)


@given(_RE2_TEXTS)
@settings(max_examples=300, deadline=None)
def test_re2_search_is_the_wrappers_search(text: str) -> None:
    import re2

    for pattern in _rule_regexes():
        compiled = re2.compile(pattern)
        fast = engine_module.re2_searcher(compiled)
        assert isinstance(fast, engine_module.Re2Search)
        assert (fast.search(text) is not None) == (compiled.search(text) is not None), (pattern, text)


def test_rule_regexes_use_the_fast_search() -> None:
    assert r"msexchange\w*apppool" in _rule_regexes()
    rs = build_ruleset([("r.yml", "rules:\n  - id: T\n    title: t\n    event_id: [1]\n    match: {CommandLine|re: 'net +user'}\n")])
    rec = record_from_object({"EventID": 1, "CommandLine": "NET  user x /add"}, 1, None, None)
    assert rec is not None and [r.id for r in rs.match(rec)] == ["T"]


_WORDS = sorted({w.decode() for r in engine_module.default_rules().rules if r.needles for w in r.needles})
_FIELDS = ["CommandLine", "ParentCommandLine", "Image", "ParentImage", "NewProcessName", "ParentProcessName",
           "TargetFilename", "ScriptBlockText", "TargetUserName", "param1", "param2", "Message"]


@given(
    st.sampled_from([1, 11, 4688, 4104, 4720, 4728, 4732, 4756, 6, 1102, 5145]),
    st.dictionaries(st.sampled_from(_FIELDS),
                    st.lists(st.sampled_from([*_WORDS, "x", " ", "\\\\", "w3wp.exe", "msexchangeowaapppool", "/add", "é"]),
                             max_size=6).map(" ".join),
                    max_size=5),
)
@settings(max_examples=300, deadline=None)
def test_one_pass_word_scan_equals_a_search_per_word(event_id: int, fields: dict[str, str]) -> None:
    """Rules ruled out by one Hyperscan pass over the raw line are those a substring search per
    required word rules out."""
    doc = {"EventID": event_id, "Channel": "Security" if event_id > 4000 else "Microsoft-Windows-Sysmon/Operational",
           "SourceName": "Microsoft-Windows-Security-Auditing" if event_id > 4000 else "Microsoft-Windows-Sysmon", **fields}
    if event_id == 6:
        doc.update({"Channel": "MSExchange Management", "SourceName": "MSExchange CmdletLogs"})
    line = json.dumps(doc).encode()
    rec = record_from_object(json.loads(line), 1, None, line)
    assert rec is not None
    scanned = engine_module.build_ruleset(_RULE_TEXTS)
    looped = engine_module.build_ruleset(_RULE_TEXTS)
    old = engine_module._SCAN_MIN_WORDS
    try:
        engine_module._SCAN_MIN_WORDS = 1
        by_scan = [r.id for r in scanned.match(rec)]
        if any(r.needles for r in scanned.candidates(rec)):  # (the pass is really used)
            assert any(p.scan is not None for p in scanned._candidates.values())
        engine_module._SCAN_MIN_WORDS = 10**9
        by_loop = [r.id for r in looped.match(rec)]
    finally:
        engine_module._SCAN_MIN_WORDS = old
    assert by_scan == by_loop


def _rule_texts() -> list[tuple[str, str]]:
    folder = Path(engine_module.__file__).parent / "rules"
    return sorted((f"rules/{p.name}", p.read_text(encoding="utf-8")) for p in folder.glob("*.yml"))


_RULE_TEXTS = _rule_texts()
