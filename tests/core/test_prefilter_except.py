"""Prefilter hits explained away (``prefilter_except``) and rules evaluated only where their own
prefilter hit: the speed work of the IIS prefilter must never hide a web shell request."""

from __future__ import annotations

import pytest

from extriage.detections.logrules import RuleError, load_rules, load_rules_from
from extriage.formats.prefilter import ALL_PATTERNS, Prefilter
from extriage.scan.stages.logs import family_plan

OWA = r'/owa/auth/[^ ?,"]*\.as[hmp]x'


def _pf(engine: str = "hyperscan") -> Prefilter:
    rule = load_rules().get("WS-OWA-AUTH")
    assert rule is not None and rule.prefilter_except, "the shipped rule declares its legitimate pages"
    return Prefilter([], [OWA], engine, {OWA: rule.prefilter_explainers()})


def test_legitimate_pages_are_no_candidates_but_shells_are() -> None:
    data = (b"2021-03-05 02:00:00 10.0.0.1 GET /owa/auth/logon.aspx url=x 443 - 10.0.0.5 UA - 200 0 0 5\n"
            b"2021-03-05 02:00:01 10.0.0.1 GET /OWA/AUTH/LOGON.ASPX - 443 - 10.0.0.5 UA - 200 0 0 5\n"
            b"2021-03-05 02:00:02 10.0.0.1 GET /owa/auth/RedirSuiteServerProxy.aspx - 443 - 1.2.3.4 UA - 200 0 0 5\n"
            b"2021-03-05 02:00:03 10.0.0.1 GET /owa/auth/x/owa/auth/logon.aspx - 443 - 1.2.3.4 UA - 200 0 0 5\n"
            b"2021-03-05 02:00:04 10.0.0.1 GET /owa/auth/logon.aspx - 443 - 1.2.3.4 /owa/auth/shell.aspx - 200 0 0 5\n"
            b"2021-03-05T02:00:05.000Z,id,15,1,2176,2,,Owa,mail,/owa/auth/logon.aspx,,FBA,false\n"
            b"2021-03-05T02:00:06.000Z,id,15,1,2176,2,,Owa,mail,/owa/auth/signin.aspx,,FBA,false\n")
    lines = data.split(b"\n")
    picked = [data[a:b] for a, b, _ in _pf().line_hits(data)]
    assert picked == [lines[2], lines[3], lines[4], lines[6]]


def test_re2_cannot_explain_and_selects_every_line() -> None:
    data = b"x GET /owa/auth/logon.aspx y\nx GET /owa/auth/evil.aspx y\n"
    hits = _pf("re2").line_hits(data)
    assert len(hits) == 2 and all(m == ALL_PATTERNS for _, _, m in hits)


def test_exception_applies_only_when_every_rule_on_the_pattern_declares_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    extra = tmp_path / "extra.yml"
    extra.write_text(
        "rules:\n"
        "  - id: TEST-ANY-OWA-AUTH-PAGE\n"
        "    title: any owa/auth page\n"
        "    family: iis\n"
        f"    prefilter_regex: ['{OWA}']\n"
        "    match: {cs-uri-stem|startswith: /owa/auth/}\n"
        "    wave: other\n",
        encoding="utf-8",
    )
    _rules, pf, _masks = family_plan("hyperscan", (str(tmp_path),), "iis")
    data = b"2021-03-05 02:00:00 10.0.0.1 GET /owa/auth/logon.aspx - 443 - 10.0.0.5 UA - 200 0 0 5\n"
    assert pf.line_hits(data), "a rule without the exception still needs the sign-in lines"
    _rules, shipped, _masks = family_plan("hyperscan", (), "iis")
    assert not shipped.line_hits(data)


def test_each_rule_sees_only_lines_its_own_prefilter_selected() -> None:
    rules, pf, masks = family_plan("hyperscan", (), "iis")
    line = b"2021-03-05 02:00:00 10.0.0.1 POST /aspnet_client/x.aspx - 443 - 1.2.3.4 python-requests/2.25.1 - 200 0 0 5\n"
    [(_, _, mask)] = pf.line_hits(line)
    chosen = {r.id for r, m in zip(rules, masks, strict=True) if mask & m}
    assert {"WS-ASPNET-CLIENT", "PL-IIS-EXPLOIT-UA"} <= chosen
    assert not chosen & {"PL-IIS-POST-STATIC", "WS-OWA-AUTH", "WS-ECP-AUTH"}


@pytest.mark.parametrize("value, message", [
    ("{list: nosuchlist}", "unknown list"),
    ("{other: x}", "prefilter_except must be"),
    ("{list: [a, {b: c}]}", "must be a string"),
])
def test_bad_prefilter_except_is_a_clear_rule_error(value: str, message: str) -> None:
    text = ("rules:\n  - id: T-1\n    title: t\n    family: iis\n    prefilter: [x]\n"
            f"    prefilter_except: {value}\n    match: {{cs-uri-stem: x}}\n    wave: other\n")
    with pytest.raises(RuleError, match=message):
        load_rules_from([("t.yml", text)])
