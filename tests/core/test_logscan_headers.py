"""The log walk's shortcuts for header lines give exactly the answers of the plain parsers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.formats import exchange_csv, logscan

_PIECES = [b"DateTime", b"TimeStamp", b"RequestId", b"#Fields: ", b",", b'"', b" ", b"\t", b"\xef\xbb\xbf",
           b"\xc2\xa0", b"\xe2\x80\x83", b"\xff", b"2021-03-02T01:02:03Z", b"x", b"\r", b"\x1c", b"d", b"T"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8), st.binary(max_size=6))
def test_bare_header_same_as_decoded_check(pieces: list[bytes], tail: bytes) -> None:
    line = b"".join(pieces) + tail
    expected = exchange_csv.looks_like_bare_header(logscan.decode(line))
    assert logscan._bare_header(line) == expected
    assert logscan._bare_header(bytearray(line)) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8), st.sampled_from(["httpproxy", "iis", "ecp", "nosuch"]))
def test_header_names_same_as_parser(pieces: list[bytes], family: str) -> None:
    line = b"".join(pieces)
    assert logscan._header_names(line, family) == logscan._names_from_header(logscan.decode(line), family)


def test_known_header_layouts() -> None:
    bare = b'"DateTime","RequestId","UrlStem"'
    assert logscan._bare_header(bare) == ["DateTime", "RequestId", "UrlStem"]
    assert logscan._bare_header(b"\xef\xbb\xbfDateTime,RequestId") == ["DateTime", "RequestId"]
    assert logscan._bare_header(b"2021-03-02T01:02:03.000Z,abc") is None
    assert logscan._bare_header(b"#Fields: DateTime") is None
