"""Attacker text stays inert in every Markdown output (report.md, the CISA draft): the files are
rendered as GitHub renders them (GFM tables, strikethrough and autolinks: markdown-it "gfm-like" with
linkify) and the test checks that no link, image, HTML or attacker-made formatting comes out and
that each indicator value sits whole in its own table cell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from extriage.findings import (
    AttackStory,
    Confidence,
    EvidenceLine,
    FamilyCoverage,
    Finding,
    Indicators,
    Outcome,
    ScanResult,
    Severity,
    SkippedFile,
    StoryStep,
    Verdict,
)
from extriage.report.cisa import render_cisa
from extriage.report.markdown import md_code, md_text, render_markdown

pytest.importorskip("linkify_it", reason="linkify-it-py (a dev dependency) renders GFM autolinks")

T0 = datetime(2021, 3, 3, 6, 0, tzinfo=UTC)
#: Values an attacker controls (user agent, URL, file names) crafted to break out of a table cell or
#: a code span and render as a link, an image, HTML or formatting.
HOSTILE_UA = "Mozilla/5.0 | [Click here for the decryption key](https://evil.example/pay) | x"
HOSTILE_URL = "/owa/auth/x.aspx|<img src=x onerror=alert(1)>|[a](javascript:alert(1))"
HOSTILE_TICKS = "``` `a` `` `|` ~~s~~ *b* _i_ &amp; <b>b</b>"
HOSTILE_LINKS = "see www.evil.example or http://evil.example/x or mail pay@evil.example or javascript:alert(1) or evil.example"
HOSTILE_PATH = "C:\\inetpub\\wwwroot\\aspnet_client\\[x](http:\\\\evil.example)<script>alert(1)</script>.aspx"
HOSTILE_NEWLINES = "line1\n# Heading\n\n<script>alert(1)</script>\n| a | b |\n|---|---|"
BIDI = "invoice\u202eexcod.aspx"
#: Links the reports themselves write (fixed text, not attacker data).
OWN_LINKS = {"https://www.cisa.gov/report"}
VALUES = [HOSTILE_UA, HOSTILE_URL, HOSTILE_TICKS, HOSTILE_LINKS, HOSTILE_PATH, BIDI]


def hostile_result() -> ScanResult:
    title = f"China Chopper: {HOSTILE_LINKS} {HOSTILE_TICKS}"
    findings = [
        Finding("PL-26855-SSRF", f"SSRF {HOSTILE_UA}", Severity.CRITICAL, Confidence.HIGH, Outcome.SUCCESS,
                description=HOSTILE_NEWLINES, wave="proxylogon", cves=["CVE-2021-26855"], attack=["T1190"],
                first_seen=T0, last_seen=T0, id="F0001",
                evidence=[EvidenceLine(f"u_ex210303.log{HOSTILE_TICKS}", 7, f"{HOSTILE_NEWLINES} {HOSTILE_UA} ````")],
                indicators=Indicators(client_ips=["161.35.45.41"], user_agents=[HOSTILE_UA, HOSTILE_TICKS, HOSTILE_LINKS],
                                      urls=[HOSTILE_URL], accounts=[f"CORP\\{HOSTILE_TICKS}"])),
        Finding("WF-LOC-ASPNET-CLIENT", title, Severity.CRITICAL, Confidence.HIGH, Outcome.WEBSHELL,
                wave="proxylogon", attack=["T1505.003"], first_seen=T0, last_seen=T0, id="F0002",
                evidence=[EvidenceLine(HOSTILE_PATH, None, HOSTILE_NEWLINES)],
                indicators=Indicators(paths=[HOSTILE_PATH, f"C:\\inetpub\\wwwroot\\aspnet_client\\{BIDI}"], hashes=["a" * 64])),
    ]
    r = ScanResult(
        evidence_path="/cases/x", hostname=f"EXCH01{HOSTILE_LINKS}", verdict=Verdict.COMPROMISED,
        verdict_reason=f"Successful exploitation: {HOSTILE_UA} {HOSTILE_NEWLINES}", findings=findings,
        started=T0 + timedelta(days=1), waves={"proxylogon": Verdict.COMPROMISED},
        stories=[AttackStory("proxylogon", f"chain {HOSTILE_LINKS}", ["161.35.45.41"], T0, T0, Outcome.SUCCESS,
                             [StoryStep(T0, HOSTILE_UA, HOSTILE_NEWLINES, ["F0001"])])],
    )
    r.coverage.families["iis"] = FamilyCoverage("iis", files=1, lines=10, first=T0, last=T0)
    r.coverage.skipped.append(SkippedFile(HOSTILE_PATH, f"unreadable: {HOSTILE_UA}"))
    r.coverage.warnings.append(f"warning {HOSTILE_NEWLINES}")
    r.extras["mitigation"] = {"mitigations": [{"title": HOSTILE_UA, "state": "absent", "reason": HOSTILE_LINKS}]}
    return r


def _parser() -> MarkdownIt:
    return MarkdownIt("gfm-like")  # tables, strikethrough, linkify (GitHub's autolinks), HTML allowed


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for t in tokens:
        out.append(t)
        if t.children:
            out.extend(_walk(t.children))
    return out


def _assert_inert(md: str) -> str:
    tokens = _walk(_parser().parse(md))
    kinds = {t.type for t in tokens}
    links = [t.attrs.get("href") for t in tokens if t.type == "link_open"]
    assert set(links) <= OWN_LINKS, links
    assert "image" not in kinds
    assert "html_inline" not in kinds and "html_block" not in kinds
    assert "s_open" not in kinds  # no ~~strike~~ from attacker text (the reports use none)
    html = _parser().render(md)
    for own in OWN_LINKS:
        html = html.replace(f'<a href="{own}">{own}</a>', "")
    for bad in ("<a ", "<img", "<script", "<b>", "<h1>Heading", "href=", "javascript:alert(1)</a>"):
        assert bad not in html, bad
    # emphasis the reports make is fixed text; none may wrap attacker words
    for word in ("<em>i</em>", "<strong>b</strong>", "<em>b</em>"):
        assert word not in html
    return html


def _cell_text(inline: Token) -> str:
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline", "softbreak"))


def _table_rows(md: str) -> list[list[str]]:
    rows: list[list[str]] = []
    row: list[str] | None = None
    tokens = _parser().parse(md)
    for i, t in enumerate(tokens):
        if t.type == "tr_open":
            row = []
        elif t.type == "tr_close" and row is not None:
            rows.append(row)
            row = None
        elif t.type == "inline" and row is not None and tokens[i - 1].type in ("td_open", "th_open"):
            row.append(_cell_text(t))
    return rows


def test_cisa_draft_is_inert_and_each_value_sits_whole_in_its_cell() -> None:
    md = render_cisa([hostile_result()])
    _assert_inert(md)
    rows = _table_rows(md)
    assert rows and all(len(r) == 4 for r in rows), rows
    cells = {r[1] for r in rows}
    for value in (HOSTILE_UA, HOSTILE_URL, HOSTILE_TICKS, HOSTILE_LINKS):
        assert value in cells, value
    assert any(r[0] == "file-path" and r[1] == HOSTILE_PATH for r in rows)


def test_markdown_report_is_inert() -> None:
    r = hostile_result()
    other = ScanResult(evidence_path="/cases/y", hostname=f"EXCH02 | {HOSTILE_UA}", verdict=Verdict.NO_EVIDENCE)
    md = render_markdown([r, other])
    _assert_inert(md)
    rows = _table_rows(md)
    assert rows and all(len(row) == 3 for row in rows), rows
    assert any(row[0] == f"EXCH02 | {HOSTILE_UA}" for row in rows)
    # raw evidence in fenced blocks, verbatim (control characters aside)
    fences = [t.content for t in _parser().parse(md) if t.type == "fence"]
    assert any(f"{HOSTILE_UA} ````" in f and "# Heading" in f for f in fences)
    # the bidi override is shown, not obeyed
    assert "\u202e" not in md and "\\u202e" in md


@pytest.mark.parametrize("value", [*VALUES, HOSTILE_NEWLINES, "`", "``", " ` ", "\\", "\\|", "a\\|b|c", "|", ""])
@pytest.mark.parametrize("where", ["text", "code", "table-text", "table-code"])
def test_every_escape_round_trips(value: str, where: str) -> None:
    """What the reader sees is the value (newlines collapsed, bidi controls visible), nothing more."""
    shown = " ".join(value.replace("\u202e", "\\u202e").split())
    if where.startswith("table"):
        cell = md_text(value, table=True) if where == "table-text" else md_code(value, table=True)
        md = f"| a | b |\n|---|---|\n| x | {cell} |\n"
        rows = _table_rows(md)
        assert [len(r) for r in rows] == [2, 2]
        got = rows[1][1]
    else:
        md = "Seen: " + (md_text(value) if where == "text" else md_code(value)) + "\n"
        tokens = _parser().parse(md)
        got = "".join(_cell_text(t) for t in tokens if t.type == "inline").removeprefix("Seen:")
    _assert_inert(md)
    assert got.strip() == shown.strip()
