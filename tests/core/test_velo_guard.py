"""The inventory asks whether a path is a Velociraptor upload (``uploads/auto/...``, any case) three
times a file; the case-blind regex, with no literal prefix, is tried at every offset, so a path without
"pload" in any case skips it (issue 18, session 20: ~15 ms of listing scan200's 5,000 files, before the
first worker starts). Same answer for every path."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.evidence import locate


def test_only_ascii_capitals_are_case_blind_twins_of_pload() -> None:
    # the guard's ground: a case-blind match of p, l, o, a or d meets only the letter or its capital,
    # and both lower-case to the letter (not so for s: U+017F matches it)
    for letter in "pload":
        rx = re.compile(letter, re.IGNORECASE)
        twins = [chr(cp) for cp in range(sys.maxunicode + 1) if rx.fullmatch(chr(cp))]
        assert sorted(twins) == sorted({letter, letter.upper()})
        assert all(t.lower() == letter for t in twins)


_PARTS = ["uploads/", "UPLOADS/", "Uploads/", "upload\u017f/", "uploadS/", "auto/", "AUTO/", "ntfs/", "file/",
          "mft/", "MfT/", "C%3A/", "\\\\.\\C:/", "Windows/", "x", "/", "\u0130", "\u212a", "up", "loads/", "pload"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PARTS), max_size=8), st.text(max_size=6))
def test_same_answer_as_the_regex(parts: list[str], noise: str) -> None:
    for member in ("".join(parts), noise + "".join(parts), "".join(parts) + noise):
        want = locate._VELO_RE.search(member)
        got = locate._velo(member)
        assert (got is None) == (want is None)
        if want is not None and got is not None:
            assert got.groups() == want.groups() and got.span() == want.span()


def test_an_upload_path_in_any_case_is_still_read_as_velociraptor() -> None:
    assert locate._logical_for("host/Uploads/AUTO/C%3A/Windows/x.log", "velociraptor") == ("C:\\Windows\\x.log", "C")
    assert locate._logical_for("host/upload\u017f/auto/C%3A/Windows/x.log", "velociraptor")[1] == "C"
    assert locate._velo("C/Program Files/Microsoft/Exchange Server/V15/Logging/x.LOG") is None
