"""The fast paths of the event engine give the same answers as the plain definitions."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.detections.events.engine import build_ruleset, norm, required_words
from extriage.formats.event_export import record_from_object

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
