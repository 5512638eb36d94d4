"""Parsing every form a build appears in; integer-tuple ordering (never strings or decimals)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extriage.detections.builds import Build, BuildParseError, parse_build


@pytest.mark.parametrize(
    ("text", "expected", "cu_only"),
    [
        ("15.1.2176.9", (15, 1, 2176, 9), False),
        ("15.01.2176.009", (15, 1, 2176, 9), False),  # long form (HttpProxy #Version, ExSetup strings)
        ("  15.1.2176.9\n", (15, 1, 2176, 9), False),
        ("15.1.2176", (15, 1, 2176, None), True),  # CU only (OWA auth folder)
        ("Exchange/15.01.2176.009", (15, 1, 2176, 9), False),  # X-ServerApplication
        ("Version 15.1 (Build 2176.2)", (15, 1, 2176, None), True),  # AdminDisplayVersion is CU level
        ("version 15.2 (build 1118.7)", (15, 2, 1118, None), True),
        ("/owa/auth/15.1.2176/themes/resources/favicon.ico", (15, 1, 2176, None), True),
        ("/owa/14.3.169.1/themes/base/x.gif", (14, 3, 169, 1), False),
        (
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\Owa\\prem\\15.2.986.36\\",
            (15, 2, 986, 36),
            False,
        ),
        ("/ecp/15.1.2375.17/exporttool/", (15, 1, 2375, 17), False),
        ("14.03.0513.000", (14, 3, 513, 0), False),
        ("8.3.485.1", (8, 3, 485, 1), False),
        ("15.2.2562.17", (15, 2, 2562, 17), False),
    ],
)
def test_forms(text: str, expected: tuple[int, int, int, int | None], cu_only: bool) -> None:
    b = parse_build(text)
    assert (b.major, b.minor, b.build, b.revision) == expected
    assert b.cu_only is cu_only


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "junk",
        "15.1",
        "15.1.2176.9.1",
        "10.0.17763.1",  # Windows, not Exchange
        "16.0.1.1",  # a future/other product
        "15.1.99999.1",  # part > 65535
        "15.1.2176.9; rm -rf /",
        "١٥.١.٢١٧٦.٩",  # Arabic-Indic digits must not be accepted as a build
        "x" * 1000,
        "/owa/auth/logon.aspx",
    ],
)
def test_bad_input_one_line_reason(text: str) -> None:
    with pytest.raises(BuildParseError) as info:
        parse_build(text)
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 200


def test_integer_ordering_not_decimal() -> None:
    # HealthChecker #873: 2375.18 vs 2375.7 compared as doubles gave the wrong answer
    assert parse_build("15.1.2375.18") > parse_build("15.1.2375.7")
    assert parse_build("15.1.2375.7") < parse_build("15.01.2375.018")
    assert parse_build("15.02.0986.005") == parse_build("15.2.986.5")
    assert sorted([parse_build(x) for x in ("15.2.1118.9", "15.2.986.36", "15.2.1118.40")])[0] == parse_build(
        "15.2.986.36"
    )
    assert parse_build("15.1.2176") < parse_build("15.1.2176.0")  # a CU-only build sorts before its revisions


def test_str_and_long_form() -> None:
    b = parse_build("15.01.2176.009")
    assert str(b) == "15.1.2176.9"
    assert b.long_form() == "15.01.2176.009"
    assert str(parse_build("15.1.2176")) == "15.1.2176"
    assert Build(15, 2, 858, 5) == parse_build("15.2.858.5")


@given(st.text(max_size=80))
def test_never_raises_anything_else(text: str) -> None:
    try:
        parse_build(text)
    except BuildParseError:
        pass
